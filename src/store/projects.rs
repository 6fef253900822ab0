//! The store's projects, checklists and tasks: reads in their own read
//! transaction, changes queued for the writer, which applies them with
//! [`super::ops`].

use super::accounts::AuditContext;
use super::read::Tables;
use super::records::{ProjectRecord, decode};
use super::{Missing, Store, StoreError, ops, tables};
use crate::domain::{
    Checklist, ChecklistId, Expected, NewChecklist, NewProject, NewTask, Project, ProjectChanges,
    ProjectId, Task, TaskChanges, TaskId,
};

/// One page of the project list.
pub struct ProjectPage {
    pub projects: Vec<Project>,
    /// The cursor for the next page, when there is one.
    pub next: Option<ProjectId>,
}

/// How [`Store::each_project`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every project was visited, or the visitor stopped.
    Done,
    /// There were this many, more than allowed: none was visited.
    TooMany(u64),
}

impl Store {
    /// A page of projects in creation order, each with its checklists and tasks.
    pub fn list_projects(
        &self,
        after: Option<ProjectId>,
        limit: usize,
    ) -> Result<ProjectPage, StoreError> {
        let mut page = self.read(|t| {
            let mut projects = t.projects_after(after, limit + 1)?;
            let next = if projects.len() > limit {
                projects.truncate(limit);
                projects.last().map(|p| p.id)
            } else {
                None
            };
            Ok(ProjectPage { projects, next })
        })?;
        self.annotate(&mut page.projects)?;
        Ok(page)
    }

    pub fn get_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
    ) -> Result<Checklist, StoreError> {
        self.read(|t| t.checklist_in(project, id))
    }

    pub fn get_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
    ) -> Result<Task, StoreError> {
        self.read(|t| t.task_in(project, checklist, id))
    }

    pub fn get_project(&self, id: ProjectId) -> Result<Project, StoreError> {
        let project = self.read(|t| {
            t.project(id)?
                .ok_or(StoreError::NotFound(Missing::Project(id)))
        })?;
        let mut one = [project];
        self.annotate(&mut one)?;
        let [project] = one;
        Ok(project)
    }

    /// How many projects the store holds.
    pub fn project_count(&self) -> Result<u64, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        tx.open_table(tables::PROJECTS)?.len()
    }

    /// Every project in creation order, each with its checklists, tasks and
    /// planning annotations, from one read transaction. They are handed to
    /// `visit` one at a time, so a list of any length is never held whole;
    /// `visit` returns `false` to stop. When that transaction holds more
    /// than `at_most` projects, none is visited. The key ring is taken per
    /// project, so a slow reader never holds up a key rotation.
    pub fn each_project(
        &self,
        at_most: u64,
        mut visit: impl FnMut(Project) -> bool,
    ) -> Result<Listing, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        let projects = tx.open_table(tables::PROJECTS)?;
        let count = projects.len()?;
        if count > at_most {
            return Ok(Listing::TooMany(count));
        }
        let checklists = tx.open_table(tables::CHECKLISTS)?;
        let tasks = tx.open_table(tables::TASKS)?;
        let annotations = super::planning::Annotations::open(&tx)?;
        for row in projects.range(0..)? {
            let (key, value) = row?;
            let id = ProjectId::from_u128(key.value());
            let record: ProjectRecord = decode("project", value.value())?;
            let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
            let nested = Tables {
                projects: &projects,
                checklists: &checklists,
                tasks: &tasks,
                ring: &ring,
            };
            let mut project = record.into_project(id, nested.checklists_of(id)?, &ring)?;
            drop(ring);
            annotations.apply(&mut project)?;
            if !visit(project) {
                break;
            }
        }
        Ok(Listing::Done)
    }

    /// Adds each project's North Star headline and compliance flag.
    fn annotate(&self, projects: &mut [Project]) -> Result<(), StoreError> {
        let tx = self.db.get()?.begin_read()?;
        super::planning::annotate(&tx, projects)
    }

    /// Row counts per table, for reports.
    pub fn counts(&self) -> Result<[(&'static str, u64); 3], StoreError> {
        let tx = self.db.get()?.begin_read()?;
        Ok([
            ("projects", tx.open_table(tables::PROJECTS)?.len()?),
            ("checklists", tx.open_table(tables::CHECKLISTS)?.len()?),
            ("tasks", tx.open_table(tables::TASKS)?.len()?),
        ])
    }

    pub async fn create_project(&self, new: NewProject) -> Result<Project, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_project(ctx, new))
            .await
    }

    pub async fn update_project(
        &self,
        id: ProjectId,
        changes: ProjectChanges,
        expected: Expected,
    ) -> Result<Project, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_project(ctx, id, changes, &expected))
            .await
    }

    pub async fn delete_project(
        &self,
        id: ProjectId,
        who: AuditContext,
        expected: Expected,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_project(ctx, id, &who, &expected))
            .await
    }

    pub async fn create_checklist(
        &self,
        project: ProjectId,
        new: NewChecklist,
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_checklist(ctx, project, new))
            .await
    }

    pub async fn rename_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
        new: NewChecklist,
        expected: Expected,
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| ops::rename_checklist(ctx, project, id, new, &expected))
            .await
    }

    pub async fn delete_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
        who: AuditContext,
        expected: Expected,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_checklist(ctx, project, id, &who, &expected))
            .await
    }

    pub async fn create_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        new: NewTask,
    ) -> Result<Task, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_task(ctx, project, checklist, new))
            .await
    }

    pub async fn update_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
        changes: TaskChanges,
        expected: Expected,
    ) -> Result<Task, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_task(ctx, project, checklist, id, changes, &expected))
            .await
    }

    pub async fn delete_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
        who: AuditContext,
        expected: Expected,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_task(ctx, project, checklist, id, &who, &expected))
            .await
    }
}
