//! Traces: a request joins the trace its caller names in `traceparent`, its
//! log lines carry the trace id beside the request id, and with
//! `tracing.otlp_endpoint` set its spans reach an OTLP/HTTP receiver as JSON.

use crate::helpers::spawn_binary;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn traceparent() -> String {
    format!("00-{TRACE_ID}-{CALLER_SPAN}-01")
}

/// One request the receiver got: path, content type and body.
struct Received {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// A minimal OTLP/HTTP receiver: answers every POST with 200 `{}` and keeps
/// what it got.
fn start_receiver() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let (mut length, mut content_type) = (0, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or_default();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "content-type" => content_type = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let path = request_line
                .split(' ')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            sink.lock().unwrap().push(Received {
                path,
                content_type,
                body,
            });
            let _ = reader.get_mut().write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
            );
        }
    });
    (port, received)
}

/// Sends a GET with the given extra headers through curl.
fn get(url: &str, headers: &[String]) {
    let mut curl = std::process::Command::new("curl");
    curl.args(["-s", "-o", "/dev/null"]);
    for header in headers {
        curl.args(["-H", header]);
    }
    assert!(curl.arg(url).status().expect("curl runs").success());
}

/// Every span in OTLP JSON bodies, each with its resource's attributes.
fn spans(bodies: &[Value]) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    for body in bodies {
        for resource in body["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    out.push((resource["resource"].clone(), span.clone()));
                }
            }
        }
    }
    out
}

fn attribute<'a>(holder: &'a Value, key: &str) -> &'a Value {
    holder["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|kv| kv["key"] == key))
        .map_or(&Value::Null, |kv| &kv["value"])
}

#[test]
fn a_requests_spans_reach_an_otlp_receiver_in_the_callers_trace() {
    let (port, received) = start_receiver();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = spawn_binary(
        dir.path(),
        &[
            ("LAUNCHPAD_TRACING_OTLP_ENDPOINT", &endpoint),
            ("LAUNCHPAD_TRACING_SERVICE_NAME", "launchpad-test"),
            // The batch is sent every 5 s by default; sooner keeps the test short.
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ],
    );

    get(
        &server.url("/api/v1/projects"),
        &[
            format!("traceparent: {}", traceparent()),
            "x-request-id: traced-1".into(),
        ],
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    let (server_span, resource, all) = loop {
        let bodies: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect();
        let all = spans(&bodies);
        if let Some((resource, span)) = all
            .iter()
            .find(|(_, s)| s["traceId"] == TRACE_ID && s["parentSpanId"] == CALLER_SPAN)
        {
            break (span.clone(), resource.clone(), all);
        }
        assert!(
            Instant::now() < deadline,
            "no span of trace {TRACE_ID} arrived; the receiver got {} request(s), spans: {all:?}",
            received.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    {
        let received = received.lock().unwrap();
        assert!(received.iter().all(|r| r.path == "/v1/traces"));
        assert!(
            received
                .iter()
                .all(|r| r.content_type.starts_with("application/json"))
        );
    }
    assert_eq!(server_span["name"], "GET /api/v1/projects");
    assert_eq!(server_span["kind"], 2, "a server span: {server_span}");
    assert_eq!(
        attribute(&server_span, "http.route")["stringValue"],
        "/api/v1/projects"
    );
    assert_eq!(
        attribute(&resource, "service.name")["stringValue"],
        "launchpad-test"
    );
    let own_id = server_span["spanId"].as_str().unwrap();
    assert!(
        all.iter()
            .any(|(_, s)| s["traceId"] == TRACE_ID && s["parentSpanId"] == own_id),
        "the handler's span is a child of the request's: {all:?}"
    );
}

#[test]
fn log_lines_carry_the_callers_trace_id_or_a_new_one_beside_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);

    get(
        &server.url("/api/v1/projects"),
        &[
            format!("traceparent: {}", traceparent()),
            "x-request-id: traced-2".into(),
        ],
    );
    get(&server.url("/health"), &["x-request-id: untraced-3".into()]);

    let span_of = |request_id: &str| -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let line = server
                .output()
                .into_iter()
                .find(|l| l.contains(request_id) && l.contains("request completed"));
            if let Some(line) = line {
                let event: Value = serde_json::from_str(&line).expect("a JSON log line");
                return event["span"].clone();
            }
            assert!(Instant::now() < deadline, "{:?}", server.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let traced = span_of("traced-2");
    let untraced = span_of("untraced-3");
    assert_eq!(traced["request_id"], "traced-2");
    assert_eq!(traced["trace_id"], TRACE_ID);
    let fresh = untraced["trace_id"].as_str().expect("a trace id");
    assert_eq!(fresh.len(), 32, "{fresh}");
    assert!(fresh.bytes().all(|b| b.is_ascii_hexdigit()) && fresh != TRACE_ID);
}
