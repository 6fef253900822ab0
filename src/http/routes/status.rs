//! `/api/v1/summary`: counts over the whole store for the dashboard's
//! headline. `/api/v1/backups/status`: whether the last backup is fresh
//! enough, for admins.

use crate::config::OpsSettings;
use crate::domain::{Millis, now_millis};
use crate::http::error::{ApiError, Problem};
use crate::store::Store;
use crate::store::stats::Summary;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

#[utoipa::path(get, path = "/api/v1/summary", tag = "operations",
    responses(
        (status = 200, description = "Counts over every project", body = Summary),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn summary(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let summary = store.blocking(|s| s.summary()).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// The last successful backup.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupFacts {
    #[serde(with = "crate::domain::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Millis,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Backup freshness against `backup.max_age_hours`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<BackupFacts>,
    /// The policy; absent when the freshness check is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_hours: Option<u64>,
    /// Whether the last backup is within the policy (always true when it is off).
    pub fresh: bool,
}

#[utoipa::path(get, path = "/api/v1/backups/status", tag = "operations",
    responses(
        (status = 200, description = "The last backup and the freshness policy", body = BackupStatus),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn backup_status(
    store: web::Data<Store>,
    ops: web::Data<OpsSettings>,
) -> Result<HttpResponse, ApiError> {
    let last = store.blocking(|s| s.last_backup()).await?;
    let max_age = ops.backup_max_age;
    let fresh = ops.backup_fresh(last.as_ref().map(|b| b.at), now_millis());
    Ok(HttpResponse::Ok().json(BackupStatus {
        last_backup: last.map(|b| BackupFacts {
            at: b.at,
            duration_ms: b.duration_ms,
            size_bytes: b.size,
            sha256: b.sha256,
        }),
        max_age_hours: max_age.map(|d| d.as_secs() / 3600),
        fresh,
    }))
}
