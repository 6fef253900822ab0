//! Creating, changing and deleting a project; deleting one removes its
//! checklists and their tasks in the same transaction.

use super::{Projects, as_expected, at_project, deleted, not_found, project_view, require_project};
use crate::domain::{Expected, NewProject, Project, ProjectChanges, ProjectId};
use crate::store::accounts::AuditContext;
use crate::store::error::{Missing, StoreError};
use crate::store::journal::{self, EventKind, Stamp};
use crate::store::read::children_of;
use crate::store::records::{OWNER_EMAIL, ProjectRecord, decode, encode};
use crate::store::tables::{CHECKLISTS, PROJECTS, TASKS};
use crate::store::writer::WriteCtx;

pub fn create_project(ctx: &mut WriteCtx<'_>, new: NewProject) -> Result<Project, StoreError> {
    let id = ProjectId::from_u128(ctx.mint_id());
    let stamp = ctx.stamp();
    let record = ProjectRecord {
        name: new.name,
        description: new.description,
        owner_email: new
            .owner_email
            .map(|email| OWNER_EMAIL.seal(ctx.ring, id.as_u128(), email.as_str())),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    put_project(ctx, &mut ctx.tx.open_table(PROJECTS)?, stamp, id, &record)?;
    record.into_project(id, Vec::new(), ctx.ring)
}

/// Stores a project row and journals it.
fn put_project(
    ctx: &WriteCtx<'_>,
    projects: &mut Projects<'_>,
    stamp: Stamp,
    id: ProjectId,
    record: &ProjectRecord,
) -> Result<(), StoreError> {
    let row = encode(record);
    projects.insert(id.as_u128(), row.as_slice())?;
    let sealed = record.owner_email.is_some();
    journal::append(
        ctx.tx,
        ctx.ring,
        stamp,
        EventKind::ProjectPut,
        at_project(id),
        Some(&row),
        sealed,
    )
}

pub fn update_project(
    ctx: &mut WriteCtx<'_>,
    id: ProjectId,
    changes: ProjectChanges,
    expected: &Expected,
) -> Result<Project, StoreError> {
    as_expected(expected, || project_view(ctx, id))?;
    let stamp = ctx.stamp();
    let mut projects = ctx.tx.open_table(PROJECTS)?;
    let mut record: ProjectRecord = match projects.get(id.as_u128())? {
        Some(row) => decode("project", row.value())?,
        None => return not_found(Missing::Project(id)),
    };
    if let Some(name) = changes.name {
        record.name = name;
    }
    if let Some(description) = changes.description {
        record.description = description;
    }
    if let Some(owner_email) = changes.owner_email {
        record.owner_email =
            owner_email.map(|email| OWNER_EMAIL.seal(ctx.ring, id.as_u128(), email.as_str()));
    }
    record.updated_at = ctx.now;
    put_project(ctx, &mut projects, stamp, id, &record)?;
    drop(projects);
    project_view(ctx, id)
}

pub fn delete_project(
    ctx: &mut WriteCtx<'_>,
    id: ProjectId,
    who: &AuditContext,
    expected: &Expected,
) -> Result<(), StoreError> {
    as_expected(expected, || project_view(ctx, id))?;
    let stamp = (ctx.stamp(), ctx.stamp());
    let mut projects = ctx.tx.open_table(PROJECTS)?;
    require_project(&projects, id)?;
    let mut checklists = ctx.tx.open_table(CHECKLISTS)?;
    let mut tasks = ctx.tx.open_table(TASKS)?;
    let mut owned = Vec::new();
    for row in checklists.range(children_of(id.as_u128()))? {
        owned.push(row?.0.value().1);
    }
    for checklist in owned {
        tasks.retain_in(children_of(checklist), |_, _| false)?;
    }
    checklists.retain_in(children_of(id.as_u128()), |_, _| false)?;
    crate::store::journal::delete_project_rows(ctx.tx, id.as_u128())?;
    projects.remove(id.as_u128())?;
    deleted(
        ctx,
        stamp,
        EventKind::ProjectDelete,
        at_project(id),
        who,
        "project.delete",
        format!("project:{id}"),
    )
}
