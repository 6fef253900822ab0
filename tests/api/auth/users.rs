//! Accounts: `user add` on the data folder and through the running server,
//! the passwords and emails it refuses, and deleting a user through the API,
//! which ends their sessions and revokes their tokens.

use super::support::{
    ADMIN, EDITOR, PASSWORD, VIEWER, add_user, app_with_users, both, cli_token, folder_with_team,
    json_of, login, must_add_user, request, send, serve, sign_in, with_bearer, with_session,
};
use crate::helpers::problem;
use reqwest::StatusCode;
use serde_json::json;

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
