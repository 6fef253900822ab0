//! Distributed tracing: W3C trace context in and out, and, when
//! `tracing.otlp_endpoint` is set, export of spans over OTLP/HTTP (JSON).
//!
//! Every request belongs to a trace. A valid `traceparent` header from the
//! caller makes it the caller's trace; otherwise a new one starts here. The
//! trace id is a field of the request span, so every log line of the request
//! carries it beside the request id. An outbound HTTP call takes its
//! `traceparent` header from [`traceparent`], so the trace goes on
//! downstream.
//!
//! With export off (the default) there is no exporter, no background thread
//! and no OpenTelemetry layer in the subscriber: the request's trace context
//! is a plain OpenTelemetry [`Context`] attached to the request's future,
//! which [`traceparent`] reads. With export on, a `tracing-opentelemetry`
//! layer turns the request span and the spans inside it into OpenTelemetry
//! spans; the request span is the child of the caller's, and a batch
//! processor posts them from its own thread. Whether the layer is there is
//! asked of the span's own subscriber, never of a global flag.

use crate::config::TraceSettings;
use anyhow::Context as _;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, Status, TraceContextExt, TraceFlags, TraceState, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler, SdkTracerProvider, Tracer,
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// How long one export request may take before it is given up.
const EXPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The running exporter. Dropping it flushes the spans still queued and
/// stops its thread; keep it until the service has stopped.
#[must_use = "dropping the exporter stops the export of spans"]
pub struct Exporter(SdkTracerProvider);

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Err(e) = self.0.shutdown() {
            tracing::warn!(error = %e, "flushing the last spans to tracing.otlp_endpoint failed");
        }
    }
}

/// Starts exporting to `tracing.otlp_endpoint`, or does nothing when it is
/// unset. The tracer goes into the subscriber through [`layer`].
pub fn start_export(settings: &TraceSettings) -> anyhow::Result<Option<(Tracer, Exporter)>> {
    let Some(endpoint) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .with_http_client(super::otlp_http::OtlpHttp {
            timeout: EXPORT_TIMEOUT,
        })
        .build()
        .with_context(|| {
            format!("setting up the span exporter for {endpoint} (tracing.otlp_endpoint)")
        })?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(settings.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    // A caller's decision is followed, so one trace is kept or dropped whole.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
        settings.sampling_ratio,
    )));
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(resource)
        .build();
    Ok(Some((provider.tracer("launchpad"), Exporter(provider))))
}

/// The subscriber layer that turns LaunchPad's own spans into OpenTelemetry
/// spans. Other crates' spans (the HTTP client the exporter itself uses,
/// among them) are left out, so an export can never trace itself.
pub fn layer<S>(tracer: Tracer) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_filter(Targets::new().with_target("launchpad", tracing::Level::TRACE))
}

/// A request's `traceparent` and `tracestate` headers, as the propagator reads them.
struct Incoming<'a> {
    traceparent: Option<&'a str>,
    tracestate: Option<&'a str>,
}

impl Extractor for Incoming<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.traceparent,
            "tracestate" => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// Makes `span` (a request's) part of the caller's trace when `traceparent`
/// is valid, or of a new trace, and records its `trace_id` field. With
/// export on, `name` becomes the exported span's name. Returns the context
/// the request is to run in (`opentelemetry::trace::FutureExt::with_context`).
pub fn join_trace(
    span: &Span,
    name: impl FnOnce() -> String,
    traceparent: Option<&str>,
    tracestate: Option<&str>,
) -> Context {
    let caller = TraceContextPropagator::new().extract(&Incoming {
        traceparent,
        tracestate,
    });
    // Fails when no OpenTelemetry layer is there: export is off.
    if span.set_parent(caller.clone()).is_ok() {
        span.record("otel.name", name());
        span.record("otel.kind", "server");
        let cx = span.context();
        span.record(
            "trace_id",
            tracing::field::display(cx.span().span_context().trace_id()),
        );
        return cx;
    }
    let cx = if caller.span().span_context().is_valid() {
        caller
    } else {
        Context::new().with_remote_span_context(new_trace())
    };
    span.record(
        "trace_id",
        tracing::field::display(cx.span().span_context().trace_id()),
    );
    cx
}

