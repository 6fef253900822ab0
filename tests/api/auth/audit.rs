//! The audit log: every sign-in, account change and delete is recorded with
//! who did it, from which IP and under which request id, never with a
//! secret, a password or an email, and the log pages newest first.

use super::support::{
    ADMIN, EDITOR, PASSWORD, VIEWER, cli_token, cookie_pair, folder_with_team, json_of,
    must_add_user, request, send, serve, session_set_cookie, sign_in, with_bearer, with_session,
};
use crate::helpers::{EMAIL_SENTINEL, NOTES_SENTINEL, TestApp, next_link};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

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
