//! Validated requests to change the domain: what a create or an edit carries
//! once every field has been parsed. `Option<Option<T>>` distinguishes
//! "leave as is" (`None`) from "clear" (`Some(None)`).

use super::{
    ChecklistName, Description, DueDate, OwnerEmail, Pillar, ProjectName, TaskNotes, TaskStatus,
    TaskTitle,
};

#[derive(Debug, Clone)]
pub struct NewProject {
    pub name: ProjectName,
    pub description: Option<Description>,
    pub owner_email: Option<OwnerEmail>,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub name: Option<ProjectName>,
    pub description: Option<Option<Description>>,
    pub owner_email: Option<Option<OwnerEmail>>,
}

#[derive(Debug, Clone)]
pub struct NewChecklist {
    pub name: ChecklistName,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: TaskTitle,
    pub notes: Option<TaskNotes>,
    pub due_date: Option<DueDate>,
    pub pillar: Option<Pillar>,
    pub required: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TaskChanges {
    pub status: Option<TaskStatus>,
    pub title: Option<TaskTitle>,
    pub notes: Option<Option<TaskNotes>>,
    pub due_date: Option<Option<DueDate>>,
    pub pillar: Option<Option<Pillar>>,
    pub required: Option<bool>,
}
