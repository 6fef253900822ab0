//! Request bodies as clients send them, and their conversion into validated
//! domain changes. Conversion reports every bad field at once.

use super::error::{ApiError, FieldError};
use crate::domain::{
    ChecklistName, Description, DueDate, NewChecklist, NewProject, NewTask, OwnerEmail, Pillar,
    ProjectChanges, ProjectName, TaskChanges, TaskNotes, TaskStatus, TaskTitle, TextError,
};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Collects field errors while a body is converted.
#[derive(Default)]
struct Fields(Vec<FieldError>);

impl Fields {
    fn check<T>(&mut self, field: &str, parsed: Result<T, TextError>) -> Option<T> {
        parsed
            .map_err(|e| self.0.push(FieldError::new(field, e.to_string())))
            .ok()
    }

    /// An optional field: absent or `null` both mean "none".
    fn optional<T>(
        &mut self,
        field: &str,
        raw: Option<String>,
        parse: fn(&str) -> Result<T, TextError>,
    ) -> Option<T> {
        raw.and_then(|raw| self.check(field, parse(&raw)))
    }

    /// A patch field: absent leaves it, `null` clears it, a value replaces it.
    fn patch<T>(
        &mut self,
        field: &str,
        raw: Option<Option<String>>,
        parse: fn(&str) -> Result<T, TextError>,
    ) -> Option<Option<T>> {
        match raw {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => self.check(field, parse(&raw)).map(Some),
        }
    }

    /// A patch field that may be changed but not cleared.
    fn required_patch<T>(
        &mut self,
        field: &str,
        raw: Option<Option<String>>,
        parse: fn(&str) -> Result<T, TextError>,
    ) -> Option<T> {
        match raw {
            None => None,
            Some(None) => {
                self.0.push(FieldError::new(
                    field,
                    "cannot be null; leave it out to keep the current value",
                ));
                None
            }
            Some(Some(raw)) => self.check(field, parse(&raw)),
        }
    }

    fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

fn nothing_to_change() -> ApiError {
    ApiError::field("body", "name at least one field to change")
}

/// `POST /api/v1/projects`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateProject {
    #[schema(min_length = 3, max_length = 50, example = "Checkout service")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 280, extensions(("x-multiline" = json!(true))))]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(format = Email)]
    pub owner_email: Option<String>,
    /// Start from the guided kit: the Quick start checklist, an empty North
    /// Star to fill, and the compliance scan's three questions.
    #[serde(default)]
    pub starter: bool,
}

impl TryFrom<CreateProject> for NewProject {
    type Error = ApiError;
    fn try_from(body: CreateProject) -> Result<Self, ApiError> {
        let mut f = Fields::default();
        let name = f.check("name", ProjectName::parse(&body.name));
        let description = f.optional("description", body.description, Description::parse);
        let owner_email = f.optional("ownerEmail", body.owner_email, OwnerEmail::parse);
        f.finish(|| NewProject {
            name: name.expect("checked"),
            description,
            owner_email,
        })
    }
}

/// `PATCH /api/v1/projects/{projectId}`: any subset of the create fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateProject {
    /// May be changed, not cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, min_length = 3, max_length = 50)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 280, extensions(("x-multiline" = json!(true))))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Email)]
    pub owner_email: Option<Option<String>>,
}

impl TryFrom<UpdateProject> for ProjectChanges {
    type Error = ApiError;
    fn try_from(body: UpdateProject) -> Result<Self, ApiError> {
        if body.name.is_none() && body.description.is_none() && body.owner_email.is_none() {
            return Err(nothing_to_change());
        }
        let mut f = Fields::default();
        let name = f.required_patch("name", body.name, ProjectName::parse);
        let description = f.patch("description", body.description, Description::parse);
        let owner_email = f.patch("ownerEmail", body.owner_email, OwnerEmail::parse);
        f.finish(|| ProjectChanges {
            name,
            description,
            owner_email,
        })
    }
}

/// `POST …/checklists`: a name, or a template to copy (whose name it takes
/// unless one is given), or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateChecklist {
    #[serde(default)]
    #[schema(min_length = 3, max_length = 50, example = "Observability")]
    pub name: Option<String>,
    /// A built-in template id (`core-audit`, …) or a custom template's UUID.
    #[serde(default)]
    #[schema(example = "core-audit")]
    pub template: Option<String>,
}

/// `PATCH …/checklists/{checklistId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChecklistBody {
    #[schema(min_length = 3, max_length = 50, example = "Observability")]
    pub name: String,
}

