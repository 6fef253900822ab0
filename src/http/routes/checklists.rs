//! `/api/v1/projects/{projectId}/checklists[/{checklistId}]`.

use super::{checklist_ids, project_id};
use crate::domain::{Checklist, NewChecklist, NewTask};
use crate::http::access::Caller;
use crate::http::dto::{ChecklistBody, CreateChecklist};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::store::Store;
use crate::store::readiness::TemplateRef;
use actix_web::{HttpResponse, web};

#[utoipa::path(post, path = "/api/v1/projects/{projectId}/checklists", tag = "checklists", request_body = CreateChecklist,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 201, description = "Created, with the template's tasks when one was named", body = Checklist),
        (status = 400, description = "A bad name, or a template that is neither a built-in id nor a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or the template does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create(
    store: web::Data<Store>,
    path: web::Path<String>,
    body: JsonBody<CreateChecklist>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let body = body.0;
    let Some(raw) = body.template else {
        let name = body
            .name
            .ok_or_else(|| ApiError::field("name", "is required unless a template is named"))?;
        let new = NewChecklist::try_from(ChecklistBody { name })?;
        return Ok(HttpResponse::Created().json(store.create_checklist(project, new).await?));
    };
    let which = TemplateRef::parse(&raw).ok_or_else(|| {
        ApiError::field(
            "template",
            "must be a built-in template's id or a custom template's UUID; GET /api/v1/templates lists them",
        )
    })?;
    // Well formed but missing, like a path naming a record that is not there.
    let template = store
        .blocking(move |s| s.template(which))
        .await?
        .ok_or_else(|| ApiError::Missing(format!("template {}", raw.trim())))?;
    let name = body.name.unwrap_or_else(|| template.name.clone());
    let new = NewChecklist::try_from(ChecklistBody { name })?;
    let tasks = template
        .tasks
        .into_iter()
        .map(|t| NewTask {
            title: t.title,
            notes: None,
            due_date: None,
            pillar: t.pillar,
            required: t.required,
        })
        .collect();
    Ok(HttpResponse::Created().json(store.create_checklist_with(project, new, tasks).await?))
}

#[utoipa::path(patch, path = "/api/v1/projects/{projectId}/checklists/{checklistId}", tag = "checklists", request_body = ChecklistBody,
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Checklist),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or checklist does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update(
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
    body: JsonBody<ChecklistBody>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    let new = NewChecklist::try_from(body.0)?;
    Ok(HttpResponse::Ok().json(store.rename_checklist(project, checklist, new).await?))
}

#[utoipa::path(delete, path = "/api/v1/projects/{projectId}/checklists/{checklistId}", tag = "checklists",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Deleted with its tasks"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    caller: Caller,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    store
        .delete_checklist(project, checklist, caller.audit)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
