//! The HTTP surface: routes, body parsing, errors and request middleware.

pub mod access;
pub mod cache;
pub mod conditional;
pub mod deprecation;
pub mod dto;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod routes;
pub mod stream;
pub mod table;
pub mod ui;

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::web;
use error::ApiError;

/// Registers every route of the route table; what no route matches goes to
/// the browser UI, which answers unknown API paths with a problem+json 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| {
        ApiError::field("query", format!("the query string is malformed: {e}")).into()
    }));
    table::register(cfg);
    cfg.default_service(web::to(ui::serve));
}

/// CORS from an explicit allowlist. With an empty list no CORS headers are
/// sent at all; same-origin requests are never blocked.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .block_on_origin_mismatch(false)
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("x-requested-with"),
            idempotency::HEADER,
            middleware::REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            middleware::REQUEST_ID,
            deprecation::DEPRECATION,
            deprecation::SUNSET,
            idempotency::REPLAYED,
        ])
        .max_age(600);
    for origin in allowed_origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Headers every response carries; HSTS only when configured, since it
/// must only be sent where TLS really terminates in front of the service.
/// The UI's pages set their own, looser Content-Security-Policy, which this
/// default does not overwrite.
pub fn security_headers(hsts_max_age_secs: u64) -> actix_web::middleware::DefaultHeaders {
    let headers = actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if hsts_max_age_secs > 0 {
        headers.add((
            "Strict-Transport-Security",
            format!("max-age={hsts_max_age_secs}"),
        ))
    } else {
        headers
    }
}