impl TryFrom<ChecklistBody> for NewChecklist {
    type Error = ApiError;
    fn try_from(body: ChecklistBody) -> Result<Self, ApiError> {
        let mut f = Fields::default();
        let name = f.check("name", ChecklistName::parse(&body.name));
        f.finish(|| NewChecklist {
            name: name.expect("checked"),
        })
    }
}

/// `POST …/tasks`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateTask {
    #[schema(min_length = 3, max_length = 120, example = "Add a /ready endpoint")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 4000, extensions(("x-multiline" = json!(true))))]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(format = Date, example = "2026-12-31")]
    pub due_date: Option<String>,
    /// The pillar the task strengthens.
    #[serde(default)]
    #[schema(value_type = Option<Pillar>)]
    pub pillar: Option<String>,
    /// Whether the readiness level waits for it (default false).
    #[serde(default)]
    pub required: Option<bool>,
}

impl TryFrom<CreateTask> for NewTask {
    type Error = ApiError;
    fn try_from(body: CreateTask) -> Result<Self, ApiError> {
        let mut f = Fields::default();
        let title = f.check("title", TaskTitle::parse(&body.title));
        let notes = f.optional("notes", body.notes, TaskNotes::parse);
        let due_date = f.optional("dueDate", body.due_date, DueDate::parse);
        let pillar = f.optional("pillar", body.pillar, Pillar::parse);
        f.finish(|| NewTask {
            title: title.expect("checked"),
            notes,
            due_date,
            pillar,
            required: body.required.unwrap_or(false),
        })
    }
}

/// `PATCH …/tasks/{taskId}`: any of status, title, notes, dueDate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateTask {
    /// May be changed, not cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = TaskStatus)]
    pub status: Option<Option<String>>,
    /// May be changed, not cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, min_length = 3, max_length = 120)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 4000, extensions(("x-multiline" = json!(true))))]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Pillar>)]
    pub pillar: Option<Option<String>>,
    /// May be changed, not cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    pub required: Option<Option<bool>>,
}

impl TryFrom<UpdateTask> for TaskChanges {
    type Error = ApiError;
    fn try_from(body: UpdateTask) -> Result<Self, ApiError> {
        if body.status.is_none()
            && body.title.is_none()
            && body.notes.is_none()
            && body.due_date.is_none()
            && body.pillar.is_none()
            && body.required.is_none()
        {
            return Err(nothing_to_change());
        }
        let mut f = Fields::default();
        let status = f.required_patch("status", body.status, TaskStatus::parse);
        let title = f.required_patch("title", body.title, TaskTitle::parse);
        let notes = f.patch("notes", body.notes, TaskNotes::parse);
        let due_date = f.patch("dueDate", body.due_date, DueDate::parse);
        let pillar = f.patch("pillar", body.pillar, Pillar::parse);
        let required = match body.required {
            Some(None) => {
                f.0.push(FieldError::new(
                    "required",
                    "cannot be null; send true or false",
                ));
                None
            }
            other => other.flatten(),
        };
        f.finish(|| TaskChanges {
            status,
            title,
            notes,
            due_date,
            pillar,
            required,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::extract::parse_json;

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_field_of_a_create_is_reported_at_once() {
        let body: CreateProject =
            parse_json(br#"{"name":"x","ownerEmail":"nope","description":"ok"}"#).unwrap();
        assert_eq!(
            fields(NewProject::try_from(body).unwrap_err()),
            ["name", "ownerEmail"]
        );
    }

    #[test]
    fn a_patch_distinguishes_absent_null_and_value() {
        let body: UpdateTask = parse_json(br#"{"notes":null,"dueDate":"2026-01-02"}"#).unwrap();
        let changes = TaskChanges::try_from(body).unwrap();
        assert!(changes.status.is_none());
        assert!(matches!(changes.notes, Some(None)));
        assert!(matches!(changes.due_date, Some(Some(_))));
    }

    #[test]
    fn a_required_field_cannot_be_patched_to_null() {
        let body: UpdateTask = parse_json(br#"{"status":null}"#).unwrap();
        assert_eq!(fields(TaskChanges::try_from(body).unwrap_err()), ["status"]);
    }

    #[test]
    fn an_empty_patch_is_refused() {
        let body: UpdateProject = parse_json(b"{}").unwrap();
        assert_eq!(
            fields(ProjectChanges::try_from(body).unwrap_err()),
            ["body"]
        );
    }
}
