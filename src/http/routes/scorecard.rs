//! `/api/v1/projects/{projectId}/scorecard`: each pillar's current score
//! against its target and first score, the level the rules grant, and what
//! is missing for the next one.

use super::project_id;
use crate::domain::scorecard::Scorecard;
use crate::http::cache::{ResponseCache, cached};
use crate::http::error::{ApiError, Problem};
use crate::store::Store;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/scorecard", tag = "scorecards",
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The scorecard", body = Scorecard),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    // What is overdue and what is recent change with the day.
    let today = time::OffsetDateTime::now_utc().date();
    let key = format!("scorecard:{project}:{today}");
    cached(&req, store, &cache, key, move |store| {
        Ok((crate::scorecards::compute(store, project)?, None))
    })
    .await
}
