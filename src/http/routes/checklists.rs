//! `/api/v1/projects/{projectId}/checklists[/{checklistId}]`.

use super::{checklist_ids, project_id};
use crate::domain::{Checklist, NewChecklist, NewTask};
use crate::http::access::Caller;
use crate::http::cache::{ResponseCache, cached_resource};
use crate::http::conditional::{IfMatch, IfMatchHeader, IfNoneMatch, created_with, versioned};
use crate::http::dto::{ChecklistBody, CreateChecklist};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{Retry, replayable};
use crate::store::Store;
use crate::store::idempotency::Answer;
use crate::store::readiness::TemplateRef;
use actix_web::{HttpRequest, HttpResponse, web};

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
    retry: Retry,
    body: JsonBody<CreateChecklist>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let body = body.0;
    let Some(raw) = body.template else {
        let name = body
            .name
            .ok_or_else(|| ApiError::field("name", "is required unless a template is named"))?;
        let new = NewChecklist::try_from(ChecklistBody { name })?;
        return replayable(retry, created, store.create_checklist(project, new)).await;
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
    replayable(
        retry,
        created,
        store.create_checklist_with(project, new, tasks),
    )
    .await
}

/// The answer to a created checklist, first time or replayed.
fn created(checklist: &Checklist) -> Answer {
    created_with(checklist, Vec::new())
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/checklists/{checklistId}", tag = "checklists",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), IfNoneMatch),
    responses(
        (status = 200, description = "The checklist with its tasks", body = Checklist, headers(("ETag" = String, description = "Strong: the digest of this representation"))),
        (status = 304, description = "The client's copy (named in If-None-Match) is current"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or checklist does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    cached_resource(
        &req,
        store,
        &cache,
        format!("checklist:{project}:{checklist}"),
        move |store| store.get_checklist(project, checklist),
    )
    .await
}

#[utoipa::path(patch, path = "/api/v1/projects/{projectId}/checklists/{checklistId}", tag = "checklists", request_body = ChecklistBody,
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 200, body = Checklist, headers(("ETag" = String))),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or checklist does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update(
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: JsonBody<ChecklistBody>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    let new = NewChecklist::try_from(body.0)?;
    let renamed = store
        .rename_checklist(project, checklist, new, if_match.0)
        .await?;
    Ok(versioned(HttpResponse::Ok(), &renamed))
}

#[utoipa::path(delete, path = "/api/v1/projects/{projectId}/checklists/{checklistId}", tag = "checklists",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 204, description = "Deleted with its tasks"),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    caller: Caller,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    store
        .delete_checklist(project, checklist, caller.audit, if_match.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
