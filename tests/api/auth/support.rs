//! What every auth test needs: the team's accounts, the CLI run on a data
//! folder with a clean environment, a server started on a folder with users,
//! and requests signed in by session cookie or bearer token.

use crate::helpers::{TestApp, binary, spawn_app_in};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple 42";
pub const ADMIN: &str = "admin@example.com";
pub const EDITOR: &str = "editor@example.com";
pub const VIEWER: &str = "viewer@example.com";

// ---------------------------------------------------------------------------
// The CLI, run on a data folder with a clean environment.

/// `launchpad <args> --data-dir <data>` with only `env` set.
pub fn launchpad(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .envs(crate::backend::store_env(data))
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

pub fn both(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `launchpad user add` with the password in `LAUNCHPAD_PASSWORD`.
pub fn add_user(data: &Path, email: &str, role: &str, password: &str) -> Output {
    launchpad(
        data,
        &["user", "add", "--email", email, "--role", role],
        &[("LAUNCHPAD_PASSWORD", password)],
    )
}

pub fn must_add_user(data: &Path, email: &str, role: &str, password: &str) {
    let output = add_user(data, email, role, password);
    assert!(
        output.status.success(),
        "user add {email} failed: {}",
        both(&output)
    );
}

/// `launchpad token create`: the token is the last stdout line.
pub fn cli_token(data: &Path, email: &str, name: &str) -> String {
    let output = launchpad(
        data,
        &["token", "create", "--email", email, "--name", name],
        &[],
    );
    assert!(
        output.status.success(),
        "token create for {email} failed: {}",
        both(&output)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert!(
        token.starts_with("lp_"),
        "the last line is not a token: {stdout:?}"
    );
    token
}

/// A folder with an admin, an editor and a viewer (password [`PASSWORD`]).
pub fn folder_with_team() -> TempDir {
    let dir = TempDir::new().expect("a temporary folder");
    for (email, role) in [(ADMIN, "admin"), (EDITOR, "editor"), (VIEWER, "viewer")] {
        must_add_user(dir.path(), email, role, PASSWORD);
    }
    dir
}

/// The in-process app on `dir`, with no anonymous access unless `env` sets
/// `LAUNCHPAD_ANONYMOUS_ROLE`: the production default, so that a refused
/// credential cannot be mistaken for an anonymous request that got through.
pub async fn serve(dir: TempDir, env: &[(&str, &str)]) -> TestApp {
    let mut all = env.to_vec();
    if !env.iter().any(|(k, _)| *k == "LAUNCHPAD_ANONYMOUS_ROLE") {
        all.push(("LAUNCHPAD_ANONYMOUS_ROLE", "none"));
    }
    spawn_app_in(dir, &all).await
}

/// The in-process app on a folder holding the given users.
pub async fn app_with_users(users: &[(&str, &str, &str)], env: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new().expect("a temporary folder");
    for (email, role, password) in users {
        must_add_user(dir.path(), email, role, password);
    }
    serve(dir, env).await
}

// ---------------------------------------------------------------------------
// HTTP.

pub fn request(app: &TestApp, method: &str, path: &str) -> RequestBuilder {
    app.client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(path),
    )
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

/// The raw `Set-Cookie` header that sets `lp_session`.
pub fn session_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with("lp_session="))
        .map(str::to_owned)
}

/// `lp_session=<value>`, ready for a `Cookie` header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

/// Signs in and returns the session cookie pair.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let response = login(app, email, password).await;
    let status = response.status();
    let set_cookie = session_set_cookie(&response);
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "login as {email} failed: {body}");
    cookie_pair(&set_cookie.unwrap_or_else(|| panic!("no lp_session cookie set: {body}")))
}

/// A request authenticated by a session cookie that passes the CSRF check.
pub fn with_session(builder: RequestBuilder, cookie: &str) -> RequestBuilder {
    builder
        .header("cookie", cookie)
        .header("x-requested-with", "launchpad")
}

pub fn with_bearer(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("authorization", format!("Bearer {token}"))
}

pub async fn send(builder: RequestBuilder) -> Response {
    builder.send().await.expect("request sent")
}

pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
