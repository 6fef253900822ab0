//! Starting the real application for a test and talking to it.

use launchpad::config::{Overrides, Settings};
use launchpad::startup::Application;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A client for talking to the app. The crate's HTTP client is built with
/// rustls and the ring provider, which must be installed first.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

pub fn client() -> reqwest::Client {
    client_builder().build().expect("an HTTP client")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    handle: actix_web::dev::ServerHandle,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The app with default settings (demo data on) in a new folder.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app with an empty store.
pub async fn spawn_empty_app() -> TestApp {
    spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await
}

/// The app configured through `LAUNCHPAD_*` variables, as an operator would.
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    spawn_app_in(TempDir::new().expect("a temporary folder"), env).await
}

/// The app on an existing data folder, e.g. after a restart.
pub async fn spawn_app_in(data_dir: TempDir, env: &[(&str, &str)]) -> TestApp {
    let settings = settings_for(data_dir.path(), env);
    let app = Application::build(&settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: client(),
        data_dir,
        handle,
        running,
    }
}

/// The anonymous role the API tests run with unless they set their own: the
/// prototype client's setting, so tests of other features need no sign-in.
pub const TEST_ANONYMOUS_ROLE: (&str, &str) = ("LAUNCHPAD_ANONYMOUS_ROLE", "editor");

/// `env`, with the test anonymous role and the suite's store backend
/// unless `env` sets its own.
fn with_test_defaults(data_dir: &Path, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !env.iter().any(|(k, _)| *k == TEST_ANONYMOUS_ROLE.0) {
        all.push((TEST_ANONYMOUS_ROLE.0.into(), TEST_ANONYMOUS_ROLE.1.into()));
    }
    if !env
        .iter()
        .any(|(k, _)| k.starts_with("LAUNCHPAD_STORE_BACKEND"))
    {
        all.extend(crate::backend::store_env(data_dir));
    }
    all
}

pub fn settings_for(data_dir: &Path, env: &[(&str, &str)]) -> Settings {
    let env: BTreeMap<String, String> = with_test_defaults(data_dir, env).into_iter().collect();
    let overrides = Overrides {
        config_file: None,
        data_dir: Some(data_dir.to_owned()),
        listen: Some("127.0.0.1:0".into()),
        identity: None,
        identity_not_needed: false,
    };
    Settings::from_sources(&overrides, &env).expect("test settings are valid")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops gracefully, waits for the store to close and hands back the folder.
    pub async fn stop(self) -> TempDir {
        self.handle.stop(true).await;
        self.running
            .await
            .expect("the server task joins")
            .expect("the server stops cleanly");
        self.data_dir
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// A conditional GET: 304 while `etag` still names what would be sent.
    pub async fn get_if_none_match(&self, path: &str, etag: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Sends raw bytes with a given content type (or none).
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send().await.expect("request sent")
    }

    pub async fn create_project(&self, name: &str) -> Value {
        created(
            self.post_json("/api/v1/projects", &json!({ "name": name }))
                .await,
        )
        .await
    }

    pub async fn create_checklist(&self, project: &str, name: &str) -> Value {
        created(
            self.post_json(
                &format!("/api/v1/projects/{project}/checklists"),
                &json!({ "name": name }),
            )
            .await,
        )
        .await
    }

    pub async fn create_task(&self, project: &str, checklist: &str, title: &str) -> Value {
        let path = format!("/api/v1/projects/{project}/checklists/{checklist}/tasks");
        created(self.post_json(&path, &json!({ "title": title })).await).await
    }

    /// Every project, following `Link` headers page by page.
    pub async fn all_projects(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some("/api/v1/projects?limit=200".to_owned());
        while let Some(path) = next {
            let response = self.get(&path).await;
            assert_eq!(response.status(), StatusCode::OK);
            next = next_link(&response);
            let page: Vec<Value> = response.json().await.expect("a JSON array");
            out.extend(page);
        }
        out
    }
}

/// Asserts a 201 and returns the body.
pub async fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::CREATED, "unexpected answer: {body}");
    body
}

