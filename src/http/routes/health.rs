//! `/health`: the process answers. `/ready`: it can do its job, with the
//! checks that say why not, so a load balancer and an operator both know.

use crate::store::Store;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process answers", body = serde_json::Value)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// One readiness check.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The readiness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    pub checks: Vec<Check>,
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            ok: true,
            detail,
        },
        Err(detail) => Check {
            name,
            ok: false,
            detail,
        },
    }
}

#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Every check passed", body = Readiness),
        (status = 503, description = "A check failed; see which", body = Readiness),
    ))]
pub async fn ready(store: web::Data<Store>) -> HttpResponse {
    let mut checks = Vec::new();
    // A real commit through the writer: the store is readable, writable and fsyncs.
    checks.push(check(
        "store",
        store
            .probe()
            .await
            .map(|()| "readable and writable".into())
            .map_err(|e| e.to_string()),
    ));
    let reader = store.clone();
    let key = web::block(move || reader.key_info()).await;
    checks.push(check(
        "data_key",
        match key {
            Ok(Ok(info)) => Ok(format!("{} loaded", info.fingerprint)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    ));
    let reader = store.clone();
    let admin = web::block(move || reader.admin_exists()).await;
    checks.push(check(
        "admin",
        match admin {
            Ok(Ok(true)) => Ok("an admin account exists".into()),
            Ok(Ok(false)) => Err(
                "no admin account exists; run `launchpad user add --email … --role admin`".into(),
            ),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    ));
    let ready = checks.iter().all(|c| c.ok);
    let body = Readiness {
        status: if ready { "ready" } else { "not ready" },
        checks,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
