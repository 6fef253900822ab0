//! The API contract kept for old clients: every project without paging,
//! streamed and bounded by `http.unpaged_list_max`, and the CORS headers a
//! browser client needs.

use crate::helpers::{TestApp, error_fields, problem, spawn_app_with};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

/// An empty store whose API budget lets a test create hundreds of projects
/// quickly.
async fn spawn_roomy(extra: &[(&str, &str)]) -> TestApp {
    let mut env = vec![
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND", "100000"),
    ];
    env.extend_from_slice(extra);
    spawn_app_with(&env).await
}

/// Creates `n` projects named "Project 0"… a few at a time; returns their ids in creation order.
async fn create_projects(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for batch in (0..n).collect::<Vec<_>>().chunks(16) {
        let created = join_all(
            batch
                .iter()
                .map(|i| async move { app.create_project(&format!("Project {i:04}")).await }),
        )
        .await;
        ids.extend(
            created
                .into_iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
    }
    ids
}

#[tokio::test]
async fn a_long_unpaged_list_is_streamed_whole_in_creation_order() {
    let app = spawn_roomy(&[]).await;
    let ids = create_projects(&app, 230).await;

    let response = app.get("/api/v1/projects").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("content-length").is_none(),
        "a list this long is streamed, not built whole: {:?}",
        response.headers()
    );
    assert!(response.headers().get("link").is_none());
    let listed: Vec<Value> = response.json().await.expect("one whole JSON array");
    let listed: Vec<&str> = listed.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort(); // ids are time-ordered, so creation order is id order
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn above_the_unpaged_limit_the_list_is_refused_naming_limit_and_paging_still_works() {
    let app = spawn_roomy(&[("LAUNCHPAD_HTTP_UNPAGED_LIST_MAX", "5")]).await;
    create_projects(&app, 6).await;

    let refused = problem(app.get("/api/v1/projects").await, StatusCode::BAD_REQUEST).await;
    let page: Vec<Value> = app
        .get("/api/v1/projects?limit=200")
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(error_fields(&refused), ["limit"], "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("http.unpaged_list_max"),
        "{refused}"
    );
    assert_eq!(page.len(), 6);
}

#[tokio::test]
async fn an_unpaged_list_is_not_sent_again_to_a_client_that_holds_it() {
    let app = spawn_roomy(&[]).await;
    create_projects(&app, 210).await;

    let first = app.get("/api/v1/projects").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app.get_if_none_match("/api/v1/projects", &etag).await;

    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn cors_lets_a_browser_client_send_retry_and_precondition_headers_and_read_the_answers() {
    let app = spawn_app_with(&[(
        "LAUNCHPAD_HTTP_CORS_ALLOWED_ORIGINS",
        "https://app.example.com",
    )])
    .await;
    let client = crate::helpers::client();

    let preflight = client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/projects"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "x-requested-with,idempotency-key,if-match,content-type",
        )
        .send()
        .await
        .unwrap();
    let answer = client
        .get(app.url("/api/v1/projects"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();

    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["x-requested-with", "idempotency-key", "if-match"] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("PUT"), "{methods}");
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "etag",
        "link",
        "location",
        "x-request-id",
        "deprecation",
        "sunset",
    ] {
        assert!(exposed.contains(header), "{header} not in {exposed}");
    }
}
