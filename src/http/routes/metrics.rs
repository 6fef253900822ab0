//! `/metrics`: the Prometheus scrape, for allowed networks only.
//!
//! Anyone else gets a 404 problem. The peer address is the TCP peer, never a
//! forwarded header, and a request that came through a proxy (a trusted
//! proxy's address, or any forwarding header) is refused too: a load
//! balancer or reverse proxy inside the allowlist would otherwise relay the
//! internet in. With `metrics.username`/`metrics.password` set, a scrape
//! also needs those basic-auth credentials.

use crate::config::OpsSettings;
use crate::http::access::AccessState;
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
#[tracing::instrument(skip_all)]
pub async fn scrape(
    req: HttpRequest,
    ops: web::Data<OpsSettings>,
    access: web::Data<AccessState>,
    metrics: web::Data<Metrics>,
    checker: web::Data<Checker>,
) -> Result<HttpResponse, ApiError> {
    if !from_operator_network(&req, &ops, &access) {
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

/// Whether the request comes straight from a network allowed to read
/// operational detail (`metrics.allowed_networks`), not through a proxy.
pub fn from_operator_network(req: &HttpRequest, ops: &OpsSettings, access: &AccessState) -> bool {
    const FORWARDING: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];
    let Some(peer) = req.peer_addr().map(|p| p.ip()) else {
        return false;
    };
    ops.metrics_allowed(peer)
        && !access.settings.trusted_proxies.contains(&peer)
        && !FORWARDING.iter().any(|h| req.headers().contains_key(*h))
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
