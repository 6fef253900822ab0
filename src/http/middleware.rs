//! What wraps every request: its id, its span and log line, and the final
//! shape of error bodies.
//!
//! * `X-Request-Id`: a sane id sent by the client is kept, otherwise one is
//!   minted; either way the response carries it.
//! * One tracing span per request with the id, the trace id, method, route
//!   pattern (never the raw path, which holds ids), status and latency,
//!   closed by one "request completed" line.
//! * W3C trace context: a caller's `traceparent` makes the request part of
//!   the caller's trace (a child span of it when spans are exported); see
//!   [`crate::telemetry::join_trace`].
//! * Every 4xx/5xx leaves as `application/problem+json` with `instance` and
//!   `requestId` filled in, including errors actix produces itself.

use super::error::{PROBLEM_JSON, Problem};
use crate::metrics::Metrics;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use opentelemetry::trace::FutureExt;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// The route pattern the request matched (`unmatched` if none), resolved
/// once here for the access layer too.
#[derive(Debug, Clone)]
pub struct RoutePattern(pub String);

/// The request's id, available to handlers through request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Keeps a client's id only when it is a short token that is safe to log and echo.
fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| sane(id))
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned);
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        trace_id = tracing::field::Empty,
        method = %req.method(),
        route = %route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let trace = crate::telemetry::join_trace(
        &span,
        || format!("{} {route}", req.method()),
        header(&TRACEPARENT),
        header(&TRACESTATE),
    );
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(RoutePattern(route.clone()));
    let instance = req.path().to_owned();
    let method = req.method().clone();
    let metrics = req.app_data::<actix_web::web::Data<Metrics>>().cloned();

    let response = next
        .call(req)
        .instrument(span.clone())
        .with_context(trace)
        .await?;
    let mut response = finish_problem(response.map_into_boxed_body(), &instance, &request_id);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }

    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(metrics) = metrics {
        metrics.observe(method.as_str(), &route, status.as_u16(), elapsed);
    }
    let latency_ms = elapsed * 1000.0;
    span.record("status", status.as_u16());
    span.record("latency_ms", latency_ms);
    crate::telemetry::finish_request(&span, method.as_str(), &route, status.as_u16());
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!("request completed");
        } else {
            tracing::info!("request completed");
        }
    });
    Ok(response)
}

/// Gives every error response a complete problem body.
fn finish_problem(
    response: ServiceResponse<BoxBody>,
    instance: &str,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let known = response.response().extensions().get::<Problem>().cloned();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if known.is_none() && json {
        // A deliberate JSON answer (the checks of /ready): keep it.
        return response;
    }
    let mut problem = known.unwrap_or_else(|| Problem::for_status(status));
    problem.instance = Some(instance.to_owned());
    problem.request_id = Some(request_id.to_owned());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    response.map_body(|head, _| {
        head.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        BoxBody::new(body)
    })
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn only_short_plain_tokens_are_echoed_as_request_ids() {
        assert!(sane("abc-123_x.y:z"));
        assert!(!sane(""));
        assert!(!sane("has space"));
        assert!(!sane("new\nline"));
        assert!(!sane(&"a".repeat(129)));
    }
}
