//! What every HTTP answer shares: a request id (a sane client one echoed),
//! `/health`, problem+json for unknown routes and wrong methods, CORS only
//! for listed origins, ETags that answer 304 until a write lands, reads that
//! see the last write, and `/ready` in production until an admin and a
//! backup exist.

use crate::helpers::{problem, spawn_app, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;

    for path in [
        "/api/v1/projects",
        "/health",
        "/api/v1/projects/not-a-uuid",
        "/nowhere",
    ] {
        let response = app.get(path).await;
        let id = response
            .headers()
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap();
        assert!(!id.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_sane_client_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let app = spawn_app().await;

    let echoed = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-42.a_b:c")
        .send()
        .await
        .unwrap();
    let replaced = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();

    assert_eq!(echoed.headers()["x-request-id"], "trace-42.a_b:c");
    assert_ne!(
        replaced.headers()["x-request-id"],
        "<script>alert(1)</script>"
    );
}

#[tokio::test]
async fn health_answers_200() {
    let app = spawn_app().await;

    let response = app.get("/health").await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_api_route_is_a_problem_404() {
    let app = spawn_app().await;

    let body = problem(app.get("/api/v1/projectz").await, StatusCode::NOT_FOUND).await;

    assert_eq!(body["type"], "urn:launchpad:problem:no-route");
    assert_eq!(body["instance"], "/api/v1/projectz");
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_405() {
    let app = spawn_app().await;

    let response = app
        .client
        .put(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();

    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn cross_origin_requests_get_no_cors_headers_by_default() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn an_allowlisted_origin_gets_cors_headers_and_others_do_not() {
    let app = spawn_app_with(&[(
        "LAUNCHPAD_HTTP_CORS_ALLOWED_ORIGINS",
        "https://app.example.com, http://localhost:5173",
    )])
    .await;

    let allowed = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    let refused = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/projects"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();

    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("PATCH"), "{methods}");
}

#[tokio::test]
async fn reads_carry_an_etag_that_answers_304_until_a_write_lands() {
    let app = spawn_app().await;
    let first = app.get("/api/v1/projects").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();

    let unchanged = app.get_if_none_match("/api/v1/projects", &etag).await;
    app.create_project("Changes everything").await;
    let changed = app.get_if_none_match("/api/v1/projects", &etag).await;

    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    let projects: Vec<serde_json::Value> = changed.json().await.unwrap();
    assert!(projects.iter().any(|p| p["name"] == "Changes everything"));
}

#[tokio::test]
async fn a_repeated_read_after_each_write_always_sees_that_write() {
    let app = spawn_app().await;
    let pid = app.create_project("Read your writes").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for i in 0..20 {
        let name = format!("Renamed {i}");
        let _warm: serde_json::Value = app
            .get(&format!("/api/v1/projects/{pid}"))
            .await
            .json()
            .await
            .unwrap();
        app.patch_json(
            &format!("/api/v1/projects/{pid}"),
            &serde_json::json!({ "name": name }),
        )
        .await;
        let seen: serde_json::Value = app
            .get(&format!("/api/v1/projects/{pid}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(seen["name"], name.as_str());
    }
}

#[test]
fn ready_answers_503_in_production_until_an_admin_exists_and_a_backup_is_taken() {
    use crate::helpers::{binary, spawn_binary};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    let init = std::process::Command::new(binary())
        .args(["keys", "init", "--identity"])
        .arg(&identity)
        .env_clear()
        .output()
        .unwrap();
    assert!(init.status.success());
    let env = [
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "none"),
    ];
    let server = spawn_binary(&data, &env);
    let ready = |server: &crate::helpers::RunningBinary| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}", &server.url("/ready")])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (
            code.to_owned(),
            serde_json::from_str::<serde_json::Value>(body).unwrap(),
        )
    };

    let (code, body) = ready(&server);

    assert_eq!(code, "503");
    assert_eq!(body["status"], "not ready");
    let admin = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "admin")
        .unwrap()
        .clone();
    assert_eq!(admin["ok"], false);
    assert!(
        admin["detail"].as_str().unwrap().contains("user add"),
        "{admin}"
    );
    let add = std::process::Command::new(binary())
        .args([
            "user",
            "add",
            "--email",
            "ops@example.com",
            "--role",
            "admin",
            "--data-dir",
        ])
        .arg(&data)
        .env_clear()
        .envs(env)
        .env("LAUNCHPAD_PASSWORD", "correct horse battery staple 42")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let (code, body) = ready(&server);
    assert_eq!(code, "503", "production wants a backup within 26 h: {body}");
    assert_eq!(crate::helpers::failing_checks(&body), ["backup"], "{body}");
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let backup = std::process::Command::new(binary())
        .args(["backup", "--out"])
        .arg(&backups)
        .arg("--data-dir")
        .arg(&data)
        .env_clear()
        .envs(env)
        .output()
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    let (code, body) = ready(&server);
    assert_eq!(code, "200", "{body}");
}
