//! `/api/v1/audit`: the audit log, newest first, for admins.

use crate::http::error::{ApiError, Problem};
use crate::http::paging::{Paging, next_link};
use crate::store::Store;
use crate::store::accounts::AuditEntry;
use actix_web::http::header::LINK;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Paging),
    responses((status = 200, body = [AuditEntry]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn audit(
    store: web::Data<Store>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let (limit, before) = query.parse(Uuid::try_parse)?;
    let mut page = store
        .blocking(move |s| s.audit_page(before, limit + 1))
        .await?;
    let mut response = HttpResponse::Ok();
    if page.len() > limit {
        page.truncate(limit);
        if let Some(last) = page.last() {
            response.insert_header((LINK, next_link("/api/v1/audit", limit, last.id)));
        }
    }
    Ok(response.json(page))
}
