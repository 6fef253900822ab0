//! Every stored field and its class. Personal data (`pii`) and secrets are
//! never written in plain text: `pii` fields are sealed under the data key,
//! and the one `secret` is the data key itself, stored only age-wrapped.
//!
//! A unit test serializes a full record of every table and fails when a field
//! is missing here, so a new field cannot be stored without a decision.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Safe to log, export and show to any operator.
    Operational,
    /// Personal data: sealed at rest, never logged.
    Pii,
    /// Key material: stored only wrapped, never shown.
    Secret,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Operational => "operational",
            Class::Pii => "pii",
            Class::Secret => "secret",
        })
    }
}

/// One stored field: where it lives and its class.
#[derive(Debug, Clone, Copy)]
pub struct StoredField {
    pub table: &'static str,
    pub field: &'static str,
    pub class: Class,
}

impl StoredField {
    /// How the field is protected at rest; for personal data, read off the
    /// one list of sealed fields.
    pub fn protection(&self) -> &'static str {
        match self.class {
            Class::Operational => "plain",
            Class::Pii if super::sealed::is_sealed(self.table, self.field) => {
                "sealed (XChaCha20-Poly1305, data key)"
            }
            Class::Pii => "copies of sealed records (their fields stay sealed)",
            Class::Secret if self.field.ends_with("hash") => "a one-way hash (argon2id or SHA-256)",
            Class::Secret => "age-wrapped to the operator's recipient",
        }
    }
}

const fn field(table: &'static str, field: &'static str, class: Class) -> StoredField {
    StoredField {
        table,
        field,
        class,
    }
}

use Class::{Operational as Op, Pii, Secret};

pub const FIELDS: &[StoredField] = &[
    field("projects", "name", Op),
    field("projects", "description", Op),
    field("projects", "owner_email", Pii),
    field("projects", "created_at", Op),
    field("projects", "updated_at", Op),
    field("checklists", "name", Op),
    field("checklists", "created_at", Op),
    field("checklists", "updated_at", Op),
    field("tasks", "title", Op),
    field("tasks", "status", Op),
    field("tasks", "notes", Pii),
    field("tasks", "due_date", Op),
    field("tasks", "pillar", Op),
    field("tasks", "required", Op),
    field("tasks", "done_at", Op),
    field("tasks", "created_at", Op),
    field("tasks", "updated_at", Op),
    field("meta", "schema_version", Op),
    field("meta", "created_at", Op),
    field("meta", "id_high_water", Op),
    field("meta", "demo_seeded", Op),
    field("meta", "data_key_wrapped", Secret),
    field("meta", "data_key_fingerprint", Op),
    field("meta", "data_key_recipients", Op),
    field("meta", "data_key_created_at", Op),
    field("meta", "last_backup", Op),
    field("meta", "snapshot_at", Op),
    field("journal", "id", Op),
    field("journal", "at", Op),
    field("journal", "type", Op),
    field("journal", "projectId", Op),
    field("journal", "checklistId", Op),
    field("journal", "taskId", Op),
    field("journal", "keyFingerprint", Op),
    // A copy of a stored record: its personal fields stay sealed.
    field("journal", "record", Pii),
    field("users", "email", Pii),
    field("users", "role", Op),
    field("users", "password_hash", Secret),
    field("users", "created_at", Op),
    field("user_emails", "index", Op),
    field("sessions", "user", Op),
    field("sessions", "created_at", Op),
    field("sessions", "last_seen_at", Op),
    field("tokens", "user", Op),
    field("tokens", "name", Op),
    field("tokens", "hash", Secret),
    field("tokens", "created_at", Op),
    field("tokens", "last_used_at", Op),
    field("token_hashes", "index", Op),
    field("audit", "id", Op),
    field("audit", "at", Op),
    field("audit", "actor", Op),
    field("audit", "action", Op),
    field("audit", "target", Op),
    field("audit", "clientIp", Op),
    field("audit", "requestId", Op),
    field("assessments", "recorded_at", Op),
    // Per pillar: score, target, evidence and links describe the system.
    field("assessments", "scores", Op),
    field("assessments", "owners", Pii),
    field("templates", "name", Op),
    field("templates", "tasks", Op),
    field("templates", "created_at", Op),
    // Planning rows keep their operational fields plain and seal the rest
    // (the personal fields each kind names) as one value.
    field("north_stars", "plain", Op),
    field("north_stars", "sealed", Pii),
    field("north_stars", "created_at", Op),
    field("north_stars", "updated_at", Op),
    field("north_star_rows", "plain", Op),
    field("north_star_rows", "sealed", Pii),
    field("north_star_rows", "created_at", Op),
    field("north_star_rows", "updated_at", Op),
    field("stakeholders", "plain", Op),
    field("stakeholders", "sealed", Pii),
    field("stakeholders", "created_at", Op),
    field("stakeholders", "updated_at", Op),
    field("compliance", "plain", Op),
    field("compliance", "sealed", Pii),
    field("compliance", "created_at", Op),
    field("compliance", "updated_at", Op),
    field("compliance_inventory", "plain", Op),
    field("compliance_inventory", "sealed", Pii),
    field("compliance_inventory", "created_at", Op),
    field("compliance_inventory", "updated_at", Op),
    field("compliance_triggers", "plain", Op),
    field("compliance_triggers", "sealed", Pii),
    field("compliance_triggers", "created_at", Op),
    field("compliance_triggers", "updated_at", Op),
    field("compliance_vendors", "plain", Op),
    field("compliance_vendors", "sealed", Pii),
    field("compliance_vendors", "created_at", Op),
    field("compliance_vendors", "updated_at", Op),
    field("compliance_reviews", "plain", Op),
    field("compliance_reviews", "sealed", Pii),
    field("compliance_reviews", "created_at", Op),
    field("compliance_reviews", "updated_at", Op),
    // The answers kept for retried POSTs: whose key, which request, and the
    // answer itself, sealed, since it may repeat any personal field.
    field("idempotency", "scope", Op),
    field("idempotency", "key", Op),
    field("idempotency", "fingerprint", Op),
    field("idempotency", "status", Op),
    field("idempotency", "headers", Op),
    field("idempotency", "answer", Pii),
    field("idempotency", "created_at", Op),
];

