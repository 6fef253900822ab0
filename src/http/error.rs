//! The one place errors become HTTP responses.
//!
//! Every error answer is `application/problem+json` (RFC 9457). 4xx bodies
//! tell the client what it did wrong and which field; 5xx bodies are opaque
//! and the cause is logged instead. The request middleware fills in
//! `instance` and `requestId`, which only it knows.

use crate::store::{Missing, StoreError};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ALLOW, CONTENT_TYPE, ETAG, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field a client got wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The JSON field, query parameter or path segment, as the client named it.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// A problem for a bare status, used when something other than an
    /// [`ApiError`] answered (actix itself, say). Its type is a LaunchPad
    /// one like every other problem's, named after the status.
    pub fn for_status(status: StatusCode) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let (kind, detail) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed".to_owned(),
                "this path does not accept that method".to_owned(),
            ),
            StatusCode::NOT_FOUND => (
                "no-route".to_owned(),
                "no such route; the API lives under /api/v1".to_owned(),
            ),
            s if s.is_server_error() => (
                "internal".to_owned(),
                "the server could not complete the request".to_owned(),
            ),
            _ => (title.to_lowercase().replace(' ', "-"), title.to_lowercase()),
        };
        Self {
            kind: format!("urn:launchpad:problem:{kind}"),
            title,
            status: status.as_u16(),
            detail,
            instance: None,
            request_id: None,
            errors: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or parameters parsed but broke a rule.
    #[error("{} field(s) are invalid", .0.len())]
    Validation(Vec<FieldError>),
    /// The body is not usable JSON at all.
    #[error("{0}")]
    MalformedBody(String),
    #[error("not found: {0:?}")]
    NotFound(Missing),
    #[error("no such route")]
    NoRoute,
    /// The path exists but not with this method; `allow` lists the ones it
    /// has, as the `Allow` header will.
    #[error("{method} is not allowed; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The store cannot take writes for now (a full disk, a re-open, a stop).
    #[error("the store is unavailable")]
    Unavailable { disk_full: bool },
    #[error("unauthenticated: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("cross-site request refused")]
    Csrf,
    #[error("rate limited")]
    RateLimited { retry_after: std::time::Duration },
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named another version than the stored one, which is this.
    #[error("precondition failed")]
    PreconditionFailed(crate::domain::Version),
    /// `http.require_if_match` is on and the change sent no `If-Match`.
    #[error("precondition required")]
    PreconditionRequired,
    /// The `Idempotency-Key` was first sent with another request.
    #[error("idempotency key reused")]
    KeyReused,
    /// The `Idempotency-Key`'s first request is still being answered.
    #[error("idempotency key in flight")]
    KeyInFlight,
    #[error("{0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    fn problem(&self) -> Problem {
        let mut problem = Problem::for_status(self.status_code());
        let parts = self.parts(&problem.detail);
        problem.kind = format!("urn:launchpad:problem:{}", parts.kind);
        problem.title = parts.title.to_owned();
        problem.detail = parts.detail;
        problem.errors = parts.errors;
        problem
    }

    /// What this error's problem says; `status_detail` is the bare
    /// status's detail, which some errors keep.
    fn parts(&self, status_detail: &str) -> Parts {
        match self {
            Self::Validation(errors) => Parts::validation(errors),
            Self::MalformedBody(why) => {
                Parts::new("malformed-body", "Malformed request body", why.clone())
                    .with_errors(vec![FieldError::new("body", why.clone())])
            }
            Self::NotFound(missing) => Parts::not_found(missing),
            Self::NoRoute => Parts::new("no-route", "No such route", status_detail),
            Self::MethodNotAllowed { method, allow } => Parts::new(
                "method-not-allowed",
                "Method not allowed",
                format!("this path does not accept {method}; it accepts {allow}"),
            ),
            Self::PayloadTooLarge { limit } => Parts::new(
                "payload-too-large",
                "Payload too large",
                format!("the request body is larger than the limit of {limit} bytes"),
            ),
            Self::UnsupportedMediaType => Parts::new(
                "unsupported-media-type",
                "Unsupported media type",
                "send the request body as JSON with Content-Type: application/json",
            ),
            Self::Unavailable { disk_full } => Parts::unavailable(*disk_full),
            Self::Unauthorized(why) => Parts::new("unauthorized", "Unauthorized", why.clone()),
            Self::Forbidden(why) => Parts::new("forbidden", "Forbidden", why.clone()),
            Self::Csrf => Parts::new(
                "csrf",
                "Cross-site request refused",
                "a request signed in by cookie that changes something must come from this site: send X-Requested-With: launchpad or a matching Origin",
            ),
            Self::RateLimited { retry_after } => Parts::new(
                "rate-limited",
                "Too many requests",
                format!("slow down; retry in {} s", retry_secs(*retry_after)),
            ),
            Self::Conflict(why) => Parts::new("conflict", "Conflict", why.clone()),
            Self::PreconditionFailed(current) => {
                let detail = format!(
                    "it changed since you read it, so nothing was changed; its current ETag is {}: read it again and send that in If-Match to apply your change to what is there now",
                    current.etag()
                );
                Parts::new("precondition-failed", "Precondition failed", detail.clone())
                    .with_errors(vec![FieldError::new("If-Match", detail)])
            }
            Self::PreconditionRequired => {
                let detail = "this server takes a change of a project, checklist or task only with If-Match: read the item, then send its ETag in If-Match";
                Parts::new("precondition-required", "Precondition required", detail)
                    .with_errors(vec![FieldError::new("If-Match", detail)])
            }
            Self::KeyReused => {
                let detail = "this Idempotency-Key was first sent with another request (another method, path or body); a new request needs a new key";
                Parts::new("idempotency-key-reused", "Idempotency key reused", detail)
                    .with_errors(vec![FieldError::new("Idempotency-Key", detail)])
            }
            Self::KeyInFlight => {
                let detail = "the first request with this Idempotency-Key is still being answered; retry in a moment to get its answer";
                Parts::new("idempotency-key-in-flight", "Request in flight", detail)
                    .with_errors(vec![FieldError::new("Idempotency-Key", detail)])
            }
            Self::Missing(what) => {
                Parts::new("not-found", "Not found", format!("{what} does not exist"))
            }
            Self::Internal(_) => Parts::new("internal", "Internal server error", status_detail),
        }
    }
}

