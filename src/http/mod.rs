//! The HTTP surface: routes, body parsing, errors and request middleware.

pub mod access;
pub mod cache;
pub mod dto;
pub mod error;
pub mod extract;
pub mod limits;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod ui;

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::web;
use error::ApiError;
use routes::{account, checklists, health, metrics, projects, status, tasks};

/// Registers every route. The OpenAPI document lists the same API routes; a
/// test keeps them in step. What no route matches goes to the browser UI,
/// which answers unknown API paths with a problem+json 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(metrics::scrape))
        .service(
            web::scope("/api/v1")
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::field("query", format!("the query string is malformed: {e}")).into()
                }))
                .route("/openapi.json", web::get().to(openapi::serve_document))
                .route("/auth/login", web::post().to(account::login))
                .route("/auth/logout", web::post().to(account::logout))
                .route("/auth/me", web::get().to(account::me))
                .service(
                    web::resource("/tokens")
                        .route(web::get().to(account::list_tokens))
                        .route(web::post().to(account::create_token)),
                )
                .service(
                    web::resource("/tokens/{tokenId}")
                        .route(web::delete().to(account::revoke_token)),
                )
                .service(
                    web::resource("/users")
                        .route(web::get().to(account::list_users))
                        .route(web::post().to(account::create_user)),
                )
                .service(
                    web::resource("/users/{userId}").route(web::delete().to(account::delete_user)),
                )
                .route("/audit", web::get().to(account::audit))
                .route("/summary", web::get().to(status::summary))
                .route("/backups/status", web::get().to(status::backup_status))
                .service(
                    web::resource("/projects")
                        .route(web::get().to(projects::list))
                        .route(web::post().to(projects::create)),
                )
                .service(
                    web::resource("/projects/{projectId}")
                        .route(web::get().to(projects::get))
                        .route(web::patch().to(projects::update))
                        .route(web::delete().to(projects::delete)),
                )
                .service(
                    web::resource("/projects/{projectId}/checklists")
                        .route(web::post().to(checklists::create)),
                )
                .service(
                    web::resource("/projects/{projectId}/checklists/{checklistId}")
                        .route(web::patch().to(checklists::update))
                        .route(web::delete().to(checklists::delete)),
                )
                .service(
                    web::resource("/projects/{projectId}/checklists/{checklistId}/tasks")
                        .route(web::post().to(tasks::create)),
                )
                .service(
                    web::resource("/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}")
                        .route(web::patch().to(tasks::update))
                        .route(web::delete().to(tasks::delete)),
                ),
        )
        .default_service(web::to(ui::serve));
}

/// CORS from an explicit allowlist. With an empty list no CORS headers are
/// sent at all; same-origin requests are never blocked.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .block_on_origin_mismatch(false)
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            middleware::REQUEST_ID,
        ])
        .expose_headers([middleware::REQUEST_ID, header::LINK, header::LOCATION])
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
