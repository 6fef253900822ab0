//! Deprecated routes and fields, declared in one place.

use actix_web::http::header::HeaderName;

/// `Deprecation: @<unix seconds>` (RFC 9745).
pub const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
/// `Sunset: <HTTP date>` (RFC 8594).
pub const SUNSET: HeaderName = HeaderName::from_static("sunset");
