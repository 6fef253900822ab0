//! `/health`: the process answers. `/ready`: it can do its job, with the
//! checks that say why not, so a load balancer and an operator both know.
//! Each check's detail is shown only to the networks that may read
//! `/metrics`; others see the check names and whether they pass.

use super::metrics::from_operator_network;
use crate::config::OpsSettings;
use crate::http::access::AccessState;
use crate::readiness::{Checker, Readiness};
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process answers", body = serde_json::Value)))]
#[tracing::instrument(skip_all)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Every check passed", body = Readiness),
        (status = 503, description = "A check failed; see which", body = Readiness),
    ))]
#[tracing::instrument(skip_all)]
pub async fn ready(
    req: HttpRequest,
    checker: web::Data<Checker>,
    ops: web::Data<OpsSettings>,
    access: web::Data<AccessState>,
) -> HttpResponse {
    let mut readiness = checker.run().await;
    // Paths, fingerprints and sizes are for operators; a load balancer
    // needs only the status, and the public sees the check names.
    if !from_operator_network(&req, &ops, &access) {
        for check in &mut readiness.checks {
            check.detail.clear();
        }
    }
    if readiness.ready() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}
