//! `/health`: the process is alive and answering. Readiness is separate.

use actix_web::HttpResponse;

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process answers", body = serde_json::Value)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
