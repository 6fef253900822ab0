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

/// The report of `project` rendered as `format`, for the admin socket and
/// the CLI; the error is a message for the operator.
pub async fn rendered(
    store: &Store,
    project: ProjectId,
    format: crate::report::Format,
    include_personal: bool,
) -> Result<String, String> {
    let report = store
        .blocking(move |s| report(s, project, include_personal))
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => format!("no project {project}"),
            other => other.to_string(),
        })?;
    Ok(crate::report::render(&report, format))
}
