//! The OpenAPI 3.1 document, served at `/api/v1/openapi.json`. Its
//! operations come from the route table (each handler's annotation, and the
//! security its declared access implies); the schemas and tags are listed
//! here. Two passes then make it exact: [`statuses`] declares what whole
//! classes of routes can answer, and [`exact`] writes into the schemas the
//! rules the server enforces that the derive cannot express. A test checks
//! it against the live routes, and the contract check runs schemathesis
//! against it.

mod exact;
mod statuses;

use super::access::Access;
use super::dto;
use super::error::{FieldError, Problem};
use super::routes::{assessments, auth, status, templates, tokens, users};
use super::table;
use crate::domain::{Checklist, Project, Task, TaskStatus};
use actix_web::HttpResponse;
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "LaunchPad API", version = "1", description = "Projects, checklists and tasks on the way to production."),
    components(schemas(
        Project, Checklist, Task, TaskStatus, Problem, FieldError,
        dto::CreateProject, dto::UpdateProject, dto::ChecklistBody, dto::CreateTask, dto::UpdateTask,
        auth::LoginBody, auth::SignedIn, tokens::NewToken, tokens::CreatedToken, users::NewUser,
        crate::store::accounts::User, crate::store::accounts::TokenInfo, crate::store::accounts::AuditEntry,
        crate::domain::Role, crate::readiness::Readiness, crate::readiness::Check,
        crate::store::stats::Summary, crate::store::stats::TaskCounts,
        status::BackupStatus, status::BackupFacts,
        dto::CreateChecklist, crate::domain::Pillar, crate::domain::Level,
        assessments::AssessmentBody, assessments::ScoreBody, assessments::AssessmentView, assessments::ScoreView,
        crate::domain::scorecard::Scorecard, crate::domain::scorecard::PillarCard,
        crate::domain::scorecard::RuleResult, crate::domain::scorecard::OpenTask,
        templates::TemplateView, templates::TemplateTaskView, templates::SaveTemplate,
    )),
    tags(
        (name = "projects"), (name = "checklists"), (name = "tasks"), (name = "scorecards"),
        (name = "templates"), (name = "reports"), (name = "auth"),
        (name = "tokens"), (name = "users"), (name = "audit"), (name = "operations"),
    ),
)]
struct Base;

/// The names of the two ways to authenticate, as operations refer to them.
pub const BEARER: &str = "bearerToken";
pub const SESSION: &str = "sessionCookie";

/// The whole document, exact: every status each operation can answer and
/// every rule the server enforces on what it is sent.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(derived()).expect("the OpenAPI document serializes");
    statuses::declare(&mut doc);
    exact::tighten(&mut doc);
    doc
}

/// What the derive gives: the base plus every documented route of the
/// table, each with the security its access needs.
fn derived() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
    let mut doc = Base::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            super::access::SESSION_COOKIE,
        ))),
    );
    let mut schemas = Vec::new();
    for route in table::routes() {
        if let Some(collect) = route.schemas {
            collect(&mut schemas);
        }
        let Some((method, operation)) = &route.operation else {
            continue;
        };
        let mut operation = operation();
        secure(&mut operation, route.access);
        if route.replays {
            replayable(&mut operation);
        }
        doc.paths
            .add_path_operation(&route.pattern, vec![method.clone()], operation);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    super::deprecation::document(super::deprecation::DEPRECATIONS, &mut doc);
    doc
}

/// Declares what an operation needs: a token or a session for anything but
/// public routes, and the least role as `x-required-role`.
fn secure(operation: &mut utoipa::openapi::path::Operation, access: Access) {
    use utoipa::openapi::security::SecurityRequirement;
    let role = match access {
        Access::Public => return,
        Access::SignedIn => "signed-in",
        Access::Role(role) => role.as_str(),
    };
    operation.security = Some(vec![
        SecurityRequirement::new(BEARER, Vec::<String>::new()),
        SecurityRequirement::new(SESSION, Vec::<String>::new()),
    ]);
    operation
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-required-role".into(), role.into());
}

/// Declares `Idempotency-Key` on a `POST` that keeps its answer: the header,
/// the replay marker on its success, and the 409 and 422 it can answer.
fn replayable(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{
        ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, ResponseBuilder, Type,
    };
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "Makes the request safe to retry: the first answer is kept a day with the change it made, \
             and a retry with the same key and body gets it back with `Idempotent-Replayed: true`",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(super::idempotency::MAX_KEY))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(utoipa::openapi::RefOr::T(key));
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let responses = &mut operation.responses.responses;
    for (status, description) in [
        (
            "409",
            "The first request with this Idempotency-Key is still being answered (retry after Retry-After)",
        ),
        (
            "422",
            "This Idempotency-Key was first sent with another request",
        ),
    ] {
        responses.insert(
            status.into(),
            ResponseBuilder::new()
                .description(description)
                .content(super::error::PROBLEM_JSON, problem())
                .build()
                .into(),
        );
    }
    for (status, response) in responses.iter_mut() {
        if let (true, utoipa::openapi::RefOr::T(response)) = (status.starts_with('2'), response) {
            response.headers.insert(
                "Idempotent-Replayed".into(),
                utoipa::openapi::RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(["true"])),
                        ))
                        .description(Some(
                            "Set when this is the kept answer to an earlier request with the same key",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The document as JSON, rendered once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::to_string(&document()).expect("the OpenAPI document serializes")
    })
}

#[tracing::instrument(skip_all)]
pub async fn serve_document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}
