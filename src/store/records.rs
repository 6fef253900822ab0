//! What one row of each table holds, and how rows become domain values.
//!
//! Records deserialize through the domain types' parse constructors, so a row
//! that no longer satisfies the rules surfaces as corruption rather than
//! silently reaching a client.

use super::StoreError;
use crate::domain::{
    Checklist, ChecklistId, ChecklistName, Description, DueDate, Millis, OwnerEmail, Project,
    ProjectId, ProjectName, Task, TaskId, TaskNotes, TaskStatus, TaskTitle,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectRecord {
    pub name: ProjectName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<OwnerEmail>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChecklistRecord {
    pub name: ChecklistName,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    pub title: TaskTitle,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<TaskNotes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DueDate>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).expect("records contain only serializable fields")
}

pub fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("a {table} row: {e}")))
}

impl ProjectRecord {
    pub fn into_project(self, id: ProjectId, checklists: Vec<Checklist>) -> Project {
        Project {
            id,
            name: self.name,
            description: self.description,
            owner_email: self.owner_email,
            created_at: self.created_at,
            updated_at: self.updated_at,
            checklists,
        }
    }
}

impl ChecklistRecord {
    pub fn into_checklist(
        self,
        id: ChecklistId,
        project_id: ProjectId,
        tasks: Vec<Task>,
    ) -> Checklist {
        Checklist {
            id,
            project_id,
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
            tasks,
        }
    }
}

impl TaskRecord {
    pub fn into_task(self, id: TaskId, checklist_id: ChecklistId) -> Task {
        Task {
            id,
            checklist_id,
            title: self.title,
            status: self.status,
            notes: self.notes,
            due_date: self.due_date,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
