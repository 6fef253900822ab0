//! Safe retries of `POST` with an `Idempotency-Key` (the IETF httpapi
//! draft, and Stripe's practice).
//!
//! [`guard`] runs for every `POST` that sends a key, after the access layer
//! has named the caller:
//! - a key the caller already used for this same request replays the answer
//!   kept for it, with `Idempotent-Replayed: true`;
//! - a key used for another request (method, path or body) is a 422;
//! - a key whose first request is still being answered is a 409;
//! - otherwise the request runs, and its handler keeps its answer with the
//!   change it makes, in one transaction ([`crate::store::idempotency`]).
//!
//! Keys belong to the caller: a signed-in user's, or an anonymous caller's
//! address. Answers that changed nothing (a refused body) are not kept, so a
//! corrected retry under the same key is judged afresh.

use super::error::ApiError;
use super::extract::BodyLimit;
use crate::store::Store;
use crate::store::idempotency::{Answer, Claim, Found};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};

/// The request header that names a retry-safe `POST`.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on an answer replayed from the stored first response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The longest key accepted; a UUID needs 36.
pub const MAX_KEY: usize = 255;

/// Keys whose first request is being answered right now, in this process.
#[derive(Default, Clone)]
pub struct InFlight(Arc<Mutex<HashSet<u128>>>);

/// Holds a key in flight until dropped.
struct Holding(InFlight, u128);

impl Drop for Holding {
    fn drop(&mut self) {
        let mut keys = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.remove(&self.1);
    }
}

impl InFlight {
    fn hold(&self, id: u128) -> Option<Holding> {
        let mut keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.insert(id).then(|| Holding(self.clone(), id))
    }
}

/// The key a handler keeps its answer under; `None` without one.
pub struct Retry(pub Option<Claim>);

impl FromRequest for Retry {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.extensions().get::<Claim>().cloned())))
    }
}

/// The middleware: replays, refuses or lets a keyed `POST` through.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.call(req).await;
    }
    if !req
        .match_pattern()
        .is_some_and(|p| super::table::replays(&p))
    {
        // A sign-in, a sign-out, the compliance scan: safe to send again as
        // they are, so their key is accepted and nothing is kept.
        return next.call(req).await;
    }
    let key = match key_of(req.headers().get(HEADER)) {
        Ok(key) => key,
        Err(e) => return Ok(req.error_response(e)),
    };
    let Some(scope) = scope_of(&req) else {
        return next.call(req).await;
    };
    let (Some(store), Some(in_flight)) = (
        req.app_data::<web::Data<Store>>().cloned(),
        req.app_data::<InFlight>().cloned(),
    ) else {
        return next.call(req).await;
    };
    let mut claim = Claim {
        scope,
        key,
        fingerprint: String::new(),
    };
    // Held before the body is read: a retry sent while the first request's
    // body is still arriving is already told to wait.
    let Some(_holding) = in_flight.hold(claim.id()) else {
        return Ok(req.error_response(ApiError::KeyInFlight));
    };
    let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    claim.fingerprint = fingerprint(req.method(), &req.uri().to_string(), &body);
    req.set_payload(Payload::from(body));
    let lookup = claim.clone();
    match store.blocking(move |s| s.idempotent_answer(&lookup)).await {
        Err(e) => Ok(req.error_response(ApiError::from(e))),
        Ok(Found::Different) => Ok(req.error_response(ApiError::KeyReused)),
        Ok(Found::Same(answer)) => {
            let mut response = respond(&answer);
            response
                .headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            Ok(req.into_response(response))
        }
        Ok(Found::Nothing) => {
            req.extensions_mut().insert(claim);
            next.call(req).await
        }
    }
}

/// The key as sent: bare, or as a structured-field string (`"…"`), 1 to
/// [`MAX_KEY`] visible ASCII characters.
fn key_of(value: Option<&HeaderValue>) -> Result<String, ApiError> {
    let raw = value.and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    let key = raw
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(raw);
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            format!(
                "must be 1 to {MAX_KEY} visible ASCII characters, such as a UUID; send a new one for each new request"
            ),
        ));
    }
    Ok(key.to_owned())
}

/// Whose keys these are: the signed-in user, or an anonymous caller's address.
fn scope_of(req: &ServiceRequest) -> Option<String> {
    let extensions = req.extensions();
    let caller = extensions.get::<super::access::Caller>()?;
    Some(match &caller.user {
        Some(user) => format!("user:{}", user.id),
        None => format!(
            "anonymous:{}",
            caller.audit.client_ip.as_deref().unwrap_or("unknown")
        ),
    })
}

/// The whole body, refused as the body extractor would refuse it when it
/// is over `limit` or cannot be read.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::MalformedBody(format!("the request body could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A digest of what the key was sent with. A JSON body counts by its
/// meaning, not its spelling: spacing and key order do not make it another
/// request.
fn fingerprint(method: &Method, target: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .map(|value| canonical_json(&value));
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b" ");
    hash.update(target.as_bytes());
    hash.update(b"\n");
    hash.update(canonical.as_deref().unwrap_or(body));
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with every object's keys in order.
fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    use serde_json::Value;
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<_> = map.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    keys.into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(value)).expect("JSON values serialize")
}

/// An answer of `status` with `value` as its JSON body and `headers`.
pub fn answer<T: Serialize>(
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    value: &T,
) -> Answer {
    Answer {
        status: status.as_u16(),
        headers: headers
            .into_iter()
            .map(|(name, value)| (name.as_str().to_owned(), value))
            .collect(),
        body: serde_json::to_string(value).expect("API values serialize"),
    }
}

/// The HTTP response an answer describes, the first time or replayed.
pub fn respond(answer: &Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, "application/json"));
    for (name, value) in &answer.headers {
        builder.insert_header((name.as_str(), value.as_str()));
    }
    let mut response = builder.body(answer.body.clone().boxed());
    if status.is_client_error() || status.is_server_error() {
        // The request middleware names this request in a problem it knows.
        if let Ok(problem) = serde_json::from_str::<super::error::Problem>(&answer.body) {
            response.extensions_mut().insert(problem);
        }
    }
    response
}

/// Runs `request` (which queues the change) and answers with `render` of
/// its value; when a key was sent, that answer is kept with the change.
pub async fn replayable<T, E, F>(
    retry: Retry,
    render: impl Fn(&T) -> Answer + Clone + Send + 'static,
    request: F,
) -> Result<HttpResponse, ApiError>
where
    T: 'static,
    ApiError: From<E>,
    F: Future<Output = Result<T, E>>,
{
    let keep = render.clone();
    let value =
        crate::store::idempotency::answering(retry.0, move |v: &T| Some(keep(v)), request).await?;
    Ok(respond(&render(&value)))
}
