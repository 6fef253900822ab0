//! Accounts, roles, sessions, API tokens, the audit log, rate limits and
//! security headers, against the contract in the auth spec: users are made
//! with the CLI on the data folder before the server starts, then the real
//! server is driven over HTTP.

use crate::helpers::{
    EMAIL_SENTINEL, NOTES_SENTINEL, RunningBinary, TestApp, binary, next_link, problem, run,
    spawn_app_in, spawn_app_with, spawn_binary, stop,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const PASSWORD: &str = "correct horse battery staple 42";
const ADMIN: &str = "admin@example.com";
const EDITOR: &str = "editor@example.com";
const VIEWER: &str = "viewer@example.com";
const CSRF: &str = "urn:launchpad:problem:csrf";
const RATE_LIMITED: &str = "urn:launchpad:problem:rate-limited";

/// Ids no store ever minted, for paths whose record need not exist.
const NO_PROJECT: &str = "00000000-0000-4000-8000-00000000a001";
const NO_CHECKLIST: &str = "00000000-0000-4000-8000-00000000a002";
const NO_TASK: &str = "00000000-0000-4000-8000-00000000a003";
const NO_TOKEN: &str = "00000000-0000-4000-8000-00000000a004";
const NO_USER: &str = "00000000-0000-4000-8000-00000000a005";

// ---------------------------------------------------------------------------
// The CLI, run on a data folder with a clean environment.

/// `launchpad <args> --data-dir <data>` with only `env` set.
fn launchpad(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn both(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `launchpad user add` with the password in `LAUNCHPAD_PASSWORD`.
fn add_user(data: &Path, email: &str, role: &str, password: &str) -> Output {
    launchpad(
        data,
        &["user", "add", "--email", email, "--role", role],
        &[("LAUNCHPAD_PASSWORD", password)],
    )
}

fn must_add_user(data: &Path, email: &str, role: &str, password: &str) {
    let output = add_user(data, email, role, password);
    assert!(
        output.status.success(),
        "user add {email} failed: {}",
        both(&output)
    );
}

/// `launchpad token create`: the token is the last stdout line.
fn cli_token(data: &Path, email: &str, name: &str) -> String {
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
fn folder_with_team() -> TempDir {
    let dir = TempDir::new().expect("a temporary folder");
    for (email, role) in [(ADMIN, "admin"), (EDITOR, "editor"), (VIEWER, "viewer")] {
        must_add_user(dir.path(), email, role, PASSWORD);
    }
    dir
}

/// The in-process app on `dir`, with no anonymous access unless `env` sets
/// `LAUNCHPAD_ANONYMOUS_ROLE`: the production default, so that a refused
/// credential cannot be mistaken for an anonymous request that got through.
async fn serve(dir: TempDir, env: &[(&str, &str)]) -> TestApp {
    let mut all = env.to_vec();
    if !env.iter().any(|(k, _)| *k == "LAUNCHPAD_ANONYMOUS_ROLE") {
        all.push(("LAUNCHPAD_ANONYMOUS_ROLE", "none"));
    }
    spawn_app_in(dir, &all).await
}

/// The in-process app on a folder holding the given users.
async fn app_with_users(users: &[(&str, &str, &str)], env: &[(&str, &str)]) -> TestApp {
    let dir = TempDir::new().expect("a temporary folder");
    for (email, role, password) in users {
        must_add_user(dir.path(), email, role, password);
    }
    serve(dir, env).await
}

// ---------------------------------------------------------------------------
// HTTP.

fn request(app: &TestApp, method: &str, path: &str) -> RequestBuilder {
    app.client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        app.url(path),
    )
}

async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

/// A login from a given client IP, as a trusted proxy would forward it.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request sent")
}

/// The raw `Set-Cookie` header that sets `lp_session`.
fn session_set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with("lp_session="))
        .map(str::to_owned)
}

/// `lp_session=<value>`, ready for a `Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

/// Signs in and returns the session cookie pair.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let response = login(app, email, password).await;
    let status = response.status();
    let set_cookie = session_set_cookie(&response);
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "login as {email} failed: {body}");
    cookie_pair(&set_cookie.unwrap_or_else(|| panic!("no lp_session cookie set: {body}")))
}

/// A request authenticated by a session cookie that passes the CSRF check.
fn with_session(builder: RequestBuilder, cookie: &str) -> RequestBuilder {
    builder
        .header("cookie", cookie)
        .header("x-requested-with", "launchpad")
}

fn with_bearer(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("authorization", format!("Bearer {token}"))
}

async fn send(builder: RequestBuilder) -> Response {
    builder.send().await.expect("request sent")
}

async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn retry_after(response: &Response) -> u64 {
    let raw = response
        .headers()
        .get("retry-after")
        .expect("a 429 carries Retry-After")
        .to_str()
        .unwrap()
        .to_owned();
    raw.trim()
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {raw:?}"))
}

// ---------------------------------------------------------------------------
// 1. Route permissions.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    Nothing,
    Viewer,
    Editor,
    SignedIn,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Viewer,
    Editor,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Anything the auth layer lets through: not 401, not 403.
    Allowed,
    Unauthorized,
    Forbidden,
}

fn expected(needs: Needs, caller: Caller) -> Outcome {
    use Outcome::*;
    match (needs, caller) {
        (Needs::Nothing, _) => Allowed,
        (_, Caller::Anonymous) => Unauthorized,
        (Needs::Viewer | Needs::SignedIn, _) => Allowed,
        (Needs::Editor, Caller::Viewer) => Forbidden,
        (Needs::Editor, _) => Allowed,
        (Needs::Admin, Caller::Admin) => Allowed,
        (Needs::Admin, _) => Forbidden,
    }
}

