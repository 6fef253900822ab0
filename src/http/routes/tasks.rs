//! `/api/v1/projects/{projectId}/checklists/{checklistId}/tasks[/{taskId}]`.

use super::{checklist_ids, task_ids};
use crate::domain::{NewTask, Task, TaskChanges};
use crate::http::access::Caller;
use crate::http::dto::{CreateTask, UpdateTask};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::store::Store;
use actix_web::{HttpResponse, web};

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
    body: JsonBody<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist) = checklist_ids(&path.0, &path.1)?;
    let new = NewTask::try_from(body.0)?;
    Ok(HttpResponse::Created().json(store.create_task(project, checklist, new).await?))
}

#[utoipa::path(patch, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}", tag = "tasks", request_body = UpdateTask,
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), ("taskId" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Task),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The project, checklist or task does not exist", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update(
    store: web::Data<Store>,
    path: web::Path<(String, String, String)>,
    body: JsonBody<UpdateTask>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist, task) = task_ids(&path.0, &path.1, &path.2)?;
    let changes = TaskChanges::try_from(body.0)?;
    Ok(HttpResponse::Ok().json(store.update_task(project, checklist, task, changes).await?))
}

#[utoipa::path(delete, path = "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}", tag = "tasks",
    params(("projectId" = uuid::Uuid, Path), ("checklistId" = uuid::Uuid, Path), ("taskId" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    caller: Caller,
    store: web::Data<Store>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, checklist, task) = task_ids(&path.0, &path.1, &path.2)?;
    store
        .delete_task(project, checklist, task, caller.audit)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
