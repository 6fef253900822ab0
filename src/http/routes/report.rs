//! `/api/v1/projects/{projectId}/report`: the project's readiness report as
//! Markdown (`text/markdown`, the default) or printable HTML
//! (`?format=html`). Personal data only with `?include=personal`, which
//! needs the editor role.

use super::project_id;
use crate::domain::Role;
use crate::http::access::Caller;
use crate::http::error::{ApiError, Problem};
use crate::report::{self, Format};
use crate::store::Store;
use actix_web::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::sync::OnceLock;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `md` (the default) or `html`.
    #[param(pattern = "^(md|html)$")]
    format: Option<String>,
    /// `personal` to include owners and emails (editors and admins).
    #[param(pattern = "^personal$")]
    include: Option<String>,
}

/// The HTML report's policy: its own stylesheet and nothing else.
fn html_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(report::STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    })
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/report", tag = "reports",
    params(("projectId" = uuid::Uuid, Path), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (String = "text/markdown"),
            (String = "text/html"),
        )),
        (status = 400, description = "An unknown format or include", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Personal data needs the editor role", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let format = match query.format.as_deref() {
        None => Format::Markdown,
        Some(raw) => {
            Format::parse(raw).ok_or_else(|| ApiError::field("format", "must be md or html"))?
        }
    };
    let include_personal = match query.include.as_deref() {
        None => false,
        Some("personal") => true,
        Some(_) => return Err(ApiError::field("include", "must be personal")),
    };
    if include_personal && caller.role.is_none_or(|r| r < Role::Editor) {
        return Err(ApiError::Forbidden(
            "a report with personal data needs the editor role".into(),
        ));
    }
    let report = store
        .blocking(move |s| crate::scorecards::report(s, project, include_personal))
        .await?;
    let body = report::render(&report, format);
    let mut response = HttpResponse::Ok();
    response.insert_header((CONTENT_TYPE, format.content_type()));
    if format == Format::Html {
        response.insert_header((CONTENT_SECURITY_POLICY, html_policy()));
    }
    Ok(response.body(body))
}