/// Every route of the spec's "Route permissions" section, with a small body.
/// Logout comes last so a caller's credentials stay usable until then.
fn every_route(caller: Caller) -> Vec<(&'static str, String, Option<Value>, Needs)> {
    let p = format!("/api/v1/projects/{NO_PROJECT}");
    let c = format!("{p}/checklists/{NO_CHECKLIST}");
    let t = format!("{c}/tasks/{NO_TASK}");
    let tag = format!("{caller:?}").to_lowercase();
    vec![
        ("GET", "/health".into(), None, Needs::Nothing),
        ("GET", "/api/v1/openapi.json".into(), None, Needs::Nothing),
        (
            "POST",
            "/api/v1/auth/login".into(),
            Some(json!({ "email": VIEWER, "password": PASSWORD })),
            Needs::Nothing,
        ),
        ("GET", "/api/v1/auth/me".into(), None, Needs::Nothing),
        ("GET", "/api/v1/projects".into(), None, Needs::Viewer),
        ("GET", p.clone(), None, Needs::Viewer),
        (
            "POST",
            "/api/v1/projects".into(),
            Some(json!({ "name": format!("Matrix {tag}") })),
            Needs::Editor,
        ),
        (
            "PATCH",
            p.clone(),
            Some(json!({ "name": "Renamed project" })),
            Needs::Editor,
        ),
        ("DELETE", p.clone(), None, Needs::Editor),
        (
            "POST",
            format!("{p}/checklists"),
            Some(json!({ "name": "Launch" })),
            Needs::Editor,
        ),
        (
            "PATCH",
            c.clone(),
            Some(json!({ "name": "Renamed checklist" })),
            Needs::Editor,
        ),
        ("DELETE", c.clone(), None, Needs::Editor),
        (
            "POST",
            format!("{c}/tasks"),
            Some(json!({ "title": "Write the runbook" })),
            Needs::Editor,
        ),
        (
            "PATCH",
            t.clone(),
            Some(json!({ "title": "Rewrite the runbook" })),
            Needs::Editor,
        ),
        ("DELETE", t.clone(), None, Needs::Editor),
        ("GET", "/api/v1/tokens".into(), None, Needs::SignedIn),
        (
            "POST",
            "/api/v1/tokens".into(),
            Some(json!({ "name": format!("matrix-{tag}") })),
            Needs::SignedIn,
        ),
        (
            "DELETE",
            format!("/api/v1/tokens/{NO_TOKEN}"),
            None,
            Needs::SignedIn,
        ),
        ("GET", "/api/v1/users".into(), None, Needs::Admin),
        (
            "POST",
            "/api/v1/users".into(),
            Some(json!({
                "email": format!("matrix.{tag}@example.com"),
                "role": "viewer",
                "password": PASSWORD,
            })),
            Needs::Admin,
        ),
        (
            "DELETE",
            format!("/api/v1/users/{NO_USER}"),
            None,
            Needs::Admin,
        ),
        ("GET", "/api/v1/audit".into(), None, Needs::Admin),
        ("GET", "/api/v1/backups/status".into(), None, Needs::Admin),
        ("GET", "/api/v1/summary".into(), None, Needs::Viewer),
        ("POST", "/api/v1/auth/logout".into(), None, Needs::SignedIn),
    ]
}

#[tokio::test]
async fn every_route_answers_401_403_or_lets_through_exactly_as_the_role_table_says() {
    let dir = folder_with_team();
    let tokens = [
        (Caller::Viewer, cli_token(dir.path(), VIEWER, "matrix")),
        (Caller::Editor, cli_token(dir.path(), EDITOR, "matrix")),
        (Caller::Admin, cli_token(dir.path(), ADMIN, "matrix")),
    ];
    let app = serve(dir, &[("LAUNCHPAD_ANONYMOUS_ROLE", "none")]).await;
    let mut wrong = Vec::new();
    let mut checked = 0;

    for caller in [
        Caller::Anonymous,
        Caller::Viewer,
        Caller::Editor,
        Caller::Admin,
    ] {
        let token = tokens.iter().find(|(c, _)| *c == caller).map(|(_, t)| t);
        for (method, path, body, needs) in every_route(caller) {
            let mut builder = request(&app, method, &path);
            if let Some(token) = token {
                builder = with_bearer(builder, token);
            }
            if let Some(body) = &body {
                builder = builder.json(body);
            }
            let response = send(builder).await;
            let status = response.status();
            let got = match status {
                StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
                StatusCode::FORBIDDEN => Outcome::Forbidden,
                _ => Outcome::Allowed,
            };
            let want = expected(needs, caller);
            checked += 1;
            if got != want {
                wrong.push(format!(
                    "{caller:?} {method} {path}: want {want:?}, got {status}"
                ));
                continue;
            }
            if got != Outcome::Allowed {
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if content_type != "application/problem+json" {
                    wrong.push(format!(
                        "{caller:?} {method} {path}: {status} is not problem+json ({content_type:?})"
                    ));
                }
            }
            if got == Outcome::Unauthorized && caller == Caller::Anonymous {
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if !challenge.starts_with("Bearer") {
                    wrong.push(format!(
                        "{caller:?} {method} {path}: 401 without WWW-Authenticate: Bearer ({challenge:?})"
                    ));
                }
            }
        }
    }

    assert_eq!(checked, 4 * 25, "every route × every caller was tried");
    assert!(
        wrong.is_empty(),
        "{} of {checked} answers break the role table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn the_permission_check_answers_before_the_body_or_path_is_validated() {
    let dir = folder_with_team();
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let editor = cli_token(dir.path(), EDITOR, "ci");
    let app = serve(dir, &[]).await;

    let anonymous = send(
        request(&app, "PATCH", "/api/v1/projects/not-a-uuid")
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    let viewer_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &viewer)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    let viewer_delete = send(with_bearer(
        request(&app, "DELETE", "/api/v1/projects/not-a-uuid"),
        &viewer,
    ))
    .await;
    let editor_admin =
        send(with_bearer(request(&app, "POST", "/api/v1/users"), &editor).json(&json!({}))).await;

    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    problem(viewer_write, StatusCode::FORBIDDEN).await;
    problem(viewer_delete, StatusCode::FORBIDDEN).await;
    problem(editor_admin, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_session_cookie_can_read_but_an_unsafe_request_needs_a_same_origin_or_x_requested_with() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let unsafe_post = || {
        request(&app, "POST", "/api/v1/tokens")
            .header("cookie", &cookie)
            .json(&json!({ "name": "csrf probe" }))
    };

    let read = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let bare = send(unsafe_post()).await;
    let foreign = send(unsafe_post().header("origin", "https://evil.example")).await;
    let other_port = send(unsafe_post().header("origin", "http://127.0.0.1:1")).await;
    let same_origin = send(unsafe_post().header("origin", &app.address)).await;
    let marked = send(unsafe_post().header("x-requested-with", "launchpad")).await;

    assert_eq!(read.status(), StatusCode::OK);
    let bare = problem(bare, StatusCode::FORBIDDEN).await;
    assert_eq!(bare["type"], CSRF, "{bare}");
    let foreign = problem(foreign, StatusCode::FORBIDDEN).await;
    assert_eq!(foreign["type"], CSRF, "{foreign}");
    let other_port = problem(other_port, StatusCode::FORBIDDEN).await;
    assert_eq!(other_port["type"], CSRF, "{other_port}");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
    assert_eq!(marked.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------------------
// 2. The anonymous role.

#[tokio::test]
async fn with_anonymous_role_editor_a_client_without_login_creates_and_lists_projects_but_not_users_or_tokens()
 {
    let app = spawn_app_with(&[("LAUNCHPAD_ANONYMOUS_ROLE", "editor")]).await;

    let (me_status, me) = json_of(app.get("/api/v1/auth/me").await).await;
    let created = app
        .post_json("/api/v1/projects", &json!({ "name": "No login needed" }))
        .await;
    let (list_status, list) = json_of(app.get("/api/v1/projects").await).await;
    let users = app.get("/api/v1/users").await;
    let tokens = app.get("/api/v1/tokens").await;
    let new_token = app
        .post_json("/api/v1/tokens", &json!({ "name": "anon" }))
        .await;
    let audit = app.get("/api/v1/audit").await;

    assert_eq!(me_status, StatusCode::OK);
    assert_eq!(me["user"], Value::Null, "{me}");
    assert_eq!(me["anonymousRole"], "editor", "{me}");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(list_status, StatusCode::OK);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "No login needed"),
        "{list}"
    );
    problem(users, StatusCode::UNAUTHORIZED).await;
    problem(tokens, StatusCode::UNAUTHORIZED).await;
    problem(new_token, StatusCode::UNAUTHORIZED).await;
    problem(audit, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_bad_token_or_session_gets_401_even_when_anonymous_requests_would_be_let_through() {
    let dir = folder_with_team();
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let app = serve(dir, &[("LAUNCHPAD_ANONYMOUS_ROLE", "editor")]).await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let logout = send(with_session(
        request(&app, "POST", "/api/v1/auth/logout"),
        &cookie,
    ))
    .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    let anonymous = app.get("/api/v1/projects").await;
    let forged = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        "lp_not-a-real-token",
    ))
    .await;
    let tampered = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &format!("{viewer}0"),
    ))
    .await;
    let old_session =
        send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let viewer_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &viewer)
            .json(&json!({ "name": "Lower than anonymous" })),
    )
    .await;

    assert_eq!(anonymous.status(), StatusCode::OK);
    problem(forged, StatusCode::UNAUTHORIZED).await;
    problem(tampered, StatusCode::UNAUTHORIZED).await;
    problem(old_session, StatusCode::UNAUTHORIZED).await;
    problem(viewer_write, StatusCode::FORBIDDEN).await;
}

