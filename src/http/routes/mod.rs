//! One module per resource; each handler parses, calls the store, answers.

pub mod assessments;
pub mod audit;
pub mod auth;
pub mod changelog;
pub mod checklists;
pub mod compliance;
pub mod health;
pub mod metrics;
pub mod planning;
pub mod projects;
pub mod report;
pub mod scorecard;
pub mod status;
pub mod tasks;
pub mod templates;
pub mod tokens;
pub mod users;

use super::error::{ApiError, FieldError};
use super::extract::path_id;
use crate::domain::{ChecklistId, ProjectId, TaskId};

/// The ids in a task path, all parsed, every bad one reported.
fn parse_ids(
    project: &str,
    checklist: Option<&str>,
    task: Option<&str>,
) -> Result<(ProjectId, Option<ChecklistId>, Option<TaskId>), ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let project = path_id(project, "projectId", ProjectId::parse)
        .map_err(|e| errors.push(e))
        .ok();
    let checklist = checklist.and_then(|raw| {
        path_id(raw, "checklistId", ChecklistId::parse)
            .map_err(|e| errors.push(e))
            .ok()
    });
    let task = task.and_then(|raw| {
        path_id(raw, "taskId", TaskId::parse)
            .map_err(|e| errors.push(e))
            .ok()
    });
    match project {
        Some(project) if errors.is_empty() => Ok((project, checklist, task)),
        _ => Err(ApiError::Validation(errors)),
    }
}

pub(crate) fn project_id(raw: &str) -> Result<ProjectId, ApiError> {
    parse_ids(raw, None, None).map(|(p, _, _)| p)
}

pub(crate) fn checklist_ids(
    project: &str,
    checklist: &str,
) -> Result<(ProjectId, ChecklistId), ApiError> {
    let (p, c, _) = parse_ids(project, Some(checklist), None)?;
    Ok((p, c.expect("parsed when present")))
}

pub(crate) fn task_ids(
    project: &str,
    checklist: &str,
    task: &str,
) -> Result<(ProjectId, ChecklistId, TaskId), ApiError> {
    let (p, c, t) = parse_ids(project, Some(checklist), Some(task))?;
    Ok((
        p,
        c.expect("parsed when present"),
        t.expect("parsed when present"),
    ))
}
