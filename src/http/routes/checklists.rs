//! `/api/v1/projects/{projectId}/checklists[/{checklistId}]`.

use super::{checklist_ids, project_id};
use crate::domain::{Checklist, NewChecklist};
use crate::http::access::Caller;
use crate::http::dto::ChecklistBody;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::store::Store;
use actix_web::{HttpResponse, web};

#[utoipa::path(post, path = "/api/v1/projects/{projectId}/checklists", tag = "checklists", request_body = ChecklistBody,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 201, body = Checklist),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create(
    store: web::Data<Store>,
    path: web::Path<String>,
    body: JsonBody<ChecklistBody>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let new = NewChecklist::try_from(body.0)?;
    Ok(HttpResponse::Created().json(store.create_checklist(project, new).await?))
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
