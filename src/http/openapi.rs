//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`. A test checks it against the live routes.

use super::dto;
use super::error::{FieldError, Problem};
use super::routes::{account, checklists, health, metrics, projects, status, tasks};
use crate::domain::{Checklist, Project, Task, TaskStatus};
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "LaunchPad API", version = "1", description = "Projects, checklists and tasks on the way to production."),
    paths(
        projects::list, projects::create, projects::get, projects::update, projects::delete,
        checklists::create, checklists::update, checklists::delete,
        tasks::create, tasks::update, tasks::delete,
        health::health, health::ready, metrics::scrape,
        account::login, account::logout, account::me,
        account::create_token, account::list_tokens, account::revoke_token,
        account::list_users, account::create_user, account::delete_user,
        account::audit,
        status::summary, status::backup_status,
    ),
    components(schemas(
        Project, Checklist, Task, TaskStatus, Problem, FieldError,
        dto::CreateProject, dto::UpdateProject, dto::ChecklistBody, dto::CreateTask, dto::UpdateTask,
        account::LoginBody, account::SignedIn, account::NewToken, account::CreatedToken, account::NewUser,
        crate::store::accounts::User, crate::store::accounts::TokenInfo, crate::store::accounts::AuditEntry,
        crate::domain::Role, crate::readiness::Readiness, crate::readiness::Check,
        crate::store::stats::Summary, crate::store::stats::TaskCounts,
        status::BackupStatus, status::BackupFacts,
    )),
    tags(
        (name = "projects"), (name = "checklists"), (name = "tasks"), (name = "auth"),
        (name = "tokens"), (name = "users"), (name = "audit"), (name = "operations"),
    ),
)]
pub struct ApiDoc;

/// The document as JSON, rendered once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serializes")
    })
}

pub async fn serve_document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}
