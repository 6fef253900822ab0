//! The audit log: every sign-in, account change and delete is recorded with
//! who did it, from which IP and under which request id, never with a
//! secret, a password or an email, and the log pages newest first.

use super::support::{
    ADMIN, EDITOR, PASSWORD, VIEWER, cli_token, cookie_pair, folder_with_team, json_of,
    must_add_user, request, send, serve, session_set_cookie, sign_in, with_bearer, with_session,
};
use crate::helpers::{EMAIL_SENTINEL, NOTES_SENTINEL, TestApp, created, next_link};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

const NEW_USER: &str = "new.hire.3e7b@example.com";
const NEW_PASSWORD: &str = "violet tundra marble kettle 93";
const WRONG_PASSWORD: &str = "WRONG-sentinel-passphrase-5c2f";
const GHOST: &str = "ghost.sentinel.91d2@example.com";

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

/// The audit log of a server on which an admin did one of everything it
/// records, each request tagged with its own request id.
struct Audited {
    entries: Vec<Value>,
    /// Every page as served, to search for what must never appear.
    raw: String,
    /// `user:<id>` of the admin who signed in.
    user_actor: String,
    /// `token:<id>` of the admin's CLI token.
    token_actor: String,
    /// The token made over the session, and the CLI token.
    api_secret: String,
    cli_secret: String,
}

/// A request carrying `X-Request-Id`, so its audit entry can be found.
fn tagged(builder: RequestBuilder, id: &str) -> RequestBuilder {
    builder.header("x-request-id", id.to_owned())
}

