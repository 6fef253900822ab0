//! Checklists: named groups of tasks inside a project, kept in insertion order.

use super::text::{Lines, bounded_text};
use super::{ChecklistId, Millis, ProjectId, Task};
use serde::Serialize;
use utoipa::ToSchema;

bounded_text!(
    /// A checklist's name: 3–50 characters after trimming, one line.
    ChecklistName, 3, 50, Lines::Single
);

/// A checklist with its tasks, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checklist {
    #[schema(value_type = uuid::Uuid)]
    pub id: ChecklistId,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: ProjectId,
    #[schema(value_type = String, min_length = 3, max_length = 50)]
    pub name: ChecklistName,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Millis,
    pub tasks: Vec<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_names_follow_the_three_to_fifty_character_rule() {
        assert!(ChecklistName::parse("QA ✅").is_ok());
        assert!(ChecklistName::parse("ab").is_err());
        assert!(ChecklistName::parse(&"ß".repeat(50)).is_ok());
        assert!(ChecklistName::parse(&"ß".repeat(51)).is_err());
        assert!(ChecklistName::parse("two\nlines").is_err());
    }
}
