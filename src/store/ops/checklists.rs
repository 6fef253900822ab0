//! Creating, renaming and deleting a checklist; deleting one removes its
//! tasks in the same transaction.

use super::{
    Composite, as_expected, at_checklist, checklist_row, deleted, require_project, viewing,
};
use crate::domain::{Checklist, ChecklistId, Expected, NewChecklist, ProjectId};
use crate::store::accounts::AuditContext;
use crate::store::error::StoreError;
use crate::store::journal::{self, EventKind, Stamp};
use crate::store::read::{Tables, children_of};
use crate::store::records::{ChecklistRecord, encode};
use crate::store::tables::{CHECKLISTS, PROJECTS, TASKS};
use crate::store::writer::WriteCtx;

pub fn create_checklist(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    new: NewChecklist,
) -> Result<Checklist, StoreError> {
    require_project(&ctx.tx.open_table(PROJECTS)?, project)?;
    let id = ChecklistId::from_u128(ctx.mint_id());
    let stamp = ctx.stamp();
    let record = ChecklistRecord {
        name: new.name,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    put_checklist(
        ctx,
        &mut ctx.tx.open_table(CHECKLISTS)?,
        stamp,
        project,
        id,
        &record,
    )?;
    Ok(record.into_checklist(id, project, Vec::new()))
}

/// Stores a checklist row and journals it.
fn put_checklist(
    ctx: &WriteCtx<'_>,
    checklists: &mut Composite<'_>,
    stamp: Stamp,
    project: ProjectId,
    id: ChecklistId,
    record: &ChecklistRecord,
) -> Result<(), StoreError> {
    let row = encode(record);
    checklists.insert((project.as_u128(), id.as_u128()), row.as_slice())?;
    let target = at_checklist(project, id);
    journal::append(
        ctx.tx,
        ctx.ring,
        stamp,
        EventKind::ChecklistPut,
        target,
        Some(&row),
        false,
    )
}

pub fn rename_checklist(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    id: ChecklistId,
    new: NewChecklist,
    expected: &Expected,
) -> Result<Checklist, StoreError> {
    as_expected(expected, || viewing(ctx, |t| t.checklist_in(project, id)))?;
    let stamp = ctx.stamp();
    let projects = ctx.tx.open_table(PROJECTS)?;
    let mut checklists = ctx.tx.open_table(CHECKLISTS)?;
    let mut record = checklist_row(&projects, &checklists, project, id)?;
    record.name = new.name;
    record.updated_at = ctx.now;
    put_checklist(ctx, &mut checklists, stamp, project, id, &record)?;
    let tasks = ctx.tx.open_table(TASKS)?;
    let tables = Tables {
        projects: &projects,
        checklists: &checklists,
        tasks: &tasks,
        ring: ctx.ring,
    };
    Ok(record.into_checklist(id, project, tables.tasks_of(id)?))
}

pub fn delete_checklist(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    id: ChecklistId,
    who: &AuditContext,
    expected: &Expected,
) -> Result<(), StoreError> {
    as_expected(expected, || viewing(ctx, |t| t.checklist_in(project, id)))?;
    let stamp = (ctx.stamp(), ctx.stamp());
    let projects = ctx.tx.open_table(PROJECTS)?;
    let mut checklists = ctx.tx.open_table(CHECKLISTS)?;
    checklist_row(&projects, &checklists, project, id)?;
    ctx.tx
        .open_table(TASKS)?
        .retain_in(children_of(id.as_u128()), |_, _| false)?;
    checklists.remove((project.as_u128(), id.as_u128()))?;
    deleted(
        ctx,
        stamp,
        EventKind::ChecklistDelete,
        at_checklist(project, id),
        who,
        "checklist.delete",
        format!("checklist:{id}"),
    )
}