/// The path of a `Link: <…>; rel="next"` header, if any.
pub fn next_link(response: &Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    link.contains("rel=\"next\"")
        .then(|| link[start..end].to_owned())
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .expect("a content type")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.expect("a problem body");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["requestId"], request_id.as_str());
    for field in ["type", "title", "detail", "instance"] {
        assert!(body[field].is_string(), "problem lacks {field}: {body}");
    }
    body
}

/// The fields named in a problem's `errors`.
/// Asserts a 404 problem whose one error names `field` (the missing parent or record).
pub async fn not_found_naming(response: Response, field: &str) {
    assert_eq!(
        error_fields(&problem(response, StatusCode::NOT_FOUND).await),
        [field]
    );
}

/// The names of the failing checks in a `/ready` body.
pub fn failing_checks(ready: &Value) -> Vec<String> {
    ready["checks"]
        .as_array()
        .expect("a checks list")
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
}

/// Path to the built binary, for CLI tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_launchpad"))
}

/// The real binary running `serve`, with its stdout collected line by line.
pub struct RunningBinary {
    pub child: std::process::Child,
    pub port: u16,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Set once every stdout line has been collected.
    pub stdout_closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Starts `launchpad serve` on port 0 in `data_dir` and waits until it serves.
pub fn spawn_binary(data_dir: &Path, env: &[(&str, &str)]) -> RunningBinary {
    spawn_serving(std::process::Command::new(binary()), data_dir, env)
}

/// As [`spawn_binary`], started from a shell that first sets `umask`.
pub fn spawn_binary_with_umask(
    data_dir: &Path,
    env: &[(&str, &str)],
    umask: &str,
) -> RunningBinary {
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(binary());
    spawn_serving(shell, data_dir, env)
}

fn spawn_serving(
    mut command: std::process::Command,
    data_dir: &Path,
    env: &[(&str, &str)],
) -> RunningBinary {
    use std::io::BufRead;
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_clear()
        .env("LAUNCHPAD_LOG_FORMAT", "json")
        .envs(with_test_defaults(data_dir, env))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let sink = std::sync::Arc::clone(&lines);
    let stdout_closed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let closed = std::sync::Arc::clone(&stdout_closed);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["fields"]["message"] == "launchpad is serving"
            {
                let _ = port_tx.send(event["fields"]["port"].as_u64().unwrap_or(0) as u16);
            }
            sink.lock().unwrap().push(line);
        }
        closed.store(true, std::sync::atomic::Ordering::Release);
    });
    let port = port_rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).ok();
            panic!(
                "the binary did not start serving; stderr: {stderr}; stdout: {:?}",
                lines.lock().unwrap()
            );
        });
    RunningBinary {
        child,
        port,
        lines,
        stdout_closed,
    }
}

