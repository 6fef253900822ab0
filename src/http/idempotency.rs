//! Safe retries of `POST` with an `Idempotency-Key`.

use actix_web::http::header::HeaderName;

/// The request header that names a retry-safe `POST`.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on an answer replayed from the stored first response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