pub fn class_of(table: &str, name: &str) -> Option<Class> {
    FIELDS
        .iter()
        .find(|f| f.table == table && f.field == name)
        .map(|f| f.class)
}

/// `(class, count)` for a one-line summary.
pub fn summary() -> Vec<(Class, usize)> {
    [Op, Pii, Secret]
        .into_iter()
        .map(|c| (c, FIELDS.iter().filter(|f| f.class == c).count()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::{ChecklistRecord, ProjectRecord, Sealed, TaskRecord};
    use crate::store::tables::meta_key;

    fn stored_names<T: serde::Serialize>(record: &T) -> Vec<String> {
        serde_json::to_value(record)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn every_field_of_every_stored_record_has_a_class() {
        let sealed = || Some(Sealed(vec![1]));
        let project = ProjectRecord {
            name: "Name".to_owned().try_into().unwrap(),
            description: Some("d".to_owned().try_into().unwrap()),
            owner_email: sealed(),
            created_at: 0,
            updated_at: 0,
        };
        let checklist = ChecklistRecord {
            name: "Name".to_owned().try_into().unwrap(),
            created_at: 0,
            updated_at: 0,
        };
        let task = TaskRecord {
            title: "Title".to_owned().try_into().unwrap(),
            status: Default::default(),
            notes: sealed(),
            due_date: Some("2026-01-01".to_owned().try_into().unwrap()),
            pillar: Some(crate::domain::Pillar::Security),
            required: true,
            done_at: Some(0),
            created_at: 0,
            updated_at: 0,
        };
        let rows = [
            ("projects", stored_names(&project)),
            ("checklists", stored_names(&checklist)),
            ("tasks", stored_names(&task)),
        ];
        for (table, names) in rows {
            for name in names {
                assert!(
                    class_of(table, &name).is_some(),
                    "{table}.{name} is stored but has no class"
                );
            }
        }
        for key in meta_key::ALL {
            assert!(
                class_of("meta", key).is_some(),
                "meta.{key} is stored but has no class"
            );
        }
    }

    #[test]
    fn personal_data_is_classified_pii() {
        assert_eq!(class_of("projects", "owner_email"), Some(Class::Pii));
        assert_eq!(class_of("tasks", "notes"), Some(Class::Pii));
        assert_eq!(class_of("meta", "data_key_wrapped"), Some(Class::Secret));
    }
}
