//! One set of account rules for every surface: what the API refuses, the
//! CLI refuses too (with and without a running server), naming the same
//! fields, and nothing is created.

use crate::helpers::{binary, spawn_app_in, spawn_binary, stop};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

fn launchpad(data: &Path, args: &[&str], password: &str) -> Output {
    Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .envs(crate::backend::store_env(data))
        .env("LAUNCHPAD_PASSWORD", password)
        .output()
        .unwrap()
}

fn refused_naming(output: &Output, fields: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted: {stderr}");
    for field in fields {
        assert!(
            stderr.contains(&format!("{field}: ")),
            "{field} not named: {stderr}"
        );
    }
}

const PASSWORD: &str = "correct horse battery staple 42";

/// Posts `body` to `path` as a signed-in admin and returns the fields the
/// 400 names.
async fn api_refusal(data: tempfile::TempDir, path: &str, body: Value) -> Vec<String> {
    let app = spawn_app_in(data, &[("LAUNCHPAD_ANONYMOUS_ROLE", "admin")]).await;
    let user = json!({ "email": "rules@example.com", "role": "admin", "password": PASSWORD });
    assert_eq!(app.post_json("/api/v1/users", &user).await.status(), 201);
    let login = json!({ "email": "rules@example.com", "password": PASSWORD });
    let signed_in = app.post_json("/api/v1/auth/login", &login).await;
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let response = app
        .client
        .post(app.url(path))
        .header("cookie", cookie)
        .header("x-requested-with", "launchpad")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    crate::helpers::error_fields(&problem)
}

/// A folder with a stopped development store (its admin exists).
fn store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    stop(spawn_binary(dir.path(), &[]));
    dir
}

const BAD_NAME: &str = "ci\u{7}deploy";

#[tokio::test]
async fn a_token_name_with_a_control_character_is_refused_by_the_api_and_the_cli() {
    let dir = store();
    let args = [
        "token",
        "create",
        "--email",
        "admin@localhost",
        "--name",
        BAD_NAME,
    ];

    let offline = launchpad(dir.path(), &args, "");
    let server = spawn_binary(dir.path(), &[]);
    let online = launchpad(dir.path(), &args, "");
    stop(server);
    let api = api_refusal(dir, "/api/v1/tokens", json!({ "name": BAD_NAME })).await;

    refused_naming(&offline, &["name"]);
    refused_naming(&online, &["name"]);
    assert_eq!(api, ["name"]);
}

#[tokio::test]
async fn a_bad_email_and_a_weak_password_are_both_named_by_the_api_and_the_cli() {
    let dir = store();
    let args = ["user", "add", "--email", "not-an-email", "--role", "editor"];

    let offline = launchpad(dir.path(), &args, "short");
    let server = spawn_binary(dir.path(), &[]);
    let online = launchpad(dir.path(), &args, "short");
    stop(server);
    let body = json!({ "email": "not-an-email", "role": "editor", "password": "short" });
    let api = api_refusal(dir, "/api/v1/users", body).await;

    refused_naming(&offline, &["email", "password"]);
    refused_naming(&online, &["email", "password"]);
    assert_eq!(api, ["email", "password"]);
}
