//! Structured logs: one JSON line per request, inside a span that carries
//! the request id, method, route pattern, status and latency.

use crate::helpers::spawn_binary;
use serde_json::Value;

#[test]
fn each_request_logs_one_json_line_with_its_id_route_pattern_status_and_latency() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let url = server.url("/api/v1/projects/0190f5a2-7b3c-7def-8abc-0123456789ab");

    let status = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-H",
            "x-request-id: log-test-1",
            &url,
        ])
        .status()
        .expect("curl runs");
    assert!(status.success());

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let line = loop {
        let found = server
            .output()
            .into_iter()
            .find(|l| l.contains("log-test-1") && l.contains("request completed"));
        if let Some(line) = found {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no request log line: {:?}",
            server.output()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let event: Value = serde_json::from_str(&line).expect("a JSON log line");
    let span = &event["span"];
    assert_eq!(span["request_id"], "log-test-1");
    assert_eq!(span["method"], "GET");
    assert_eq!(span["route"], "/api/v1/projects/{projectId}");
    assert_eq!(span["status"], 404);
    assert!(span["latency_ms"].as_f64().is_some(), "{event}");
    assert!(
        !line.contains("0190f5a2"),
        "the raw path must not be logged: {line}"
    );
}
