//! `/metrics`: the Prometheus scrape, for allowed networks only.
//!
//! Anyone else gets the same 404 as an unknown path, so the endpoint does
//! not advertise itself. The peer address is the TCP peer, never a
//! forwarded header: a load balancer in the allowlist would otherwise let
//! the internet in. With `metrics.username`/`metrics.password` set, a
//! scrape also needs those basic-auth credentials.

use crate::config::OpsSettings;
use crate::http::error::ApiError;
use crate::metrics::Metrics;
use crate::readiness::Checker;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use sha2::{Digest, Sha256};

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "Basic auth is configured and the credentials are missing or wrong"),
        (status = 404, description = "The client's network is not allowed"),
    ))]
pub async fn scrape(
    req: HttpRequest,
    ops: web::Data<OpsSettings>,
    metrics: web::Data<Metrics>,
    checker: web::Data<Checker>,
) -> Result<HttpResponse, ApiError> {
    let allowed = req
        .peer_addr()
        .is_some_and(|peer| ops.metrics_allowed(peer.ip()));
    if !allowed {
        return Err(ApiError::NoRoute);
    }
    if let Some(auth) = &ops.metrics_auth
        && !credentials_match(&req, &auth.username, &auth.password)
    {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((WWW_AUTHENTICATE, "Basic realm=\"metrics\""))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render(&checker).await))
}

/// Compares digests, so the time taken says nothing about the password.
fn credentials_match(req: &HttpRequest, username: &str, password: &str) -> bool {
    let given = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .unwrap_or_default();
    let expected = format!("{username}:{password}");
    Sha256::digest(&given) == Sha256::digest(expected.as_bytes())
}
