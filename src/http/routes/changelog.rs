//! `/api/v1/changelog`: the API's changelog, which every deprecation links to.

use actix_web::HttpResponse;

/// `CHANGELOG.md`, as built into this binary.
pub const CHANGELOG: &str = include_str!("../../../CHANGELOG.md");

#[utoipa::path(get, path = "/api/v1/changelog", tag = "operations",
    responses((status = 200, description = "Every API change by version, in Keep a Changelog form", content_type = "text/markdown", body = String)))]
#[tracing::instrument(skip_all)]
pub async fn changelog() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(CHANGELOG)
}
