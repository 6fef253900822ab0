//! `/api/v1/projects/{projectId}/checklists/{checklistId}/tasks[/{taskId}]`.

use super::{checklist_ids, task_ids};
use crate::domain::{NewTask, Task, TaskChanges};
use crate::http::access::Caller;
use crate::http::cache::{ResponseCache, cached_resource};
use crate::http::conditional::{IfMatch, IfMatchHeader, IfNoneMatch, created_with, versioned};
use crate::http::dto::{CreateTask, UpdateTask};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{Retry, replayable};
use crate::store::Store;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(post, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks", tag = "tasks", request_body = CreateTask,
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path)),
    responses(
        (status = 201, description = "Created as pending", body = Task),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project or checklist does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create(
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
    retry: Retry,
    body: JsonBody<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    let new = NewTask::try_from(body.0)?;
    let created = |task: &Task| created_with(task, Vec::new());
    replayable(retry, created, store.create_task(project, checklist, new)).await
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}", tag = "tasks",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), ("taskId" = uuid::Uuid, Path), IfNoneMatch),
    responses(
        (status = 200, body = Task, headers(("ETag" = String, description = "Strong: the digest of this representation"))),
        (status = 304, description = "The client's copy (named in If-None-Match) is current"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project, checklist or task does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist, task) = task_ids(&path.0, &path.1, &path.2)?;
    cached_resource(
        &req,
        store,
        &cache,
        format!("task:{project}:{checklist}:{task}"),
        move |store| store.get_task(project, checklist, task),
    )
    .await
}

#[utoipa::path(patch, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}", tag = "tasks", request_body = UpdateTask,
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), ("taskId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 200, body = Task, headers(("ETag" = String))),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project, checklist or task does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update(
    store: web::Data<Store>,
    path: web::Path<(String, String, String)>,
    if_match: IfMatch,
    body: JsonBody<UpdateTask>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist, task) = task_ids(&path.0, &path.1, &path.2)?;
    let changes = TaskChanges::try_from(body.0)?;
    let task = store
        .update_task(project, checklist, task, changes, if_match.0)
        .await?;
    Ok(versioned(HttpResponse::Ok(), &task))
}

#[utoipa::path(delete, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}", tag = "tasks",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), ("taskId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    caller: Caller,
    store: web::Data<Store>,
    path: web::Path<(String, String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist, task) = task_ids(&path.0, &path.1, &path.2)?;
    store
        .delete_task(project, checklist, task, caller.audit, if_match.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
