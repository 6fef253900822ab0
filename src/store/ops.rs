//! The changes the writer applies, one function per API write.
//!
//! Each function checks everything it needs (parents exist, the row exists)
//! before its first write, so a refused change leaves the batch's transaction
//! exactly as it found it. Each successful change appends its journal event
//! in the same transaction.

use super::accounts::{self, AuditContext};
use super::error::{Missing, StoreError};
use super::journal::{self, EventKind, Stamp, Target};
use super::read::{Tables, children_of};
use super::records::{
    ChecklistRecord, NOTES, OWNER_EMAIL, ProjectRecord, TaskRecord, decode, encode,
};
use super::tables::{CHECKLISTS, PROJECTS, TASKS};
use super::writer::WriteCtx;
use crate::domain::{
    Checklist, ChecklistId, NewChecklist, NewProject, NewTask, Project, ProjectChanges, ProjectId,
    Task, TaskChanges, TaskId,
};
use redb::{ReadableTable, Table};

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
) -> Result<Project, StoreError> {
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
    let checklists = ctx.tx.open_table(CHECKLISTS)?;
    let tasks = ctx.tx.open_table(TASKS)?;
    let tables = Tables {
        projects: &projects,
        checklists: &checklists,
        tasks: &tasks,
        ring: ctx.ring,
    };
    record.into_project(id, tables.checklists_of(id)?, ctx.ring)
}

pub fn delete_project(
    ctx: &mut WriteCtx<'_>,
    id: ProjectId,
    who: &AuditContext,
) -> Result<(), StoreError> {
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
) -> Result<Checklist, StoreError> {
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
) -> Result<(), StoreError> {
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
) -> Result<Task, StoreError> {
    let stamp: Stamp = ctx.stamp();
    let mut tasks = ctx.tx.open_table(TASKS)?;
    let mut record = task_row(ctx, &tasks, project, checklist, id)?;
    if let Some(status) = changes.status {
        record.status = status;
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
) -> Result<(), StoreError> {
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