/// Adds the request's outcome to its exported span (nothing when export is
/// off): the semantic-convention HTTP attributes, and an error status for a 5xx.
pub fn finish_request(span: &Span, method: &str, route: &str, status: u16) {
    span.set_attribute("http.request.method", method.to_owned());
    span.set_attribute("http.route", route.to_owned());
    span.set_attribute("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.set_status(Status::error(""));
    }
}

/// The `traceparent` header value for an outbound HTTP call made now, so
/// the callee joins this trace: `00-<trace id>-<parent id>-<flags>`
/// (W3C Trace Context, version 00).
///
/// Inside a request it names the request's trace. With export on, the
/// parent id is the current span's, and the flags say whether this trace is
/// sampled. With export off it passes on the caller's header as it came
/// (W3C's rule for a service that records nothing), or the new trace's ids
/// with the sampled flag clear. Outside any request (a background task) it
/// starts a new trace. The request context travels with async code; a
/// closure sent to a blocking thread should take the value before it goes.
///
/// Every outbound HTTP request LaunchPad makes sets this header:
///
/// ```
/// let header = ("traceparent", launchpad::telemetry::traceparent());
/// assert!(header.1.starts_with("00-"));
/// ```
pub fn traceparent() -> String {
    let from_span = Span::current().context();
    let from_task = Context::current();
    let span_context = [
        from_span.span().span_context(),
        from_task.span().span_context(),
    ]
    .into_iter()
    .find(|sc| sc.is_valid())
    .cloned()
    .unwrap_or_else(new_trace);
    format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8()
    )
}

/// A new trace that is not sampled: LaunchPad records nothing of it.
fn new_trace() -> SpanContext {
    let ids = RandomIdGenerator::default();
    SpanContext::new(
        ids.new_trace_id(),
        ids.new_span_id(),
        TraceFlags::default(),
        false,
        TraceState::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::FutureExt;
    use tracing_subscriber::layer::SubscriberExt;

    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// The parts of a traceparent value: trace id, parent id, flags.
    fn parts(header: &str) -> (String, String, String) {
        let fields: Vec<&str> = header.split('-').collect();
        assert_eq!(fields.len(), 4, "{header}");
        assert_eq!(fields[0], "00", "{header}");
        assert_eq!(fields[1].len(), 32, "{header}");
        assert_eq!(fields[2].len(), 16, "{header}");
        assert!(
            header[3..]
                .bytes()
                .all(|b| b == b'-' || b.is_ascii_hexdigit()),
            "{header}"
        );
        (fields[1].into(), fields[2].into(), fields[3].into())
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn outside_any_request_a_new_unsampled_trace_is_named() {
        let (first, _, flags) = parts(&traceparent());
        let (second, _, _) = parts(&traceparent());
        assert_ne!(first, second);
        assert_eq!(flags, "00");
        assert_ne!(first, "0".repeat(32));
    }

    #[test]
    fn without_export_a_request_passes_the_callers_traceparent_on() {
        let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
        let cx = join_trace(&span, String::new, Some(CALLER), None);

        let inside = block_on(async { traceparent() }.with_context(cx));

        assert_eq!(inside, CALLER);
    }

    #[test]
    fn without_export_a_request_with_no_or_a_broken_traceparent_gets_a_new_trace() {
        for header in [
            None,
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            Some("junk"),
        ] {
            let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
            let cx = join_trace(&span, String::new, header, None);
            let trace_id = cx.span().span_context().trace_id().to_string();

            let (inside, _, flags) = parts(&block_on(async { traceparent() }.with_context(cx)));

            assert_eq!(inside, trace_id, "{header:?}");
            assert_ne!(inside, "4bf92f3577b34da6a3ce929d0e0e4736");
            assert_eq!(flags, "00");
        }
    }

    #[test]
    fn with_export_the_request_span_is_a_child_in_the_callers_trace() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry().with(layer(provider.tracer("test")));

        let (trace_id, parent_id, flags) = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "request",
                trace_id = tracing::field::Empty,
                otel.name = tracing::field::Empty,
                otel.kind = tracing::field::Empty,
            );
            let _cx = join_trace(&span, || "GET /health".into(), Some(CALLER), None);
            span.in_scope(|| parts(&traceparent()))
        });

        assert_eq!(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(
            parent_id, "00f067aa0ba902b7",
            "the parent is this service's span"
        );
        assert_eq!(flags, "01");
    }
}
