//! What one row of each table holds, and how rows become domain values.
//!
//! Records deserialize through the domain types' parse constructors, so a row
//! that no longer satisfies the rules surfaces as corruption rather than
//! silently reaching a client. Personal fields are held as [`Sealed`] bytes,
//! bound to their table, record and field (see [`crate::crypto`]), and are
//! opened only while a row becomes a domain value.

use super::error::StoreError;
use crate::crypto::{Keyring, binding};
use crate::domain::{
    Checklist, ChecklistId, ChecklistName, Description, DueDate, Millis, OwnerEmail, Pillar,
    Project, ProjectId, ProjectName, Task, TaskId, TaskNotes, TaskStatus, TaskTitle, TextError,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};

/// Ciphertext of one sensitive field, base64 in the JSON row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed(pub Vec<u8>);

impl Serialize for Sealed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Sealed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        B64.decode(text)
            .map(Sealed)
            .map_err(serde::de::Error::custom)
    }
}

/// A sensitive field's place, which its ciphertext is bound to.
#[derive(Debug, Clone, Copy)]
pub struct FieldSlot {
    pub table: &'static str,
    pub field: &'static str,
}

pub const OWNER_EMAIL: FieldSlot = FieldSlot {
    table: "projects",
    field: "owner_email",
};
pub const NOTES: FieldSlot = FieldSlot {
    table: "tasks",
    field: "notes",
};

impl FieldSlot {
    pub fn seal(self, ring: &Keyring, record: u128, plaintext: &str) -> Sealed {
        Sealed(ring.seal(
            &binding(self.table, record, self.field),
            plaintext.as_bytes(),
        ))
    }

    /// Opens and re-parses a field; any failure is reported, never papered over.
    pub fn open<T>(
        self,
        ring: &Keyring,
        record: u128,
        sealed: &Sealed,
        parse: fn(&str) -> Result<T, TextError>,
    ) -> Result<T, StoreError> {
        let corrupt = |why: String| {
            StoreError::Corrupt(format!(
                "{}.{} of record {:032x}: {why}",
                self.table, self.field, record
            ))
        };
        let bytes = ring
            .open(&binding(self.table, record, self.field), &sealed.0)
            .map_err(|e| corrupt(e.to_string()))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt("not UTF-8".into()))?;
        parse(text).map_err(|e| corrupt(e.to_string()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectRecord {
    pub name: ProjectName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<Sealed>,
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
    pub notes: Option<Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DueDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pillar: Option<Pillar>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// When it was last marked done; kept while it stays done, for the
    /// "done for 30 days" rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<Millis>,
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
    pub fn into_project(
        self,
        id: ProjectId,
        checklists: Vec<Checklist>,
        ring: &Keyring,
    ) -> Result<Project, StoreError> {
        let owner_email = match &self.owner_email {
            Some(sealed) => {
                Some(OWNER_EMAIL.open(ring, id.as_u128(), sealed, OwnerEmail::parse)?)
            }
            None => None,
        };
        Ok(Project {
            id,
            name: self.name,
            description: self.description,
            owner_email,
            created_at: self.created_at,
            updated_at: self.updated_at,
            checklists,
            headline: None,
            compliance_review_overdue: false,
        })
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
    pub fn into_task(
        self,
        id: TaskId,
        checklist_id: ChecklistId,
        ring: &Keyring,
    ) -> Result<Task, StoreError> {
        let notes = match &self.notes {
            Some(sealed) => Some(NOTES.open(ring, id.as_u128(), sealed, TaskNotes::parse)?),
            None => None,
        };
        Ok(Task {
            id,
            checklist_id,
            title: self.title,
            status: self.status,
            notes,
            due_date: self.due_date,
            pillar: self.pillar,
            required: self.required,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
