//! `/api/v1/projects/{projectId}/compliance`: the review rhythm and every
//! section of the compliance notes, the data inventory, the regulatory
//! triggers, the vendors and the review history as rows under it, and the
//! guided start's scan.

use super::planning::{
    RowView, accepted, create_row, delete_row, row_id, row_routes, update_row, views,
};
use super::project_id;
use crate::domain::planning::{
    ComplianceRhythm, DataItem, Review, SCAN_QUESTIONS, Scan, Trigger, Vendor,
};
use crate::http::access::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::store::Store;
use crate::store::planning::Planning;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

row_routes!(
    inventory,
    DataItem,
    "compliance",
    "/api/v1/projects/{projectId}/compliance/inventory",
    "/api/v1/projects/{projectId}/compliance/inventory/{rowId}",
    "rowId"
);
row_routes!(
    triggers,
    Trigger,
    "compliance",
    "/api/v1/projects/{projectId}/compliance/triggers",
    "/api/v1/projects/{projectId}/compliance/triggers/{rowId}",
    "rowId"
);
row_routes!(
    vendors,
    Vendor,
    "compliance",
    "/api/v1/projects/{projectId}/compliance/vendors",
    "/api/v1/projects/{projectId}/compliance/vendors/{rowId}",
    "rowId"
);
row_routes!(
    reviews,
    Review,
    "compliance",
    "/api/v1/projects/{projectId}/compliance/reviews",
    "/api/v1/projects/{projectId}/compliance/reviews/{rowId}",
    "rowId"
);

/// Every section of the compliance notes.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceView {
    #[serde(flatten)]
    pub rhythm: ComplianceRhythm,
    /// The next review is a date that has passed.
    pub review_overdue: bool,
    /// When compliance was last reviewed: the latest review held or noted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub last_review: Option<String>,
    /// The guided start's questions, by the field of `scan` that answers each.
    pub scan_questions: Vec<ScanQuestion>,
    pub inventory: Vec<RowView<DataItem>>,
    pub triggers: Vec<RowView<Trigger>>,
    pub vendors: Vec<RowView<Vendor>>,
    pub reviews: Vec<RowView<Review>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanQuestion {
    pub field: &'static str,
    pub question: &'static str,
}

/// The compliance view of `planning` on `today`.
pub fn compliance_view(planning: Planning, today: time::Date) -> ComplianceView {
    let rhythm = planning
        .compliance
        .as_ref()
        .map(|r| r.value.clone())
        .unwrap_or_default();
    let last_review = planning.last_review().map(String::from);
    ComplianceView {
        review_overdue: rhythm.next_review_date().is_some_and(|d| d.date() < today),
        rhythm,
        last_review,
        scan_questions: SCAN_QUESTIONS
            .iter()
            .map(|(field, question)| ScanQuestion { field, question })
            .collect(),
        inventory: views(planning.inventory),
        triggers: views(planning.triggers),
        vendors: views(planning.vendors),
        reviews: views(planning.reviews),
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/compliance", tag = "compliance",
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The review rhythm and every section", body = ComplianceView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn compliance(
    store: web::Data<Store>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let planning = store.blocking(move |s| s.planning(project)).await?;
    Ok(HttpResponse::Ok().json(compliance_view(planning, today())))
}

#[utoipa::path(put, path = "/api/v1/projects/{projectId}/compliance", tag = "compliance",
    request_body = ComplianceRhythm,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "Set; a field left out is cleared", body = ComplianceView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_compliance(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<ComplianceRhythm>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    accepted(store.plan_set(project, body.0, caller.audit).await?)?;
    let planning = store.blocking(move |s| s.planning(project)).await?;
    Ok(HttpResponse::Ok().json(compliance_view(planning, today())))
}

#[utoipa::path(post, path = "/api/v1/projects/{projectId}/compliance/scan", tag = "compliance",
    request_body = Scan,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The answers are kept; each standard they point to gets a trigger row unless one exists", body = ComplianceView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn scan(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<Scan>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    accepted(store.plan_scan(project, body.0, caller.audit).await?)?;
    let planning = store.blocking(move |s| s.planning(project)).await?;
    Ok(HttpResponse::Ok().json(compliance_view(planning, today())))
}