impl RunningBinary {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends a signal by name (TERM, INT, KILL) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `secs`.
    pub fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // The last lines may still be on their way through the pipe.
                while !self
                    .stdout_closed
                    .load(std::sync::atomic::Ordering::Acquire)
                    && std::time::Instant::now() < deadline
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the process did not exit within {secs}s"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const EMAIL_SENTINEL: &str = "sentinel.owner.7f3a9c@example.com";
pub const NOTES_SENTINEL: &str = "SENTINEL-NOTES-4b1d8e-personal";

/// Runs the binary with a clean environment: `args`, then `extra`, then `--data-dir data`.
pub fn run(args: &[&str], data: &Path, extra: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .args(extra)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .envs(crate::backend::store_env(data))
        .output()
        .expect("the binary runs")
}

pub fn http(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]);
    if let Some(body) = body {
        cmd.args([
            "-H",
            "content-type: application/json",
            "--data-binary",
            &body.to_string(),
        ]);
    }
    let out = String::from_utf8(cmd.output().expect("curl runs").stdout).unwrap();
    let (body, code) = out.rsplit_once('\n').unwrap();
    (
        code.parse().unwrap(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// Creates a project with an owner email and `n` tasks with notes; returns
/// the project path and the notes by task id.
pub fn seed(server: &RunningBinary, n: usize) -> (String, Vec<(String, String)>) {
    let (status, project) = http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "Sealed", "ownerEmail": EMAIL_SENTINEL })),
    );
    assert_eq!(status, 201);
    let pid = project["id"].as_str().unwrap().to_owned();
    let (_, checklist) = http(
        "POST",
        &server.url(&format!("/api/v1/projects/{pid}/checklists")),
        Some(&json!({ "name": "Private" })),
    );
    let cid = checklist["id"].as_str().unwrap();
    let mut notes = Vec::new();
    for i in 0..n {
        let text = format!("{NOTES_SENTINEL} #{i}");
        let (status, task) = http(
            "POST",
            &server.url(&format!("/api/v1/projects/{pid}/checklists/{cid}/tasks")),
            Some(&json!({ "title": format!("Task {i}"), "notes": text })),
        );
        assert_eq!(status, 201);
        notes.push((task["id"].as_str().unwrap().to_owned(), text));
    }
    (format!("/api/v1/projects/{pid}"), notes)
}

pub fn stop(mut server: RunningBinary) -> Vec<String> {
    server.signal("TERM");
    assert!(server.wait_exit(30).success());
    server.output()
}

pub fn sha(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// A tiny synchronous HTTP client over a fresh tokio runtime, for tests that
/// drive the binary from plain threads.
pub mod blocking {
    use reqwest::Client;
    use serde_json::Value;
    use std::collections::HashSet;

    pub struct Blocking {
        runtime: tokio::runtime::Runtime,
        client: Client,
    }

    pub fn client() -> Blocking {
        with_client(super::client())
    }

    /// A client whose every request gives up after `timeout`, for tests
    /// that must prove no request waits forever.
    pub fn with_timeout(timeout: std::time::Duration) -> Blocking {
        with_client(super::client_builder().timeout(timeout).build().unwrap())
    }

    fn with_client(client: Client) -> Blocking {
        Blocking {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client,
        }
    }

    /// One answer: status, `Retry-After` and `Content-Type` headers, body.
    pub struct Answer {
        pub status: u16,
        pub retry_after: Option<String>,
        pub content_type: String,
        pub body: Value,
    }

    impl Blocking {
        /// Sends a request; `Err` says why no answer came (a timeout, say).
        pub fn send(
            &self,
            method: &str,
            url: &str,
            body: Option<&Value>,
        ) -> Result<Answer, String> {
            self.runtime.block_on(async {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = self.client.request(method, url);
                if let Some(body) = body {
                    request = request.json(body);
                }
                let response = request.send().await.map_err(|e| format!("{e:?}"))?;
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let retry_after = header("retry-after");
                let content_type = header("content-type").unwrap_or_default();
                let status = response.status().as_u16();
                let text = response.text().await.map_err(|e| format!("{e:?}"))?;
                Ok(Answer {
                    status,
                    retry_after,
                    content_type,
                    body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
                })
            })
        }
    }

    impl Blocking {
        pub fn post(&self, url: &str, body: &Value) -> Option<(u16, Value)> {
            self.runtime.block_on(async {
                let response = self.client.post(url).json(body).send().await.ok()?;
                let status = response.status().as_u16();
                Some((status, response.json().await.ok()?))
            })
        }

        pub fn all_ids(&self, first: &str) -> HashSet<String> {
            self.runtime.block_on(async {
                let mut ids = HashSet::new();
                let mut next = Some(first.to_owned());
                let base = first.split("/api/").next().unwrap().to_owned();
                while let Some(url) = next {
                    let response = self.client.get(&url).send().await.unwrap();
                    next = crate::helpers::next_link(&response).map(|p| format!("{base}{p}"));
                    let page: Vec<Value> = response.json().await.unwrap();
                    ids.extend(page.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
                }
                ids
            })
        }
    }
}
