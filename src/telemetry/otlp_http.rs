//! The span exporter's HTTP client: one `POST` per batch over plain TCP, to
//! a collector on the instance or in the VPC.
//!
//! opentelemetry-otlp needs an HTTP client, and the ones it can bring
//! (reqwest, hyper) would make the binary about 2 MB larger for a few
//! requests a minute to one known receiver; DESIGN §10 caps the binary at
//! 15 MB. This client sends each request on a new connection with
//! `Connection: close`, keeps connecting, writing and reading within the
//! export timeout, reads at most 1 MiB back, and follows no redirects and no
//! proxies. The endpoint is `http://` only (see `config/traces.rs`).
//!
//! Like every outbound request LaunchPad makes, it carries a `traceparent`
//! header; the exporter's thread is outside any request, so that names a new
//! trace that is not sampled, and the export is never traced itself.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The largest response read back; a receiver answers with a few bytes.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct OtlpHttp {
    /// For one request, from connecting to the last byte of the answer.
    pub timeout: Duration,
}

#[async_trait::async_trait]
impl HttpClient for OtlpHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        // The batch processor calls this on its own thread, where blocking is
        // what it expects.
        Ok(send(&request, Instant::now() + self.timeout)?)
    }
}

fn failed(what: impl Into<String>) -> io::Error {
    io::Error::other(what.into())
}

/// The time left until `deadline`, or a timeout error when none is.
fn left(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "the export timed out"))
}

fn send(request: &Request<Bytes>, deadline: Instant) -> io::Result<Response<Bytes>> {
    let uri = request.uri();
    if uri.scheme_str() != Some("http") {
        return Err(failed(format!(
            "only http:// endpoints are supported, not {uri}"
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| failed(format!("{uri} names no host")))?;
    let port = uri.port_u16().unwrap_or(80);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let mut stream = None;
    let mut last = failed(format!("{host} resolves to no address"));
    for addr in (bare, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, left(deadline)?) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let mut stream = stream.ok_or(last)?;

    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\ntraceparent: {}\r\n",
        request.method(),
        uri.path_and_query().map_or("/", |p| p.as_str()),
        uri.authority().map_or(host, |a| a.as_str()),
        request.body().len(),
        super::traceparent(),
    );
    for (name, value) in request.headers() {
        let skip = ["host", "content-length", "connection", "traceparent"];
        if let (false, Ok(value)) = (skip.contains(&name.as_str()), value.to_str()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    stream.set_write_timeout(Some(left(deadline)?))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(request.body())?;

    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        stream.set_read_timeout(Some(left(deadline)?))?;
        match stream.read(&mut chunk)? {
            0 => break,
            n if answer.len() + n > MAX_RESPONSE_BYTES => {
                return Err(failed("the receiver's answer is larger than 1 MiB"));
            }
            n => answer.extend_from_slice(&chunk[..n]),
        }
    }
    parse(&answer)
}

/// An HTTP/1.1 response read to its end: status, headers and body (with a
/// chunked body decoded).
fn parse(answer: &[u8]) -> io::Result<Response<Bytes>> {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| failed("the receiver's answer has no complete header"))?;
    let head = std::str::from_utf8(&answer[..split])
        .map_err(|_| failed("the receiver's answer header is not text"))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| failed("the receiver's answer has no status"))?;
    let mut response = Response::builder().status(status);
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
        response = response.header(name, value);
    }
    let mut body = &answer[split + 4..];
    let decoded;
    if chunked {
        decoded = dechunk(body)?;
        body = &decoded;
    } else if let Some(n) = length {
        body = &body[..n.min(body.len())];
    }
    response
        .body(Bytes::copy_from_slice(body))
        .map_err(|e| failed(format!("the receiver's answer is not valid HTTP: {e}")))
}

fn dechunk(mut body: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| failed("a chunked answer ends early"))?;
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .ok_or_else(|| failed("a chunked answer has a bad chunk size"))?;
        body = &body[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body
            .get(..size)
            .ok_or_else(|| failed("a chunked answer ends early"))?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A receiver that answers one request with `answer` and hands back what it got.
    fn receiver(answer: &'static [u8]) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
        let got = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // The request is complete once its body (of content-length bytes) is in.
            while !String::from_utf8_lossy(&request).ends_with("{\"spans\":[]}") {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(answer).unwrap();
            String::from_utf8(request).unwrap()
        });
        (url, got)
    }

    fn post(url: &str, timeout: Duration) -> io::Result<Response<Bytes>> {
        let request = Request::builder()
            .method("POST")
            .uri(url)
            .header("content-type", "application/json")
            .header("authorization", "Bearer abc")
            .body(Bytes::from_static(b"{\"spans\":[]}"))
            .unwrap();
        send(&request, Instant::now() + timeout)
    }

    #[test]
    fn a_batch_is_posted_with_its_headers_and_a_traceparent() {
        let (url, got) = receiver(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");

        let response = post(&url, Duration::from_secs(10)).unwrap();

        assert_eq!(response.status(), 200);
        assert_eq!(response.body().as_ref(), b"{}");
        let request = got.join().unwrap();
        assert!(
            request.starts_with("POST /v1/traces HTTP/1.1\r\n"),
            "{request}"
        );
        for header in [
            "content-type: application/json\r\n",
            "authorization: Bearer abc\r\n",
            "content-length: 12\r\n",
            "connection: close\r\n",
            "traceparent: 00-",
        ] {
            assert!(request.contains(header), "{header} missing from {request}");
        }
    }

    #[test]
    fn a_chunked_answer_and_a_refusal_with_retry_after_are_read() {
        let (url, _) = receiver(
            b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
        );

        let response = post(&url, Duration::from_secs(10)).unwrap();

        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(response.body().as_ref(), b"{\"a\":1}");
    }

    #[test]
    fn a_receiver_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());

        let error = post(&url, Duration::from_millis(300)).unwrap_err();

        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ),
            "{error}"
        );
        drop(listener);
    }

    #[test]
    fn only_plain_http_is_spoken() {
        let error = post("https://collector:4318/v1/traces", Duration::from_secs(1)).unwrap_err();
        assert!(error.to_string().contains("only http://"), "{error}");
    }
}
