//! The tracing section: where spans are exported over OTLP/HTTP, under
//! which service name, and what share of new traces is kept.
//!
//! Export is off unless `tracing.otlp_endpoint` is set. The endpoint speaks
//! plain HTTP: spans go to a collector on the instance or inside the VPC
//! (the OpenTelemetry Collector, Grafana Alloy, Jaeger), which forwards them
//! over TLS if they leave the network. Keeping TLS out of LaunchPad keeps a
//! second TLS stack and its C build out of the binary.

use super::keys;
use super::parser::Parser;

/// OTLP's path for spans, added to an endpoint that does not end with it.
const TRACES_PATH: &str = "/v1/traces";

#[derive(Debug, Clone, PartialEq)]
pub struct TraceSettings {
    /// The full URL spans are posted to; `None` exports nothing.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
    /// Share of traces started here that are exported, 0.0 to 1.0.
    pub sampling_ratio: f64,
}

/// `tracing.otlp_endpoint`, `tracing.service_name` and `tracing.sampling_ratio`.
pub(super) fn parse(parser: &mut Parser) -> TraceSettings {
    let otlp_endpoint = parser.parse(
        &keys::OTLP_ENDPOINT,
        None,
        "an http:// URL of an OTLP/HTTP receiver such as http://127.0.0.1:4318 (TLS is not built in: run a collector on the instance)",
        traces_url,
    );
    let service_name = parser.parse(
        &keys::SERVICE_NAME,
        "launchpad".to_owned(),
        "a non-empty name without control characters",
        |s| {
            let name = s.trim();
            (!name.is_empty() && !name.chars().any(char::is_control)).then(|| name.to_owned())
        },
    );
    let sampling_ratio = parser.decimal(&keys::SAMPLING_RATIO, 1.0, 0.0..=1.0);
    TraceSettings {
        otlp_endpoint,
        service_name,
        sampling_ratio,
    }
}

/// The URL spans are posted to, from what an operator wrote: the empty
/// string is "off", a base URL gets OTLP's `/v1/traces`.
fn traces_url(text: &str) -> Option<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    let url = url::Url::parse(text).ok()?;
    if url.scheme() != "http" || url.host_str().is_none() || url.query().is_some() {
        return None;
    }
    let base = url.as_str().trim_end_matches('/');
    if base.ends_with(TRACES_PATH) {
        Some(Some(base.to_owned()))
    } else {
        Some(Some(format!("{base}{TRACES_PATH}")))
    }
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn a_base_url_gets_the_traces_path_and_a_full_one_is_kept() {
        let full = |s: &str| traces_url(s).flatten();
        assert_eq!(
            full("http://127.0.0.1:4318").as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
        assert_eq!(
            full("http://collector:4318/").as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(
            full("http://gateway/otlp").as_deref(),
            Some("http://gateway/otlp/v1/traces")
        );
        assert_eq!(
            full("http://collector:4318/v1/traces").as_deref(),
            Some("http://collector:4318/v1/traces")
        );
    }

    #[test]
    fn an_empty_endpoint_is_off_and_anything_but_plain_http_is_refused() {
        assert_eq!(traces_url("  "), Some(None));
        assert_eq!(traces_url("https://api.honeycomb.io"), None);
        assert_eq!(traces_url("grpc://collector:4317"), None);
        assert_eq!(traces_url("collector:4318"), None);
        assert_eq!(traces_url("http://collector:4318/?x=1"), None);
    }
}
