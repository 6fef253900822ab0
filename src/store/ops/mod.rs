//! The changes the writer applies, one function per API write.
//!
//! Each function checks everything it needs (parents exist, the row exists)
//! before its first write, so a refused change leaves the batch's transaction
//! exactly as it found it. Each successful change appends its journal event
//! in the same transaction.
//!
//! The changes live one file per record kind; this module holds what they
//! share: the parent checks, the journal targets and the delete's audit.

mod checklists;
mod projects;
mod tasks;

pub use checklists::{create_checklist, delete_checklist, rename_checklist};
pub use projects::{create_project, delete_project, update_project};
pub use tasks::{create_task, delete_task, update_task};

use super::accounts::{self, AuditContext};
use super::error::{Missing, StoreError};
use super::journal::{self, EventKind, Stamp, Target};
use super::planning::Annotations;
use super::read::Tables;
use super::records::{ChecklistRecord, decode};
use super::tables::{CHECKLISTS, PROJECTS, TASKS};
use super::writer::WriteCtx;
use crate::domain::{ChecklistId, Expected, Project, ProjectId, TaskId, Version};
use crate::store::engine::Table;

type Projects<'t> = Table<'t, u128, &'static [u8]>;
type Composite<'t> = Table<'t, (u128, u128), &'static [u8]>;

fn not_found<T>(missing: Missing) -> Result<T, StoreError> {
    Err(StoreError::NotFound(missing))
}

fn require_project(projects: &Projects<'_>, id: ProjectId) -> Result<(), StoreError> {
    match projects.get(id.as_u128())? {
        Some(_) => Ok(()),
        None => not_found(Missing::Project(id)),
    }
}

/// Loads a checklist row, saying whether the project or the checklist is missing.
fn checklist_row(
    projects: &Projects<'_>,
    checklists: &Composite<'_>,
    project: ProjectId,
    id: ChecklistId,
) -> Result<ChecklistRecord, StoreError> {
    require_project(projects, project)?;
    match checklists.get((project.as_u128(), id.as_u128()))? {
        Some(row) => decode("checklist", row.value()),
        None => not_found(Missing::Checklist(id)),
    }
}

/// Journals and audits a delete: the event, then who did it.
fn deleted(
    ctx: &WriteCtx<'_>,
    (event, entry): (Stamp, Stamp),
    kind: EventKind,
    target: Target,
    who: &AuditContext,
    action: &str,
    what: String,
) -> Result<(), StoreError> {
    journal::append(ctx.tx, ctx.ring, event, kind, target, None, false)?;
    accounts::audit(ctx.tx, entry, who, action, Some(what))
}

/// Refuses a change to a resource the client read at another version.
/// `current` reads it as a `GET` shows it; it runs only when `If-Match`
/// named versions, so a change without one costs nothing more.
fn as_expected<T: serde::Serialize>(
    expected: &Expected,
    current: impl FnOnce() -> Result<T, StoreError>,
) -> Result<(), StoreError> {
    if let Expected::OneOf(_) = expected {
        let version = Version::of(&current()?);
        if !expected.admits(&version) {
            return Err(StoreError::Changed(version));
        }
    }
    Ok(())
}

/// Reads with the writer's own tables, as a read transaction would.
fn viewing<T>(
    ctx: &WriteCtx<'_>,
    read: impl FnOnce(&Tables<'_, '_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let projects = ctx.tx.open_table(PROJECTS)?;
    let checklists = ctx.tx.open_table(CHECKLISTS)?;
    let tasks = ctx.tx.open_table(TASKS)?;
    read(&Tables {
        projects: &projects,
        checklists: &checklists,
        tasks: &tasks,
        ring: ctx.ring,
    })
}

/// A project as a `GET` shows it, with its planning annotations.
fn project_view(ctx: &WriteCtx<'_>, id: ProjectId) -> Result<Project, StoreError> {
    let mut project = viewing(ctx, |t| {
        t.project(id)?
            .ok_or(StoreError::NotFound(Missing::Project(id)))
    })?;
    Annotations::open_in(ctx.tx)?.apply(&mut project)?;
    Ok(project)
}

fn at_project(project: ProjectId) -> Target {
    Target {
        project: project.as_u128(),
        checklist: None,
        task: None,
    }
}

fn at_checklist(project: ProjectId, checklist: ChecklistId) -> Target {
    Target {
        project: project.as_u128(),
        checklist: Some(checklist.as_u128()),
        task: None,
    }
}

fn at_task(project: ProjectId, checklist: ChecklistId, task: TaskId) -> Target {
    Target {
        project: project.as_u128(),
        checklist: Some(checklist.as_u128()),
        task: Some(task.as_u128()),
    }
}
