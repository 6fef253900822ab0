//! Assembling nested projects from the three tables.
//!
//! The same code serves a read transaction (readers never wait for the
//! writer) and the writer's own transaction when it answers with the value
//! it just changed.

use super::engine::Table;
use super::error::{Missing, StoreError};
use super::records::{ChecklistRecord, ProjectRecord, TaskRecord, decode};
use crate::crypto::Keyring;
use crate::domain::{Checklist, ChecklistId, Project, ProjectId, Task, TaskId};

/// The three tables a nested project is read from, borrowed from either a
/// read transaction or the writer's transaction, and the keys to open
/// sealed fields with.
pub struct Tables<'a, 't> {
    pub projects: &'a Table<'t, u128, &'static [u8]>,
    pub checklists: &'a Table<'t, (u128, u128), &'static [u8]>,
    pub tasks: &'a Table<'t, (u128, u128), &'static [u8]>,
    pub ring: &'a Keyring,
}

/// The full key range of one parent's children in a composite-key table.
pub fn children_of(parent: u128) -> std::ops::RangeInclusive<(u128, u128)> {
    (parent, 0)..=(parent, u128::MAX)
}

impl Tables<'_, '_> {
    pub fn project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        let Some(row) = self.projects.get(id.as_u128())? else {
            return Ok(None);
        };
        let record: ProjectRecord = decode("project", row.value())?;
        record
            .into_project(id, self.checklists_of(id)?, self.ring)
            .map(Some)
    }

    /// Up to `limit` projects in creation order, starting after `after`.
    pub fn projects_after(
        &self,
        after: Option<ProjectId>,
        limit: usize,
    ) -> Result<Vec<Project>, StoreError> {
        let range = match after {
            Some(id) => self.projects.range((id.as_u128().saturating_add(1))..)?,
            None => self.projects.range(0..)?,
        };
        let mut out = Vec::with_capacity(limit.min(256));
        for row in range.take(limit) {
            let (key, value) = row?;
            let id = ProjectId::from_u128(key.value());
            let record: ProjectRecord = decode("project", value.value())?;
            out.push(record.into_project(id, self.checklists_of(id)?, self.ring)?);
        }
        Ok(out)
    }

    /// A checklist with its tasks, naming the project or the checklist
    /// when missing.
    pub fn checklist_in(
        &self,
        project: ProjectId,
        id: ChecklistId,
    ) -> Result<Checklist, StoreError> {
        if self.projects.get(project.as_u128())?.is_none() {
            return Err(StoreError::NotFound(Missing::Project(project)));
        }
        let Some(row) = self.checklists.get((project.as_u128(), id.as_u128()))? else {
            return Err(StoreError::NotFound(Missing::Checklist(id)));
        };
        let record: ChecklistRecord = decode("checklist", row.value())?;
        Ok(record.into_checklist(id, project, self.tasks_of(id)?))
    }

    /// A task, naming the project, the checklist or the task when missing.
    pub fn task_in(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
    ) -> Result<Task, StoreError> {
        if self.projects.get(project.as_u128())?.is_none() {
            return Err(StoreError::NotFound(Missing::Project(project)));
        }
        if self
            .checklists
            .get((project.as_u128(), checklist.as_u128()))?
            .is_none()
        {
            return Err(StoreError::NotFound(Missing::Checklist(checklist)));
        }
        let Some(row) = self.tasks.get((checklist.as_u128(), id.as_u128()))? else {
            return Err(StoreError::NotFound(Missing::Task(id)));
        };
        let record: TaskRecord = decode("task", row.value())?;
        record.into_task(id, checklist, self.ring)
    }

    pub fn checklists_of(&self, project: ProjectId) -> Result<Vec<Checklist>, StoreError> {
        let mut out = Vec::new();
        for row in self.checklists.range(children_of(project.as_u128()))? {
            let (key, value) = row?;
            let id = ChecklistId::from_u128(key.value().1);
            let record: ChecklistRecord = decode("checklist", value.value())?;
            out.push(record.into_checklist(id, project, self.tasks_of(id)?));
        }
        Ok(out)
    }

    pub fn tasks_of(&self, checklist: ChecklistId) -> Result<Vec<Task>, StoreError> {
        let mut out = Vec::new();
        for row in self.tasks.range(children_of(checklist.as_u128()))? {
            let (key, value) = row?;
            let record: TaskRecord = decode("task", value.value())?;
            out.push(record.into_task(TaskId::from_u128(key.value().1), checklist, self.ring)?);
        }
        Ok(out)
    }
}
