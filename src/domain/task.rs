//! Tasks: the items of a checklist, moving pending → in progress → done.

use super::text::{Lines, bounded_text};
use super::{ChecklistId, Millis, TaskId, TextError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

bounded_text!(
    /// A task's title: 3–120 characters after trimming, one line.
    TaskTitle, 3, 120, Lines::Single
);

bounded_text!(
    /// A task's notes: at most 4,000 characters. Personal data: sealed at rest.
    redacted TaskNotes, 0, 4000, Lines::Multi
);

/// Where a task stands. New tasks are `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    #[default]
    Pending,
    InProgress,
    Done,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [Self::Pending, Self::InProgress, Self::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(TextError::Invalid(
                "must be one of pending, in_progress, done",
            ))
    }
}

/// A calendar due date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DueDate(time::Date);

impl DueDate {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
            time::macros::format_description!("[year repr:full base:calendar]-[month]-[day]");
        let invalid = TextError::Invalid("must be a calendar date formatted YYYY-MM-DD");
        // The format alone would accept a sign or more than four year digits.
        if raw.len() != 10 || !raw.is_ascii() {
            return Err(invalid);
        }
        time::Date::parse(raw, FORMAT)
            .map(Self)
            .map_err(|_| invalid)
    }

    pub fn date(self) -> time::Date {
        self.0
    }
}

impl TryFrom<String> for DueDate {
    type Error = TextError;
    fn try_from(raw: String) -> Result<Self, TextError> {
        Self::parse(&raw)
    }
}

impl From<DueDate> for String {
    fn from(value: DueDate) -> String {
        let d = value.0;
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// A task, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    #[schema(value_type = uuid::Uuid)]
    pub id: TaskId,
    #[schema(value_type = uuid::Uuid)]
    pub checklist_id: ChecklistId,
    #[schema(value_type = String, min_length = 3, max_length = 120)]
    pub title: TaskTitle,
    pub status: TaskStatus,
    #[schema(value_type = Option<String>, max_length = 4000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<TaskNotes>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DueDate>,
    /// The pillar the task strengthens, if it is tagged with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pillar: Option<super::Pillar>,
    /// Whether the project's readiness level waits for it.
    pub required: bool,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[serde(with = "super::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_titles_follow_the_three_to_120_character_rule() {
        assert!(TaskTitle::parse(&"名".repeat(120)).is_ok());
        assert!(TaskTitle::parse(&"名".repeat(121)).is_err());
        assert!(TaskTitle::parse("  ab  ").is_err());
        assert!(TaskTitle::parse("tab\there").is_err());
    }

    #[test]
    fn notes_hold_up_to_4000_characters_of_multi_line_text() {
        assert!(TaskNotes::parse(&"ü".repeat(4000)).is_ok());
        assert!(TaskNotes::parse(&"ü".repeat(4001)).is_err());
        assert!(TaskNotes::parse("line one\nline two").is_ok());
        assert!(TaskNotes::parse("nul\u{0}byte").is_err());
    }

    #[test]
    fn statuses_use_the_prototype_spelling() {
        assert_eq!(TaskStatus::parse("in_progress"), Ok(TaskStatus::InProgress));
        assert!(TaskStatus::parse("IN_PROGRESS").is_err());
        assert!(TaskStatus::parse("started").is_err());
        assert_eq!(TaskStatus::default(), TaskStatus::Pending);
    }

    #[test]
    fn due_dates_are_real_calendar_days_in_iso_form() {
        assert_eq!(
            String::from(DueDate::parse("2026-02-28").unwrap()),
            "2026-02-28"
        );
        assert!(DueDate::parse("2028-02-29").is_ok());
        for bad in [
            "2026-02-30",
            "2026-2-1",
            "26-02-01",
            "2026-13-01",
            "+2026-01-01",
            "2026-01-01T00:00:00Z",
            "",
            "２０２６-01-01",
        ] {
            assert!(DueDate::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
