//! Conditional requests on single resources (RFC 9110 §13): a strong `ETag`
//! on every answer that carries a project, a checklist or a task, and
//! `If-Match` on their changes, so two people editing one item never
//! silently overwrite each other.
//!
//! The check itself runs in the writer, in the transaction that makes the
//! change ([`crate::store`]), so nothing can land between the comparison
//! and the write. `http.require_if_match` makes a change without `If-Match`
//! a `428`.

use super::error::ApiError;
use crate::config::Contract;
use crate::domain::{Expected, Version};
use crate::store::idempotency::Answer;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, HeaderName, IF_MATCH};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use std::future::{Ready, ready};

/// The versions a `PATCH` or `DELETE` may change, from `If-Match`.
pub struct IfMatch(pub Expected);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let sent = req
            .headers()
            .get(IF_MATCH)
            .map(|v| v.to_str().unwrap_or(""));
        let required = req
            .app_data::<Contract>()
            .is_some_and(|c| c.require_if_match);
        ready(match sent {
            Some(value) => Ok(Self(Expected::from_if_match(value))),
            None if required => Err(ApiError::PreconditionRequired),
            None => Ok(Self(Expected::Any)),
        })
    }
}

/// A `201` answer with `value`, its strong `ETag` and `headers`, as a
/// keyed retry would replay it.
pub fn created_with<T: Serialize>(value: &T, mut headers: Vec<(HeaderName, String)>) -> Answer {
    headers.push((ETAG, Version::of(value).etag()));
    super::idempotency::answer(StatusCode::CREATED, headers, value)
}

/// `value` as the body of `response`, with its strong `ETag`.
pub fn versioned<T: Serialize>(mut response: HttpResponseBuilder, value: &T) -> HttpResponse {
    let body = serde_json::to_vec(value).expect("API values serialize");
    response
        .insert_header((ETAG, Version::of_body(&body).etag()))
        .content_type("application/json")
        .body(body)
}

/// `If-Match`, as the document declares it on changes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the extractor above; this only documents it
pub struct IfMatchHeader {
    /// The ETag you read, or `*`; a change to another version is refused
    /// with 412. Required when the server sets `http.require_if_match`.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

/// `If-None-Match`, as the document declares it on reads.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the response cache; this only documents it
pub struct IfNoneMatch {
    /// The ETag of the copy you hold: 304 and no body while it is current.
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
}
