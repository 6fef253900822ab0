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

/// Sends `request` on a raw connection and returns the status line.
fn raw(port: u16, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn malformed_requests_are_refused_and_logged_as_warnings_never_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(300 * 1024)
    );
    let long_url = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100 * 1024)
    );

    let bad_header = raw(
        server.port,
        b"GET / HTTP/1.1\r\nHost: x\r\nBad\x01Name: v\r\n\r\n",
    );
    let too_large = raw(server.port, huge_header.as_bytes());
    let too_long = raw(server.port, long_url.as_bytes());

    assert!(bad_header.starts_with("HTTP/1.1 400"), "{bad_header}");
    assert!(too_large.starts_with("HTTP/1.1 431"), "{too_large}");
    assert!(too_long.starts_with("HTTP/1.1 400"), "{too_long}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !server.output().iter().any(|l| l.contains("stream error")) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            server.output()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let lines = server.output();
    let errors: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let warning = lines.iter().find(|l| l.contains("stream error")).unwrap();
    let event: Value = serde_json::from_str(warning).unwrap();
    assert_eq!(event["level"], "WARN", "{warning}");
}
