//! A wrong method on any path the service serves is a 405 problem with an
//! `Allow` header naming what the path does accept; a path it does not
//! serve is a 404 problem, whatever the method.

use crate::helpers::{TestApp, problem, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn send(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    app.client
        .request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(path),
        )
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
}

/// The 405 problem, with its `Allow` header.
async fn not_allowed(app: &TestApp, method: &str, path: &str) -> (String, Value) {
    let response = send(app, method, path).await;
    assert_eq!(response.status(), 405, "{method} {path}");
    let allow = response
        .headers()
        .get("allow")
        .unwrap_or_else(|| panic!("{method} {path} has no Allow header"))
        .to_str()
        .unwrap()
        .to_owned();
    let body = problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    (allow, body)
}

#[tokio::test]
async fn a_wrong_method_on_a_path_with_one_route_is_a_405_naming_that_route() {
    let app = spawn_app().await;

    for (method, path, allow) in [
        ("POST", "/api/v1/audit", "GET"),
        ("GET", "/api/v1/auth/login", "POST"),
        ("DELETE", "/api/v1/auth/logout", "POST"),
        ("PATCH", "/api/v1/auth/me", "GET"),
        ("PUT", "/api/v1/backups/status", "GET"),
        ("POST", "/api/v1/summary", "GET"),
        ("POST", "/health", "GET"),
        ("DELETE", "/metrics", "GET"),
        ("PUT", "/ready", "GET"),
        ("POST", "/api/v1/openapi.json", "GET"),
    ] {
        let (allowed, body) = not_allowed(&app, method, path).await;

        assert_eq!(allowed, allow, "{method} {path}");
        assert_eq!(body["type"], "urn:launchpad:problem:method-not-allowed");
        assert_eq!(body["instance"], path);
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(method) && detail.contains(allow),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_path_with_several_routes_lists_them_all() {
    let app = spawn_app().await;
    let id = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    let (projects, body) = not_allowed(&app, "PUT", "/api/v1/projects").await;
    let (project, _) = not_allowed(&app, "POST", &format!("/api/v1/projects/{id}")).await;
    let (north_star, _) =
        not_allowed(&app, "DELETE", &format!("/api/v1/projects/{id}/north-star")).await;

    assert_eq!(projects, "GET, POST");
    assert_eq!(project, "GET, PATCH, DELETE");
    assert_eq!(north_star, "GET, PUT");
    assert_eq!(body["type"], "urn:launchpad:problem:method-not-allowed");
    assert_eq!(body["title"], "Method not allowed");
}

#[tokio::test]
async fn methods_no_route_has_are_405_too() {
    let app = spawn_app().await;

    for method in ["OPTIONS", "TRACE", "QUERY"] {
        let (allowed, _) = not_allowed(&app, method, "/api/v1/projects").await;

        assert_eq!(allowed, "GET, POST", "{method}");
    }
}

#[tokio::test]
async fn a_change_sent_to_a_page_of_the_ui_is_a_405_allowing_get_and_head() {
    let app = spawn_app().await;

    for path in ["/", "/index.html", "/projects/some-project", "/js/main.js"] {
        let (allowed, body) = not_allowed(&app, "POST", path).await;

        assert_eq!(allowed, "GET, HEAD", "{path}");
        assert_eq!(body["type"], "urn:launchpad:problem:method-not-allowed");
    }
}

#[tokio::test]
async fn a_path_nothing_serves_is_a_404_whatever_the_method() {
    let app = spawn_app().await;

    for (method, path) in [
        ("GET", "/api/v1/projectz"),
        ("POST", "/api/v1/projectz"),
        ("DELETE", "/api"),
        ("POST", "/nothing-here.js"),
        ("PUT", "/api/v2/projects"),
    ] {
        let body = problem(send(&app, method, path).await, StatusCode::NOT_FOUND).await;

        assert_eq!(
            body["type"], "urn:launchpad:problem:no-route",
            "{method} {path}"
        );
    }
}
