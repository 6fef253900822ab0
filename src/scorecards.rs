//! The scorecard service: a project's scorecard and its report, computed
//! from the store for the HTTP routes, the admin socket and the CLI alike.

use crate::domain::scorecard::{Facts, Scorecard, scorecard};
use crate::domain::{ProjectId, now_millis};
use crate::report::Report;
use crate::store::{Store, StoreError};

/// The scorecard of `project` now. Blocking: call it off the executor.
pub fn compute(store: &Store, project: ProjectId) -> Result<Scorecard, StoreError> {
    let facts = store.scorecard_facts(project)?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok(scorecard(
        &Facts {
            assessments: &facts.assessments,
            tasks: &facts.tasks,
            compliance_reviewed_at: facts.compliance_reviewed_at,
            now: now_millis(),
        },
        &facts.open,
        today,
    ))
}

/// Everything the report of `project` shows. With `include_personal`
/// false, personal fields are left out here, before any rendering.
pub fn report(
    store: &Store,
    project: ProjectId,
    include_personal: bool,
) -> Result<Report, StoreError> {
    let mut details = store.get_project(project)?;
    let mut card = compute(store, project)?;
    let mut history = store.all_assessments(project)?;
    if !include_personal {
        details.owner_email = None;
        for pillar in &mut card.pillars {
            pillar.owner = None;
        }
        for assessment in &mut history {
            for score in &mut assessment.scores {
                score.owner = None;
            }
        }
    }
    Ok(Report {
        project: details,
        scorecard: card,
        history,
        include_personal,
        generated_at: now_millis(),
    })
}