/// The parts of a problem document that depend on the error: its type
/// (after `urn:launchpad:problem:`), title, detail and field errors.
struct Parts {
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
}

impl Parts {
    fn new(kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    fn with_errors(self, errors: Vec<FieldError>) -> Self {
        Self { errors, ..self }
    }

    /// One field names itself in the detail; several point to the list.
    fn validation(errors: &[FieldError]) -> Self {
        let detail = match errors {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid; see errors", many.len()),
        };
        Self::new("validation", "Invalid request", detail).with_errors(errors.to_vec())
    }

    /// Names the missing record and the path parameter that named it.
    fn not_found(missing: &Missing) -> Self {
        let (field, what, id) = match missing {
            Missing::Project(id) => ("projectId", "project", id.to_string()),
            Missing::Checklist(id) => ("checklistId", "checklist", id.to_string()),
            Missing::Task(id) => ("taskId", "task", id.to_string()),
        };
        let detail = format!("{what} {id} does not exist");
        Self::new("not-found", "Not found", detail.clone())
            .with_errors(vec![FieldError::new(field, detail)])
    }

    /// Nothing was written either way; a full disk says so and how long to wait.
    fn unavailable(disk_full: bool) -> Self {
        if disk_full {
            Self::new(
                "disk-full",
                "Service unavailable",
                format!(
                    "the disk holding the store is full, so nothing was written; retry in {DISK_FULL_RETRY_SECS} s (the service recovers by itself once space is freed)"
                ),
            )
        } else {
            Self::new(
                "unavailable",
                "Service unavailable",
                "the store cannot accept writes right now; nothing was written; retry shortly",
            )
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::KeyInFlight => StatusCode::CONFLICT,
            Self::Missing(_) => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            // Runs inside the request span, so the log line carries the request id.
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        if let Self::Unavailable { disk_full } = self {
            tracing::warn!(disk_full, "request refused: the store is unavailable");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code())
            .insert_header((CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
            .json(&problem);
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            Self::RateLimited { retry_after } => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_secs(*retry_after)));
            }
            Self::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::PreconditionFailed(current) => {
                if let Ok(etag) = HeaderValue::from_str(&current.etag()) {
                    response.headers_mut().insert(ETAG, etag);
                }
            }
            Self::KeyInFlight => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(1u64));
            }
            Self::MethodNotAllowed { allow, .. } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.headers_mut().insert(ALLOW, value);
                }
            }
            Self::Unavailable { disk_full } => {
                let secs = if *disk_full { DISK_FULL_RETRY_SECS } else { 1 };
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            _ => {}
        }
        response.extensions_mut().insert(problem);
        response
    }
}

/// What a client is told to wait after a write refused for a full disk:
/// long enough not to hammer a service an operator is rescuing.
const DISK_FULL_RETRY_SECS: u64 = 5;

/// Whole seconds to wait, at least one.
fn retry_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(missing) => Self::NotFound(missing),
            StoreError::Conflict(why) => Self::Conflict(why),
            StoreError::Changed(current) => Self::PreconditionFailed(current),
            StoreError::Closed => Self::Unavailable { disk_full: false },
            // A refused write, or an I/O error a read met (a full disk among them).
            other => match other.outage() {
                Some(outage) => Self::Unavailable {
                    disk_full: outage.is_disk_full(),
                },
                None => Self::Internal(anyhow::Error::new(other)),
            },
        }
    }
}

impl From<crate::domain::FieldProblem> for FieldError {
    fn from(problem: crate::domain::FieldProblem) -> Self {
        Self::new(problem.field, problem.message)
    }
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError;
        match e {
            AccountError::Invalid(problems) => {
                Self::Validation(problems.into_iter().map(FieldError::from).collect())
            }
            AccountError::NoSuchUser => Self::Missing("a user with that email".into()),
            AccountError::WrongCredentials => {
                Self::Unauthorized("the email or password is wrong".into())
            }
            AccountError::RateLimited(retry_after) => Self::RateLimited { retry_after },
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("a blocking store read failed: {e}"))
    }
}
