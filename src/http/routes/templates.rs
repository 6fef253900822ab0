//! `/api/v1/templates`: the built-in checklist templates and the custom ones
//! editors saved from a checklist. A checklist is made from one with
//! `{"template": "core-audit"}` on the checklist create.

use crate::domain::template::TemplateName;
use crate::domain::{ChecklistId, Pillar, ProjectId, TemplateId};
use crate::http::access::Caller;
use crate::http::error::{ApiError, FieldError, Problem};
use crate::http::extract::{JsonBody, path_id};
use crate::http::idempotency::{Retry, answer, replayable};
use crate::store::Store;
use crate::store::readiness::{Template, TemplateRef};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One task of a template.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateTaskView {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pillar: Option<Pillar>,
    pub required: bool,
}

/// A template: built in (a fixed id) or custom (a UUID).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateView {
    #[schema(example = "core-audit")]
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub built_in: bool,
    pub tasks: Vec<TemplateTaskView>,
}

impl From<Template> for TemplateView {
    fn from(t: Template) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            built_in: t.built_in,
            tasks: t
                .tasks
                .into_iter()
                .map(|task| TemplateTaskView {
                    title: task.title.into(),
                    pillar: task.pillar,
                    required: task.required,
                })
                .collect(),
        }
    }
}

/// `POST /api/v1/templates`: save a checklist's tasks as a template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SaveTemplate {
    pub project_id: uuid::Uuid,
    pub checklist_id: uuid::Uuid,
    #[schema(min_length = 3, max_length = 50)]
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, description = "Built-in templates first, then custom ones", body = [TemplateView])))]
#[tracing::instrument(skip_all)]
pub async fn list(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let templates = store.blocking(|s| s.templates()).await?;
    let views: Vec<TemplateView> = templates.into_iter().map(TemplateView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = SaveTemplate,
    responses(
        (status = 201, description = "Saved", body = TemplateView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or checklist does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn save(
    store: web::Data<Store>,
    caller: Caller,
    retry: Retry,
    body: JsonBody<SaveTemplate>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let name = TemplateName::parse(&body.name)
        .map_err(|e| ApiError::Validation(vec![FieldError::new("name", e.to_string())]))?;
    let project = ProjectId::from_u128(body.project_id.as_u128());
    let checklist = ChecklistId::from_u128(body.checklist_id.as_u128());
    let saved = |template: &Template| {
        let location = format!("/api/v1/templates/{}", template.id);
        answer(
            StatusCode::CREATED,
            vec![(LOCATION, location)],
            &TemplateView::from(template.clone()),
        )
    };
    let saving = store.save_template(project, checklist, name, caller.audit);
    replayable(retry, saved, saving).await
}

#[utoipa::path(delete, path = "/api/v1/templates/{templateId}", tag = "templates",
    params(("templateId" = String, Path, description = "A custom template's UUID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in template cannot be deleted", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(TemplateRef::BuiltIn(id)) = TemplateRef::parse(&path) {
        return Err(ApiError::Conflict(format!(
            "{id} is a built-in template; only custom templates can be deleted"
        )));
    }
    let id = path_id(&path, "templateId", TemplateId::parse)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    if store.delete_template(id, caller.audit).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::Missing(format!("template {id}")))
    }
}
