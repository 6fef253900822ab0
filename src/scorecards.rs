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
    let mut planning = store.planning(project)?;
    if !include_personal {
        strip_personal(&mut planning);
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
        planning,
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

/// Removes what may name people from the planning records: everything of a
/// stakeholder but the role, the people an alignment row lists, the
/// compliance owner and the reviewers.
fn strip_personal(planning: &mut crate::store::planning::Planning) {
    for row in &mut planning.alignment {
        row.value.stakeholders = None;
    }
    for row in &mut planning.stakeholders {
        let value = &mut row.value;
        value.why_they_care = None;
        value.success = None;
        value.cadence = None;
        value.risks = None;
        value.owner = None;
    }
    if let Some(rhythm) = &mut planning.compliance {
        rhythm.value.owner = None;
    }
    for review in &mut planning.reviews {
        review.value.reviewer = None;
    }
}
