//! Who may call what: every route against the role table for every kind of
//! caller, the permission check answering before any validation, and what
//! the anonymous role lets through and what it never does.

use super::support::{
    ADMIN, EDITOR, PASSWORD, VIEWER, cli_token, folder_with_team, json_of, request, send, serve,
    sign_in, with_bearer, with_session,
};
use crate::helpers::{problem, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Ids no store ever minted, for paths whose record need not exist.
const NO_PROJECT: &str = "00000000-0000-4000-8000-00000000a001";
const NO_CHECKLIST: &str = "00000000-0000-4000-8000-00000000a002";
const NO_TASK: &str = "00000000-0000-4000-8000-00000000a003";
const NO_TOKEN: &str = "00000000-0000-4000-8000-00000000a004";
const NO_USER: &str = "00000000-0000-4000-8000-00000000a005";

// ---------------------------------------------------------------------------
// Route permissions.

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
        ("GET", c.clone(), None, Needs::Viewer),
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
        ("GET", t.clone(), None, Needs::Viewer),
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

    assert_eq!(checked, 4 * 27, "every route × every caller was tried");
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

// ---------------------------------------------------------------------------
// The anonymous role.

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
    assert!(me.get("user").is_none(), "{me}");
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
