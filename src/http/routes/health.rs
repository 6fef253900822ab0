//! `/health`: the process answers. `/ready`: it can do its job, with the
//! checks that say why not, so a load balancer and an operator both know.

use crate::readiness::{Checker, Readiness};
use actix_web::{HttpResponse, web};

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process answers", body = serde_json::Value)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Every check passed", body = Readiness),
        (status = 503, description = "A check failed; see which", body = Readiness),
    ))]
pub async fn ready(checker: web::Data<Checker>) -> HttpResponse {
    let readiness = checker.run().await;
    if readiness.ready() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}
