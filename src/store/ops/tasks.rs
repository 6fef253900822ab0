//! Creating, changing and deleting a task, each checked against its
//! project and checklist first.

use super::{Composite, as_expected, at_task, checklist_row, deleted, not_found, viewing};
use crate::domain::{
    ChecklistId, Expected, NewTask, ProjectId, Task, TaskChanges, TaskId, TaskStatus,
};
use crate::store::accounts::AuditContext;
use crate::store::error::{Missing, StoreError};
use crate::store::journal::{self, EventKind, Stamp, Target};
use crate::store::records::{NOTES, TaskRecord, decode, encode};
use crate::store::tables::{CHECKLISTS, PROJECTS, TASKS};
use crate::store::writer::WriteCtx;

pub fn create_task(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    checklist: ChecklistId,
    new: NewTask,
) -> Result<Task, StoreError> {
    {
        let projects = ctx.tx.open_table(PROJECTS)?;
        let checklists = ctx.tx.open_table(CHECKLISTS)?;
        checklist_row(&projects, &checklists, project, checklist)?;
    }
    let id = TaskId::from_u128(ctx.mint_id());
    let stamp = ctx.stamp();
    let record = TaskRecord {
        title: new.title,
        status: Default::default(),
        notes: new
            .notes
            .map(|notes| NOTES.seal(ctx.ring, id.as_u128(), notes.as_str())),
        due_date: new.due_date,
        pillar: new.pillar,
        required: new.required,
        done_at: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let mut tasks = ctx.tx.open_table(TASKS)?;
    put_task(
        ctx,
        &mut tasks,
        stamp,
        at_task(project, checklist, id),
        record,
    )
}

/// Stores a task row, journals it, and answers with the task.
fn put_task(
    ctx: &WriteCtx<'_>,
    tasks: &mut Composite<'_>,
    stamp: Stamp,
    target: Target,
    record: TaskRecord,
) -> Result<Task, StoreError> {
    let (checklist, id) = (
        target.checklist.expect("a task target"),
        target.task.expect("a task target"),
    );
    let row = encode(&record);
    tasks.insert((checklist, id), row.as_slice())?;
    let sealed = record.notes.is_some();
    journal::append(
        ctx.tx,
        ctx.ring,
        stamp,
        EventKind::TaskPut,
        target,
        Some(&row),
        sealed,
    )?;
    record.into_task(
        TaskId::from_u128(id),
        ChecklistId::from_u128(checklist),
        ctx.ring,
    )
}

/// Loads a task row after checking its project and checklist, naming the first missing one.
fn task_row(
    ctx: &WriteCtx<'_>,
    tasks: &Composite<'_>,
    project: ProjectId,
    checklist: ChecklistId,
    id: TaskId,
) -> Result<TaskRecord, StoreError> {
    {
        let projects = ctx.tx.open_table(PROJECTS)?;
        let checklists = ctx.tx.open_table(CHECKLISTS)?;
        checklist_row(&projects, &checklists, project, checklist)?;
    }
    match tasks.get((checklist.as_u128(), id.as_u128()))? {
        Some(row) => decode("task", row.value()),
        None => not_found(Missing::Task(id)),
    }
}

pub fn update_task(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    checklist: ChecklistId,
    id: TaskId,
    changes: TaskChanges,
    expected: &Expected,
) -> Result<Task, StoreError> {
    as_expected(expected, || {
        viewing(ctx, |t| t.task_in(project, checklist, id))
    })?;
    let stamp: Stamp = ctx.stamp();
    let mut tasks = ctx.tx.open_table(TASKS)?;
    let mut record = task_row(ctx, &tasks, project, checklist, id)?;
    if let Some(status) = changes.status {
        record.done_at = match (status, record.status) {
            (TaskStatus::Done, TaskStatus::Done) => record.done_at,
            (TaskStatus::Done, _) => Some(ctx.now),
            _ => None,
        };
        record.status = status;
    }
    if let Some(pillar) = changes.pillar {
        record.pillar = pillar;
    }
    if let Some(required) = changes.required {
        record.required = required;
    }
    if let Some(title) = changes.title {
        record.title = title;
    }
    if let Some(notes) = changes.notes {
        record.notes = notes.map(|notes| NOTES.seal(ctx.ring, id.as_u128(), notes.as_str()));
    }
    if let Some(due_date) = changes.due_date {
        record.due_date = due_date;
    }
    record.updated_at = ctx.now;
    put_task(
        ctx,
        &mut tasks,
        stamp,
        at_task(project, checklist, id),
        record,
    )
}

pub fn delete_task(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    checklist: ChecklistId,
    id: TaskId,
    who: &AuditContext,
    expected: &Expected,
) -> Result<(), StoreError> {
    as_expected(expected, || {
        viewing(ctx, |t| t.task_in(project, checklist, id))
    })?;
    let stamp = (ctx.stamp(), ctx.stamp());
    let mut tasks = ctx.tx.open_table(TASKS)?;
    task_row(ctx, &tasks, project, checklist, id)?;
    tasks.remove((checklist.as_u128(), id.as_u128()))?;
    deleted(
        ctx,
        stamp,
        EventKind::TaskDelete,
        at_task(project, checklist, id),
        who,
        "task.delete",
        format!("task:{id}"),
    )
}