// ---------------------------------------------------------------------------
// 3–5. Sessions.

#[tokio::test]
async fn login_sets_an_httponly_samesite_strict_cookie_and_logout_ends_the_session() {
    let app = app_with_users(&[(EDITOR, "editor", PASSWORD)], &[]).await;

    let response = login(&app, EDITOR, PASSWORD).await;
    let set_cookie = session_set_cookie(&response).expect("an lp_session cookie");
    let (status, body) = json_of(response).await;
    let cookie = cookie_pair(&set_cookie);
    let (me_status, me) =
        json_of(send(request(&app, "GET", "/api/v1/auth/me").header("cookie", &cookie)).await)
            .await;
    let before = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let logout = send(with_session(
        request(&app, "POST", "/api/v1/auth/logout"),
        &cookie,
    ))
    .await;
    let cleared = session_set_cookie(&logout);
    let logout_status = logout.status();
    let after = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], EDITOR, "{body}");
    assert_eq!(body["user"]["role"], "editor", "{body}");
    assert!(body["user"]["id"].is_string(), "{body}");
    let attributes: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{set_cookie}");
    assert!(
        attributes.iter().any(|a| a == "samesite=strict"),
        "{set_cookie}"
    );
    assert!(attributes.iter().any(|a| a == "path=/"), "{set_cookie}");
    assert!(
        !attributes.iter().any(|a| a == "secure"),
        "Secure is off by default: {set_cookie}"
    );
    assert_eq!(me_status, StatusCode::OK);
    assert_eq!(me["user"]["email"], EDITOR, "{me}");
    assert_eq!(me["user"]["role"], "editor", "{me}");
    assert_eq!(me["user"]["id"], body["user"]["id"]);
    assert_eq!(before.status(), StatusCode::OK);
    assert_eq!(logout_status, StatusCode::NO_CONTENT);
    let cleared = cleared.expect("logout clears the cookie");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );
    problem(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn with_cookie_secure_the_session_cookie_is_marked_secure() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_COOKIE_SECURE", "true")],
    )
    .await;

    let response = login(&app, VIEWER, PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = session_set_cookie(&response).expect("an lp_session cookie");
    assert!(
        set_cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{set_cookie}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_that_terminates_tls_the_session_cookie_is_secure() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let body = json!({ "email": VIEWER, "password": PASSWORD });

    let over_tls = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&body)
        .send()
        .await
        .unwrap();
    let plain = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "http")
        .json(&body)
        .send()
        .await
        .unwrap();

    let secure = |r: &Response| {
        session_set_cookie(r)
            .unwrap()
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure"))
    };
    assert!(secure(&over_tls));
    assert!(!secure(&plain));
}

