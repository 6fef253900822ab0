//! `/api/v1/audit`: the audit log, newest first, for admins.

use super::projects::DEFAULT_LIMIT;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::path_id;
use crate::store::Store;
use crate::store::accounts::AuditEntry;
use actix_web::http::header::LINK;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Paging through the audit log, newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries per page, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `cursor` from the previous page's `Link` header.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn audit(
    store: web::Data<Store>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match &query.limit {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 200"))?,
    };
    let before = query
        .cursor
        .as_deref()
        .map(|c| path_id(c, "cursor", Uuid::try_parse))
        .transpose()
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let mut page = store
        .blocking(move |s| s.audit_page(before, limit + 1))
        .await?;
    let mut response = HttpResponse::Ok();
    if page.len() > limit {
        page.truncate(limit);
        if let Some(last) = page.last() {
            response.insert_header((
                LINK,
                format!(
                    "</api/v1/audit?limit={limit}&cursor={}>; rel=\"next\"",
                    last.id
                ),
            ));
        }
    }
    Ok(response.json(page))
}