/// Signs the admin in, then fails twice: a wrong password and an unknown
/// email. Returns the session cookie and the admin's user id.
async fn sign_ins(app: &TestApp) -> (String, String) {
    let login = |email: &str, password: &str| {
        request(app, "POST", "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
    };
    let ok = send(tagged(login(ADMIN, PASSWORD), "audit-login-ok")).await;
    let cookie = cookie_pair(&session_set_cookie(&ok).expect("a session"));
    let (_, me) = json_of(ok).await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let bad = send(tagged(login(ADMIN, WRONG_PASSWORD), "audit-login-bad")).await;
    let unknown = send(tagged(login(GHOST, WRONG_PASSWORD), "audit-login-ghost")).await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    (cookie, admin_id)
}

/// Over the session: makes and revokes a token, then adds a user. Returns
/// the token's secret and the new user's id.
async fn token_and_user_changes(app: &TestApp, cookie: &str) -> (String, String) {
    let (_, token) = json_of(
        send(tagged(
            with_session(request(app, "POST", "/api/v1/tokens"), cookie)
                .json(&json!({ "name": "short-lived" })),
            "audit-token-create",
        ))
        .await,
    )
    .await;
    let api_secret = token["token"].as_str().expect("a token").to_owned();
    let token_id = token["id"].as_str().unwrap().to_owned();
    let revoked = send(tagged(
        with_session(
            request(app, "DELETE", &format!("/api/v1/tokens/{token_id}")),
            cookie,
        ),
        "audit-token-revoke",
    ))
    .await;
    let (_, user) = json_of(
        send(tagged(
            with_session(request(app, "POST", "/api/v1/users"), cookie).json(&json!({
                "email": NEW_USER,
                "role": "editor",
                "password": NEW_PASSWORD,
            })),
            "audit-user-create",
        ))
        .await,
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert!(user["id"].is_string(), "{user}");
    (api_secret, user["id"].as_str().unwrap().to_owned())
}

/// With the CLI token: makes a project holding an email, a checklist and a
/// task holding sealed notes, then deletes the task, checklist and project.
async fn deletes_by_token(app: &TestApp, cli: &str) {
    let post = |path: &str, body: Value| {
        let builder = with_bearer(request(app, "POST", path), cli).json(&body);
        async move { created(send(builder).await).await }
    };
    let project = post(
        "/api/v1/projects",
        json!({ "name": "Short-lived", "ownerEmail": EMAIL_SENTINEL }),
    )
    .await;
    let project_path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    let checklist = post(
        &format!("{project_path}/checklists"),
        json!({ "name": "Private" }),
    )
    .await;
    let checklist_path = format!(
        "{project_path}/checklists/{}",
        checklist["id"].as_str().unwrap()
    );
    let task = post(
        &format!("{checklist_path}/tasks"),
        json!({ "title": "Sealed notes", "notes": NOTES_SENTINEL }),
    )
    .await;
    let task_path = format!("{checklist_path}/tasks/{}", task["id"].as_str().unwrap());
    for (path, id) in [
        (task_path.as_str(), "audit-task-delete"),
        (checklist_path.as_str(), "audit-checklist-delete"),
        (project_path.as_str(), "audit-project-delete"),
    ] {
        let deleted = send(tagged(with_bearer(request(app, "DELETE", path), cli), id)).await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "{id}");
    }
}

/// The id of the caller's token called `name`, as the token list shows it.
async fn token_id(app: &TestApp, token: &str, name: &str) -> String {
    let (_, tokens) =
        json_of(send(with_bearer(request(app, "GET", "/api/v1/tokens"), token)).await).await;
    tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .expect("the admin lists the CLI token")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Over the session: deletes the user added earlier, then logs out.
async fn user_delete_and_logout(app: &TestApp, cookie: &str, user_id: &str) {
    let user_deleted = send(tagged(
        with_session(
            request(app, "DELETE", &format!("/api/v1/users/{user_id}")),
            cookie,
        ),
        "audit-user-delete",
    ))
    .await;
    let logged_out = send(tagged(
        with_session(request(app, "POST", "/api/v1/auth/logout"), cookie),
        "audit-logout",
    ))
    .await;
    assert_eq!(user_deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(logged_out.status(), StatusCode::NO_CONTENT);
}

/// An admin added with the CLI, who signs in, changes tokens and users and
/// deletes content with a CLI token; then the whole audit log, read back.
async fn audited() -> Audited {
    let dir = TempDir::new().unwrap();
    must_add_user(dir.path(), ADMIN, "admin", PASSWORD);
    let cli = cli_token(dir.path(), ADMIN, "audit-cli");
    let app = serve(dir, &[]).await;

    let (cookie, admin_id) = sign_ins(&app).await;
    let (api_secret, user_id) = token_and_user_changes(&app, &cookie).await;
    deletes_by_token(&app, &cli).await;
    let cli_token_id = token_id(&app, &cli, "audit-cli").await;
    user_delete_and_logout(&app, &cookie, &user_id).await;
    let (entries, raw) = audit_pages(&app, &cli, 200).await;

    Audited {
        entries,
        raw,
        user_actor: format!("user:{admin_id}"),
        token_actor: format!("token:{cli_token_id}"),
        api_secret,
        cli_secret: cli,
    }
}

/// Asserts that the request tagged `request_id` left an `action` entry from
/// 127.0.0.1 with an id, a time, any target and the `actor` given; `None` is
/// a sign-in, whose request is anonymous, so either the user or `anonymous`
/// is a fair actor.
fn assert_recorded(audited: &Audited, action: &str, request_id: &str, actor: Option<&str>) {
    let raw = &audited.raw;
    let entry = audited
        .entries
        .iter()
        .find(|e| e["action"] == action && e["requestId"] == request_id)
        .unwrap_or_else(|| panic!("no {action} with requestId {request_id} in:\n{raw}"));
    assert_eq!(entry["clientIp"], "127.0.0.1", "{entry}");
    assert!(entry["id"].is_string(), "{entry}");
    assert!(entry["at"].is_string(), "{entry}");
    // Absent when the action has none (a sign-in to no account, a logout).
    assert!(entry.get("target").is_none_or(|t| t.is_string()), "{entry}");
    let got = entry["actor"].as_str().unwrap_or_default();
    match actor {
        Some(want) => assert_eq!(got, want, "{entry}"),
        None => assert!(
            got == "anonymous" || got.starts_with("user:"),
            "a login's actor: {entry}"
        ),
    }
}

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_are_audited_with_their_client_ip_request_id_and_who_signed_in()
 {
    let audited = audited().await;

    assert_recorded(&audited, "login.success", "audit-login-ok", None);
    assert_recorded(&audited, "login.failure", "audit-login-bad", None);
    assert_recorded(&audited, "login.failure", "audit-login-ghost", None);
    let signed_in = audited
        .entries
        .iter()
        .find(|e| e["requestId"] == "audit-login-ok")
        .unwrap();
    let user_actor = audited.user_actor.as_str();
    assert!(
        signed_in["actor"] == user_actor || signed_in["target"] == user_actor,
        "login.success does not say who signed in: {signed_in}"
    );
}

#[tokio::test]
async fn token_and_user_changes_and_the_logout_are_audited_as_the_signed_in_user() {
    let audited = audited().await;
    let user_actor = Some(audited.user_actor.as_str());

    for (action, request_id) in [
        ("token.create", "audit-token-create"),
        ("token.revoke", "audit-token-revoke"),
        ("user.create", "audit-user-create"),
        ("user.delete", "audit-user-delete"),
        ("logout", "audit-logout"),
    ] {
        assert_recorded(&audited, action, request_id, user_actor);
    }
}

#[tokio::test]
async fn deletes_made_with_a_token_are_audited_as_that_token() {
    let audited = audited().await;
    let token_actor = Some(audited.token_actor.as_str());

    for (action, request_id) in [
        ("task.delete", "audit-task-delete"),
        ("checklist.delete", "audit-checklist-delete"),
        ("project.delete", "audit-project-delete"),
    ] {
        assert_recorded(&audited, action, request_id, token_actor);
    }
}

#[tokio::test]
async fn a_user_added_with_the_cli_is_audited_as_local() {
    let audited = audited().await;

    assert!(
        audited
            .entries
            .iter()
            .any(|e| e["action"] == "user.create" && e["actor"] == "local"),
        "the CLI's user add is not recorded as local:\n{}",
        audited.raw
    );
}

#[tokio::test]
async fn every_audit_actor_is_anonymous_local_a_user_or_a_token() {
    let audited = audited().await;

    for entry in &audited.entries {
        let actor = entry["actor"].as_str().unwrap_or_default();
        assert!(
            actor == "anonymous"
                || actor == "local"
                || actor.starts_with("user:")
                || actor.starts_with("token:"),
            "an actor outside the spec: {entry}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_lists_a_later_delete_before_an_earlier_sign_in() {
    let audited = audited().await;

    let position = |action: &str| {
        audited
            .entries
            .iter()
            .position(|e| e["action"] == action)
            .unwrap()
    };
    assert!(
        position("project.delete") < position("login.success"),
        "not newest first:\n{}",
        audited.raw
    );
}

#[tokio::test]
async fn no_audit_entry_holds_a_password_a_token_secret_an_email_or_sealed_notes() {
    let audited = audited().await;

    for sentinel in [
        PASSWORD,
        NEW_PASSWORD,
        WRONG_PASSWORD,
        audited.api_secret.as_str(),
        audited.cli_secret.as_str(),
        EMAIL_SENTINEL,
        NOTES_SENTINEL,
        ADMIN,
        NEW_USER,
        GHOST,
    ] {
        assert!(
            !audited.raw.contains(sentinel),
            "the audit log holds {sentinel:?}:\n{}",
            audited.raw
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
