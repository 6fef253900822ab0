//! The store's projects, checklists and tasks: reads in their own read
//! transaction, changes queued for the writer, which applies them with
//! [`super::ops`].

use super::accounts::AuditContext;
use super::{Missing, Store, StoreError, ops, tables};
use crate::domain::{
    Checklist, ChecklistId, NewChecklist, NewProject, NewTask, Project, ProjectChanges, ProjectId,
    Task, TaskChanges, TaskId,
};
use redb::{ReadableDatabase, ReadableTableMetadata};

/// One page of the project list.
pub struct ProjectPage {
    pub projects: Vec<Project>,
    /// The cursor for the next page, when there is one.
    pub next: Option<ProjectId>,
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
    ) -> Result<Project, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_project(ctx, id, changes))
            .await
    }

    pub async fn delete_project(&self, id: ProjectId, who: AuditContext) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_project(ctx, id, &who))
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
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| ops::rename_checklist(ctx, project, id, new))
            .await
    }

    pub async fn delete_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_checklist(ctx, project, id, &who))
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
    ) -> Result<Task, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_task(ctx, project, checklist, id, changes))
            .await
    }

    pub async fn delete_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_task(ctx, project, checklist, id, &who))
            .await
    }
}