#[tokio::test]
async fn a_client_that_is_not_a_trusted_proxy_cannot_claim_tls_for_its_cookie() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({ "email": VIEWER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();

    let cookie = session_set_cookie(&response).unwrap();
    assert!(
        !cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let wrong_password = problem(
        login(&app, VIEWER, "not the right passphrase 17").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown_email = problem(
        login(&app, "nobody.here@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    for field in ["type", "title", "detail"] {
        assert_eq!(
            wrong_password[field], unknown_email[field],
            "{field} tells the two apart"
        );
    }
    let text = wrong_password.to_string();
    assert!(
        !text.contains(VIEWER),
        "the answer names the account: {text}"
    );
}

#[tokio::test]
async fn a_session_idle_for_longer_than_session_idle_secs_gets_401() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "1")],
    )
    .await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let fresh = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stale = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert_eq!(fresh.status(), StatusCode::OK);
    problem(stale, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn activity_keeps_a_session_alive_past_the_idle_timeout_until_it_goes_quiet() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "2")],
    )
    .await;
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let started = Instant::now();

    let mut statuses = Vec::new();
    while started.elapsed() < Duration::from_millis(4000) {
        let r = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
        statuses.push((started.elapsed(), r.status()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let quiet = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;

    assert!(
        statuses.iter().all(|(_, s)| *s == StatusCode::OK),
        "an active session expired: {statuses:?}"
    );
    problem(quiet, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_session_older_than_session_max_secs_gets_401_even_while_active() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_AUTH_SESSION_MAX_SECS", "2")],
    )
    .await;
    let before_login = Instant::now();
    let cookie = sign_in(&app, VIEWER, PASSWORD).await;
    let signed_in = Instant::now();

    let mut statuses = Vec::new();
    loop {
        let r = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
        let status = r.status();
        statuses.push((signed_in.elapsed(), status));
        if status != StatusCode::OK || before_login.elapsed() > Duration::from_secs(6) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let (ended_at, last) = *statuses.last().unwrap();
    assert_eq!(
        last,
        StatusCode::UNAUTHORIZED,
        "the session outlived session_max_secs=2: {statuses:?}"
    );
    assert!(
        statuses.len() >= 3
            && statuses[..statuses.len() - 1]
                .iter()
                .all(|(_, s)| *s == StatusCode::OK),
        "the session was not usable while young: {statuses:?}"
    );
    // Whole-second clocks may round the 2 s either way by up to one second.
    assert!(
        ended_at >= Duration::from_millis(1000) && ended_at <= Duration::from_millis(3600),
        "the session ended at {ended_at:?}, not about 2 s after login: {statuses:?}"
    );
}

// ---------------------------------------------------------------------------
// 6. API tokens.

#[tokio::test]
async fn a_token_created_through_the_api_works_as_bearer_is_listed_without_its_secret_and_stops_working_when_revoked()
 {
    let app = app_with_users(&[(EDITOR, "editor", PASSWORD)], &[]).await;
    let cookie = sign_in(&app, EDITOR, PASSWORD).await;

    let (status, created) = json_of(
        send(
            with_session(request(&app, "POST", "/api/v1/tokens"), &cookie)
                .json(&json!({ "name": "deploy bot" })),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().expect("the secret is shown once");
    let id = created["id"].as_str().expect("an id");
    assert!(secret.starts_with("lp_"), "{secret}");
    assert_eq!(created["name"], "deploy bot");
    assert!(created["createdAt"].is_string(), "{created}");

    let used = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), secret)
            .json(&json!({ "name": "Made by a token" })),
    )
    .await;
    let listing = send(with_bearer(request(&app, "GET", "/api/v1/tokens"), secret)).await;
    assert_eq!(listing.status(), StatusCode::OK);
    let listing_text = listing.text().await.unwrap();
    let revoked = send(with_session(
        request(&app, "DELETE", &format!("/api/v1/tokens/{id}")),
        &cookie,
    ))
    .await;
    let after = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        secret,
    ))
    .await;

    assert_eq!(
        used.status(),
        StatusCode::CREATED,
        "the token acts as the editor"
    );
    assert!(
        !listing_text.contains(secret),
        "the listing shows the secret: {listing_text}"
    );
    let list: Vec<Value> = serde_json::from_str(&listing_text).unwrap();
    let entry = list
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("the new token is not listed: {listing_text}"));
    assert_eq!(entry["name"], "deploy bot");
    assert!(entry.get("token").is_none(), "{entry}");
    for field in ["createdAt", "lastUsedAt", "userId"] {
        assert!(entry.get(field).is_some(), "{field} missing: {entry}");
    }
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    problem(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn cli_token_create_prints_a_token_that_acts_with_the_users_role() {
    let dir = folder_with_team();
    let editor = cli_token(dir.path(), EDITOR, "ci");
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let app = serve(dir, &[]).await;

    let read = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &viewer,
    ))
    .await;
    let viewer_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &viewer)
            .json(&json!({ "name": "Viewer may not" })),
    )
    .await;
    let editor_write = send(
        with_bearer(request(&app, "POST", "/api/v1/projects"), &editor)
            .json(&json!({ "name": "Editor may" })),
    )
    .await;
    let forged = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &format!("{editor}x"),
    ))
    .await;

    assert_eq!(read.status(), StatusCode::OK);
    problem(viewer_write, StatusCode::FORBIDDEN).await;
    assert_eq!(editor_write.status(), StatusCode::CREATED);
    problem(forged, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_user_lists_and_revokes_only_their_own_tokens_while_an_admin_sees_and_revokes_all() {
    let dir = folder_with_team();
    let admin = cli_token(dir.path(), ADMIN, "ops");
    let editor = cli_token(dir.path(), EDITOR, "ci");
    let viewer = cli_token(dir.path(), VIEWER, "dashboard");
    let app = serve(dir, &[]).await;
    let list = |token: String| {
        let builder = with_bearer(request(&app, "GET", "/api/v1/tokens"), &token);
        async move {
            let (status, body) = json_of(send(builder).await).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_array().unwrap().clone()
        }
    };

    let editor_view = list(editor.clone()).await;
    let viewer_view = list(viewer.clone()).await;
    let admin_view = list(admin.clone()).await;
    let editor_token_id = editor_view
        .iter()
        .find(|t| t["name"] == "ci")
        .expect("the editor sees their token")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_viewer = send(with_bearer(
        request(&app, "DELETE", &format!("/api/v1/tokens/{editor_token_id}")),
        &viewer,
    ))
    .await;
    let still = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &editor,
    ))
    .await;
    let by_admin = send(with_bearer(
        request(&app, "DELETE", &format!("/api/v1/tokens/{editor_token_id}")),
        &admin,
    ))
    .await;
    let gone = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &editor,
    ))
    .await;

    for (who, view, name) in [
        ("editor", &editor_view, "ci"),
        ("viewer", &viewer_view, "dashboard"),
    ] {
        assert_eq!(view.len(), 1, "{who} sees other tokens: {view:?}");
        assert_eq!(view[0]["name"], name);
    }
    assert_ne!(editor_view[0]["userId"], viewer_view[0]["userId"]);
    let names: Vec<&str> = admin_view
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in ["ops", "ci", "dashboard"] {
        assert!(
            names.contains(&name),
            "the admin does not see {name}: {names:?}"
        );
    }
    assert!(
        !matches!(by_viewer.status().as_u16(), 200..=299),
        "a viewer revoked someone else's token: {}",
        by_viewer.status()
    );
    assert_eq!(still.status(), StatusCode::OK);
    assert_eq!(by_admin.status(), StatusCode::NO_CONTENT);
    problem(gone, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn deleting_a_user_ends_their_sessions_and_revokes_their_tokens() {
    let dir = folder_with_team();
    let admin = cli_token(dir.path(), ADMIN, "ops");
    let app = serve(dir, &[]).await;
    let leaver_password = "amber lantern quietly folds 88";
    let (status, user) = json_of(
        send(
            with_bearer(request(&app, "POST", "/api/v1/users"), &admin).json(&json!({
                "email": "leaver@example.com",
                "role": "editor",
                "password": leaver_password,
            })),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "leaver@example.com");
    assert_eq!(user["role"], "editor");
    assert!(user["createdAt"].is_string(), "{user}");
    let cookie = sign_in(&app, "leaver@example.com", leaver_password).await;
    let (_, token) = json_of(
        send(
            with_session(request(&app, "POST", "/api/v1/tokens"), &cookie)
                .json(&json!({ "name": "laptop" })),
        )
        .await,
    )
    .await;
    let token = token["token"].as_str().expect("a token").to_owned();
    let (_, users) =
        json_of(send(with_bearer(request(&app, "GET", "/api/v1/users"), &admin)).await).await;

    let deleted = send(with_bearer(
        request(
            &app,
            "DELETE",
            &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
        ),
        &admin,
    ))
    .await;
    let by_cookie = send(request(&app, "GET", "/api/v1/projects").header("cookie", &cookie)).await;
    let by_token = send(with_bearer(
        request(&app, "GET", "/api/v1/projects"),
        &token,
    ))
    .await;
    let again = login(&app, "leaver@example.com", leaver_password).await;

    let users = users.as_array().expect("a list of users");
    assert!(users.iter().any(|u| u["email"] == "leaver@example.com"));
    for u in users {
        for field in ["id", "email", "role", "createdAt"] {
            assert!(u.get(field).is_some(), "{field} missing: {u}");
        }
        let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
        assert!(
            !keys
                .iter()
                .any(|k| k.to_lowercase().contains("password") || k.to_lowercase().contains("hash")),
            "a user shows a secret: {u}"
        );
    }
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(by_cookie, StatusCode::UNAUTHORIZED).await;
    problem(by_token, StatusCode::UNAUTHORIZED).await;
    problem(again, StatusCode::UNAUTHORIZED).await;
}

// ---------------------------------------------------------------------------
// 7. user add.

#[test]
fn user_add_adds_the_user_and_says_so() {
    let dir = tempfile::tempdir().unwrap();

    let output = add_user(dir.path(), EDITOR, "editor", PASSWORD);

    assert!(output.status.success(), "{}", both(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains(&format!("added user {EDITOR} (role editor)")),
        "{}",
        both(&output)
    );
}

#[test]
fn user_add_refuses_a_short_or_common_password_and_adds_nobody() {
    let dir = tempfile::tempdir().unwrap();

    let short = add_user(dir.path(), VIEWER, "viewer", "short");
    let common = add_user(dir.path(), VIEWER, "viewer", "password1234");
    let good = add_user(dir.path(), VIEWER, "viewer", PASSWORD);

    for (what, output) in [("short", &short), ("common", &common)] {
        assert_eq!(output.status.code(), Some(1), "{what}: {}", both(output));
        assert!(
            both(output).to_lowercase().contains("password"),
            "{what}: the message does not mention the password: {}",
            both(output)
        );
    }
    assert!(
        good.status.success(),
        "a refused password still left a user behind: {}",
        both(&good)
    );
}

#[test]
fn user_add_refuses_an_email_that_already_exists() {
    let dir = tempfile::tempdir().unwrap();
    must_add_user(dir.path(), ADMIN, "admin", PASSWORD);

    let again = add_user(dir.path(), ADMIN, "viewer", "another strong passphrase 77");

    assert_eq!(again.status.code(), Some(1), "{}", both(&again));
    assert!(both(&again).contains("already exists"), "{}", both(&again));
}

#[tokio::test]
async fn user_add_works_through_the_running_server() {
    let app = app_with_users(&[(ADMIN, "admin", PASSWORD)], &[]).await;

    let data = app.data_dir.path().to_owned();

    // Off the test's runtime thread: the in-process admin socket is served on it.
    let output = tokio::task::spawn_blocking(move || add_user(&data, EDITOR, "editor", PASSWORD))
        .await
        .unwrap();
    let signed_in = login(&app, EDITOR, PASSWORD).await;

    assert!(output.status.success(), "{}", both(&output));
    assert_eq!(signed_in.status(), StatusCode::OK);
}

#[test]
fn every_out_of_range_auth_setting_is_reported_at_once_with_exit_78() {
    let dir = tempfile::tempdir().unwrap();

    let output = launchpad(
        dir.path(),
        &["config", "check"],
        &[
            ("LAUNCHPAD_ANONYMOUS_ROLE", "root"),
            ("LAUNCHPAD_AUTH_SESSION_IDLE_SECS", "0"),
            ("LAUNCHPAD_AUTH_SESSION_MAX_SECS", "2592001"),
            ("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "not-an-ip"),
        ],
    );

    assert_eq!(output.status.code(), Some(78), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for key in [
        "auth.anonymous_role",
        "auth.session_idle_secs",
        "auth.session_max_secs",
        "http.trusted_proxies",
    ] {
        assert!(stderr.contains(key), "{key} is not reported:\n{stderr}");
    }
}

#[test]
fn config_check_in_production_warns_about_a_cookie_without_secure_but_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    let check = |env: &[(&str, &str)]| {
        let mut all = vec![
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
        ];
        all.extend_from_slice(env);
        let output = launchpad(&data, &["config", "check"], &all);
        assert!(output.status.success(), "{}", both(&output));
        both(&output)
    };
    let mentions = |text: &str| text.matches("cookie_secure").count();

    let development = check(&[]);
    let production = check(&[("LAUNCHPAD_ENV", "production")]);
    let secure = check(&[
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_AUTH_COOKIE_SECURE", "true"),
    ]);

    assert!(
        mentions(&production) > mentions(&development),
        "production does not warn about auth.cookie_secure = false:\n{production}"
    );
    assert_eq!(
        mentions(&secure),
        mentions(&development),
        "a Secure cookie still draws a warning:\n{secure}"
    );
}

// ---------------------------------------------------------------------------
// 8. Brute force and rate limits.

#[tokio::test]
async fn an_attacker_hammering_one_account_is_locked_out_without_locking_out_others() {
    let victim = "victim@example.com";
    let bystander = "bystander@example.com";
    let app = app_with_users(
        &[
            (victim, "viewer", PASSWORD),
            (bystander, "viewer", PASSWORD),
        ],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let attacker_ip = "203.0.113.66";
    let owner_ip = "198.51.100.7";
    let bystander_ip = "192.0.2.8";

    let mut attempts = 0;
    let mut limited = None;
    while attempts < 100 {
        attempts += 1;
        let r = login_from(
            &app,
            attacker_ip,
            victim,
            &format!("guess number {attempts} x"),
        )
        .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempts}");
    }
    let limited = limited.expect("100 wrong passwords were never refused with 429");
    let attacker_wait = retry_after(&limited);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    let locked_for_attacker = login_from(&app, attacker_ip, victim, PASSWORD).await;
    let locked_for_owner = login_from(&app, owner_ip, victim, PASSWORD).await;
    let owner_wait = if locked_for_owner.status() == StatusCode::TOO_MANY_REQUESTS {
        retry_after(&locked_for_owner)
    } else {
        0
    };
    let other_account = login_from(&app, bystander_ip, bystander, PASSWORD).await;

    assert!(
        attempts <= 6,
        "the lockout after 5 failures came only at attempt {attempts}"
    );
    assert!(attacker_wait >= 1, "Retry-After: {attacker_wait}");
    assert_eq!(body["type"], RATE_LIMITED, "{body}");
    assert_eq!(
        locked_for_attacker.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password got in while the account is locked"
    );
    assert_eq!(
        locked_for_owner.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the lockout is per account, from any IP"
    );
    assert_eq!(
        other_account.status(),
        StatusCode::OK,
        "another account from another IP was refused"
    );
    assert!(
        (1..=8).contains(&owner_wait),
        "a lockout after about 5 failures should back off seconds, not {owner_wait}s"
    );

    tokio::time::sleep(Duration::from_millis(owner_wait * 1000 + 600)).await;
    let after_the_wait = login_from(&app, owner_ip, victim, PASSWORD).await;

    assert_eq!(
        after_the_wait.status(),
        StatusCode::OK,
        "the owner is still locked out after Retry-After ({owner_wait}s)"
    );
}

#[tokio::test]
async fn one_ip_spraying_many_accounts_hits_the_per_ip_limit_while_other_ips_still_log_in() {
    let app = app_with_users(
        &[(VIEWER, "viewer", PASSWORD)],
        &[("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;

    let mut attempts = 0;
    let mut limited = None;
    while attempts < 30 {
        attempts += 1;
        let email = format!("sprayed{attempts}@example.com");
        let r = login_from(&app, "203.0.113.99", &email, PASSWORD).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempts}");
    }
    let elsewhere = login_from(&app, "198.51.100.23", VIEWER, PASSWORD).await;

    let limited = limited.expect("30 attempts from one IP were never refused");
    assert!(
        attempts <= 11,
        "the per-IP limit of 10 a minute let {attempts} attempts through"
    );
    assert!(retry_after(&limited) >= 1);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["type"], RATE_LIMITED);
    assert_eq!(elsewhere.status(), StatusCode::OK);
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored_so_it_cannot_dodge_the_ip_limit() {
    let app = app_with_users(&[(VIEWER, "viewer", PASSWORD)], &[]).await;

    let mut attempts = 0;
    let mut limited = false;
    while attempts < 30 {
        attempts += 1;
        let ip = format!("203.0.113.{attempts}");
        let email = format!("sprayed{attempts}@example.com");
        if login_from(&app, &ip, &email, PASSWORD).await.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }

    assert!(
        limited,
        "a fresh X-Forwarded-For each time escaped the limit"
    );
    assert!(attempts <= 11, "{attempts} attempts got through");
}

#[tokio::test]
async fn api_requests_beyond_the_per_second_budget_get_429_per_client() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_ANONYMOUS_ROLE", "viewer"),
        ("LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND", "1"),
        ("LAUNCHPAD_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let get_from = |ip: &'static str| {
        send(request(&app, "GET", "/api/v1/projects").header("x-forwarded-for", ip))
    };

    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let r = get_from("203.0.113.5").await;
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let other = get_from("198.51.100.5").await;

    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    assert!(
        statuses.len() <= 4,
        "a budget of 1/s with a burst of 2 allowed {statuses:?}"
    );
    assert!(retry_after(&limited) >= 1);
    let body = problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["type"], RATE_LIMITED);
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another client IP was limited"
    );
}

// ---------------------------------------------------------------------------
// 9. Audit log.

/// Every audit entry, following `Link` headers, plus the raw page bodies.
async fn audit_pages(app: &TestApp, auth: &str, limit: usize) -> (Vec<Value>, String) {
    let mut entries = Vec::new();
    let mut raw = String::new();
    let mut next = Some(format!("/api/v1/audit?limit={limit}"));
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 200, "the audit log pages never end");
        let response = send(with_bearer(request(app, "GET", &path), auth)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        next = next_link(&response);
        let text = response.text().await.unwrap();
        let page: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
        assert!(page.len() <= limit, "{path} gave {} entries", page.len());
        raw.push_str(&text);
        raw.push('\n');
        entries.extend(page);
    }
    (entries, raw)
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where_and_never_a_secret_or_an_email() {
    let new_user = "new.hire.3e7b@example.com";
    let new_password = "violet tundra marble kettle 93";
    let wrong_password = "WRONG-sentinel-passphrase-5c2f";
    let ghost = "ghost.sentinel.91d2@example.com";
    let dir = TempDir::new().unwrap();
    must_add_user(dir.path(), ADMIN, "admin", PASSWORD);
    let cli = cli_token(dir.path(), ADMIN, "audit-cli");
    let app = serve(dir, &[]).await;
    let with_id = |builder: RequestBuilder, id: &str| builder.header("x-request-id", id.to_owned());

    let ok = send(with_id(
        request(&app, "POST", "/api/v1/auth/login")
            .json(&json!({ "email": ADMIN, "password": PASSWORD })),
        "audit-login-ok",
    ))
    .await;
    let cookie = cookie_pair(&session_set_cookie(&ok).expect("a session"));
    let (_, me) = json_of(ok).await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let bad = send(with_id(
        request(&app, "POST", "/api/v1/auth/login")
            .json(&json!({ "email": ADMIN, "password": wrong_password })),
        "audit-login-bad",
    ))
    .await;
    let unknown = send(with_id(
        request(&app, "POST", "/api/v1/auth/login")
            .json(&json!({ "email": ghost, "password": wrong_password })),
        "audit-login-ghost",
    ))
    .await;
    let (_, token) = json_of(
        send(with_id(
            with_session(request(&app, "POST", "/api/v1/tokens"), &cookie)
                .json(&json!({ "name": "short-lived" })),
            "audit-token-create",
        ))
        .await,
    )
    .await;
    let api_secret = token["token"].as_str().expect("a token").to_owned();
    let token_id = token["id"].as_str().unwrap().to_owned();
    let revoked = send(with_id(
        with_session(
            request(&app, "DELETE", &format!("/api/v1/tokens/{token_id}")),
            &cookie,
        ),
        "audit-token-revoke",
    ))
    .await;
    let (_, user) = json_of(
        send(with_id(
            with_session(request(&app, "POST", "/api/v1/users"), &cookie).json(&json!({
                "email": new_user,
                "role": "editor",
                "password": new_password,
            })),
            "audit-user-create",
        ))
        .await,
    )
    .await;
    let project = crate::helpers::created(
        send(
            with_bearer(request(&app, "POST", "/api/v1/projects"), &cli)
                .json(&json!({ "name": "Short-lived", "ownerEmail": EMAIL_SENTINEL })),
        )
        .await,
    )
    .await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let checklist = crate::helpers::created(
        send(
            with_bearer(
                request(
                    &app,
                    "POST",
                    &format!("/api/v1/projects/{project_id}/checklists"),
                ),
                &cli,
            )
            .json(&json!({ "name": "Private" })),
        )
        .await,
    )
    .await;
    let checklist_path = format!(
        "/api/v1/projects/{project_id}/checklists/{}",
        checklist["id"].as_str().unwrap()
    );
    let task = crate::helpers::created(
        send(
            with_bearer(
                request(&app, "POST", &format!("{checklist_path}/tasks")),
                &cli,
            )
            .json(&json!({ "title": "Sealed notes", "notes": NOTES_SENTINEL })),
        )
        .await,
    )
    .await;
    let task_deleted = send(with_id(
        with_bearer(
            request(
                &app,
                "DELETE",
                &format!("{checklist_path}/tasks/{}", task["id"].as_str().unwrap()),
            ),
            &cli,
        ),
        "audit-task-delete",
    ))
    .await;
    let checklist_deleted = send(with_id(
        with_bearer(request(&app, "DELETE", &checklist_path), &cli),
        "audit-checklist-delete",
    ))
    .await;
    let deleted = send(with_id(
        with_bearer(
            request(&app, "DELETE", &format!("/api/v1/projects/{project_id}")),
            &cli,
        ),
        "audit-project-delete",
    ))
    .await;
    let (_, tokens) =
        json_of(send(with_bearer(request(&app, "GET", "/api/v1/tokens"), &cli)).await).await;
    let cli_token_id = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "audit-cli")
        .expect("the admin lists the CLI token")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert!(user["id"].is_string(), "{user}");
    let user_deleted = send(with_id(
        with_session(
            request(
                &app,
                "DELETE",
                &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
            ),
            &cookie,
        ),
        "audit-user-delete",
    ))
    .await;
    let logged_out = send(with_id(
        with_session(request(&app, "POST", "/api/v1/auth/logout"), &cookie),
        "audit-logout",
    ))
    .await;
    assert_eq!(user_deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(logged_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(task_deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(checklist_deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let (entries, raw) = audit_pages(&app, &cli, 200).await;

    let user_actor = format!("user:{admin_id}");
    let token_actor = format!("token:{cli_token_id}");
    for (action, request_id, actor) in [
        // Who logs in is the target; the request itself was anonymous, so
        // either the user or `anonymous` is a fair actor.
        ("login.success", "audit-login-ok", None),
        ("login.failure", "audit-login-bad", None),
        ("login.failure", "audit-login-ghost", None),
        (
            "token.create",
            "audit-token-create",
            Some(user_actor.as_str()),
        ),
        (
            "token.revoke",
            "audit-token-revoke",
            Some(user_actor.as_str()),
        ),
        (
            "user.create",
            "audit-user-create",
            Some(user_actor.as_str()),
        ),
        (
            "user.delete",
            "audit-user-delete",
            Some(user_actor.as_str()),
        ),
        ("logout", "audit-logout", Some(user_actor.as_str())),
        (
            "task.delete",
            "audit-task-delete",
            Some(token_actor.as_str()),
        ),
        (
            "checklist.delete",
            "audit-checklist-delete",
            Some(token_actor.as_str()),
        ),
        (
            "project.delete",
            "audit-project-delete",
            Some(token_actor.as_str()),
        ),
    ] {
        let entry = entries
            .iter()
            .find(|e| e["action"] == action && e["requestId"] == request_id)
            .unwrap_or_else(|| panic!("no {action} with requestId {request_id} in:\n{raw}"));
        assert_eq!(entry["clientIp"], "127.0.0.1", "{entry}");
        assert!(entry["id"].is_string(), "{entry}");
        assert!(entry["at"].is_string(), "{entry}");
        assert!(entry.get("target").is_some(), "{entry}");
        let got = entry["actor"].as_str().unwrap_or_default();
        match actor {
            Some(want) => assert_eq!(got, want, "{entry}"),
            None => assert!(
                got == "anonymous" || got.starts_with("user:"),
                "a login's actor: {entry}"
            ),
        }
    }
    let signed_in = entries
        .iter()
        .find(|e| e["requestId"] == "audit-login-ok")
        .unwrap();
    assert!(
        signed_in["actor"] == user_actor.as_str() || signed_in["target"] == user_actor.as_str(),
        "login.success does not say who signed in: {signed_in}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "user.create" && e["actor"] == "local"),
        "the CLI's user add is not recorded as local:\n{raw}"
    );
    for entry in &entries {
        let actor = entry["actor"].as_str().unwrap_or_default();
        assert!(
            actor == "anonymous"
                || actor == "local"
                || actor.starts_with("user:")
                || actor.starts_with("token:"),
            "an actor outside the spec: {entry}"
        );
    }
    let position = |action: &str| entries.iter().position(|e| e["action"] == action).unwrap();
    assert!(
        position("project.delete") < position("login.success"),
        "not newest first:\n{raw}"
    );
    for sentinel in [
        PASSWORD,
        new_password,
        wrong_password,
        api_secret.as_str(),
        cli.as_str(),
        EMAIL_SENTINEL,
        NOTES_SENTINEL,
        ADMIN,
        new_user,
        ghost,
    ] {
        assert!(
            !raw.contains(sentinel),
            "the audit log holds {sentinel:?}:\n{raw}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_with_link_headers() {
    let dir = folder_with_team();
    let admin = cli_token(dir.path(), ADMIN, "ops");
    let app = serve(dir, &[]).await;
    for email in [ADMIN, EDITOR, VIEWER] {
        sign_in(&app, email, PASSWORD).await;
    }

    let (all, _) = audit_pages(&app, &admin, 200).await;
    let (paged, _) = audit_pages(&app, &admin, 2).await;

    assert!(all.len() >= 6, "3 user adds and 3 logins at least: {all:?}");
    let ids = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The pages were read after the full list, so an entry may have been added
    // on top in between (none should be: reads are not audited).
    assert_eq!(
        ids(&paged),
        ids(&all),
        "paging lost, repeated or reordered entries"
    );
    let times: Vec<time::OffsetDateTime> = all
        .iter()
        .map(|e| {
            time::OffsetDateTime::parse(
                e["at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap_or_else(|_| panic!("`at` is not RFC 3339: {e}"))
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {all:?}"
    );
}

// ---------------------------------------------------------------------------
// 10. Security headers.

fn assert_security_headers(response: &Response, what: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
    };
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_hsts_by_default() {
    let app = spawn_app_with(&[]).await;

    let ok = app.get("/health").await;
    let missing = app.get("/api/v1/nowhere").await;
    let refused = app.get("/api/v1/users").await;

    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    for (what, response) in [("200", &ok), ("404", &missing), ("401", &refused)] {
        assert_security_headers(response, what);
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "{what}: HSTS is on by default"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_a_max_age_is_configured() {
    let app = spawn_app_with(&[("LAUNCHPAD_HTTP_HSTS_MAX_AGE_SECS", "31536000")]).await;

    let ok = app.get("/health").await;
    let missing = app.get("/api/v1/nowhere").await;

    for (what, response) in [("200", &ok), ("404", &missing)] {
        assert_security_headers(response, what);
        let hsts = response
            .headers()
            .get("strict-transport-security")
            .unwrap_or_else(|| panic!("{what}: no HSTS"))
            .to_str()
            .unwrap();
        assert!(hsts.starts_with("max-age=31536000"), "{what}: {hsts}");
    }
}

// ---------------------------------------------------------------------------
// 11. The initial admin: development only.

/// Collects the binary's stderr on a thread; join it after the process ends.
fn collect_stderr(server: &mut RunningBinary) -> std::thread::JoinHandle<String> {
    let mut stderr = server.child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    })
}

/// Waits for a stderr line starting with `prefix`, reading as it comes.
fn stderr_line(
    server: &mut RunningBinary,
    prefix: &'static str,
) -> (Option<String>, std::thread::JoinHandle<String>) {
    use std::io::BufRead;
    let stderr = server.child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains(prefix) {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (rx.recv_timeout(Duration::from_secs(10)).ok(), reader)
}

#[tokio::test]
async fn the_first_development_start_prints_an_initial_admin_password_that_signs_in_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_binary(dir.path(), &[]);
    let (line, reader) = stderr_line(&mut server, "initial admin:");
    let line = line.expect("no `initial admin:` line on stderr");
    let password = line
        .split("password:")
        .nth(1)
        .expect("the line names the password")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();

    let response = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@localhost", "password": password }))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    let logs = stop(server).join("\n");
    let _ = reader.join();
    let mut again = spawn_binary(dir.path(), &[]);
    let second = collect_stderr(&mut again);
    stop(again);
    let second = second.join().unwrap();

    assert!(line.contains("admin@localhost"), "{line}");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["role"], "admin", "{body}");
    assert!(
        !logs.contains(&password),
        "the initial password reached the logs"
    );
    assert!(
        !second.contains("initial admin"),
        "a second start made another admin: {second}"
    );
}

#[tokio::test]
async fn production_creates_no_initial_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    let init = run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    assert!(init.status.success(), "{}", both(&init));
    let env = [
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "none"),
        ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
    ];
    assert!(data.is_absolute());
    let mut server = spawn_binary(&data, &env);
    let stderr = collect_stderr(&mut server);
    let client = reqwest::Client::new();

    let guessed = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@localhost", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let users = client
        .get(server.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    let bootstrap = launchpad(
        &data,
        &["user", "add", "--email", ADMIN, "--role", "admin"],
        &[
            ("LAUNCHPAD_PASSWORD", PASSWORD),
            ("LAUNCHPAD_ENV", "production"),
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
        ],
    );
    let operator = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": ADMIN, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    stop(server);
    let stderr = stderr.join().unwrap();

    assert_eq!(guessed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(users.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !stderr.contains("initial admin"),
        "production printed an initial admin: {stderr}"
    );
    assert!(bootstrap.status.success(), "{}", both(&bootstrap));
    assert_eq!(
        operator.status(),
        StatusCode::OK,
        "the admin added with `user add` cannot sign in"
    );
}
