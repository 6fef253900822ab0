//! Hostile and careless input: every case gets a clear 4xx problem and the
//! store is exactly as it was.

use crate::helpers::{TestApp, error_fields, problem, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The demo project's id and the nested state of the whole store.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    app.all_projects().await
}

/// Sends `body` as a project create and as a checklist rename (both take a
/// `name`); both must be refused with `status` and leave the store unchanged.
/// Returns the create's problem.
async fn refused(
    app: &TestApp,
    content_type: Option<&str>,
    body: &'static [u8],
    status: StatusCode,
) -> Value {
    let before = snapshot(app).await;
    let demo = &before[0];
    let checklist_path = format!(
        "/api/v1/projects/{}/checklists/{}",
        demo["id"].as_str().unwrap(),
        demo["checklists"][0]["id"].as_str().unwrap(),
    );

    let create = app
        .send_raw(Method::POST, "/api/v1/projects", content_type, body)
        .await;
    let patch = app
        .send_raw(Method::PATCH, &checklist_path, content_type, body)
        .await;

    let problem_body = problem(create, status).await;
    problem(patch, status).await;
    assert_eq!(snapshot(app).await, before, "the store changed");
    problem_body
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_json_is_a_400_that_says_where() {
    let app = spawn_app().await;

    let body = refused(&app, JSON, br#"{"name": "abc""#, StatusCode::BAD_REQUEST).await;

    assert_eq!(body["type"], "urn:launchpad:problem:malformed-body");
    assert!(
        body["detail"].as_str().unwrap().contains("line 1"),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_type_is_a_400_naming_the_field() {
    let app = spawn_app().await;

    let body = refused(&app, JSON, br#"{"name": 42}"#, StatusCode::BAD_REQUEST).await;

    assert_eq!(error_fields(&body), ["name"]);
    assert_eq!(body["errors"][0]["message"], "must be a string");
}

#[tokio::test]
async fn an_unknown_field_is_a_400_naming_it() {
    let app = spawn_app().await;

    let body = refused(
        &app,
        JSON,
        br#"{"nmae": "Typo project"}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert_eq!(error_fields(&body), ["nmae"]);
}

#[tokio::test]
async fn deeply_nested_json_is_refused() {
    let app = spawn_app().await;
    let depth = 10_000;
    let nested: &'static [u8] =
        format!("{{\"name\": {}1{}}}", "[".repeat(depth), "]".repeat(depth))
            .into_bytes()
            .leak();

    refused(&app, JSON, nested, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn deeply_nested_json_under_an_unknown_key_is_refused() {
    let app = spawn_app().await;
    let depth = 10_000;
    let nested: &'static [u8] = format!("{{\"x\": {}1{}}}", "[".repeat(depth), "]".repeat(depth))
        .into_bytes()
        .leak();

    refused(&app, JSON, nested, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_one_megabyte_string_is_a_413() {
    let app = spawn_app().await;
    let huge: &'static [u8] = format!("{{\"name\": \"{}\"}}", "a".repeat(1024 * 1024))
        .into_bytes()
        .leak();

    let body = refused(&app, JSON, huge, StatusCode::PAYLOAD_TOO_LARGE).await;

    assert!(body["detail"].as_str().unwrap().contains("65536"));
}

#[tokio::test]
async fn an_oversized_chunked_body_without_a_length_is_a_413() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        std::iter::once(Ok(b"{\"name\":\"".to_vec()))
            .chain((0..100).map(|_| Ok(vec![b'a'; 1024])))
            .chain(std::iter::once(Ok(b"\"}".to_vec())))
            .collect();
    let stream = futures_util::stream::iter(chunks);

    let response = app
        .client
        .post(app.url("/api/v1/projects"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();

    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn invalid_utf8_is_a_400() {
    let app = spawn_app().await;

    let body = refused(
        &app,
        JSON,
        b"{\"name\": \"caf\xe9 project\"}",
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert!(body["detail"].as_str().unwrap().contains("UTF-8"));
}

#[tokio::test]
async fn an_escaped_nul_inside_a_string_is_a_400_naming_the_field() {
    let app = spawn_app().await;

    let body = refused(
        &app,
        JSON,
        br#"{"name": "nul\u0000byte"}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert_eq!(error_fields(&body), ["name"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("control")
    );
}

#[tokio::test]
async fn a_raw_nul_byte_in_the_body_is_a_400() {
    let app = spawn_app().await;

    refused(
        &app,
        JSON,
        b"{\"name\": \"raw\x00byte\"}",
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_duplicate_key_is_a_400_naming_it() {
    let app = spawn_app().await;

    let body = refused(
        &app,
        JSON,
        br#"{"name": "First name", "name": "Second name"}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert_eq!(error_fields(&body), ["name"]);
    assert_eq!(body["errors"][0]["message"], "is given more than once");
}

#[tokio::test]
async fn an_empty_body_is_a_400_that_asks_for_an_object() {
    let app = spawn_app().await;

    let body = refused(&app, JSON, b"", StatusCode::BAD_REQUEST).await;

    assert!(body["detail"].as_str().unwrap().contains("empty"));
}

#[tokio::test]
async fn a_json_array_or_scalar_body_is_a_400() {
    let app = spawn_app().await;

    refused(&app, JSON, br#"["Array project"]"#, StatusCode::BAD_REQUEST).await;
    refused(&app, JSON, br#""just a string""#, StatusCode::BAD_REQUEST).await;
    refused(&app, JSON, b"null", StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn trailing_data_after_the_object_is_a_400() {
    let app = spawn_app().await;

    refused(
        &app,
        JSON,
        br#"{"name": "Trailing"} {"name": "again"}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_wrong_content_type_is_a_415() {
    let app = spawn_app().await;

    let body = refused(
        &app,
        Some("text/plain"),
        br#"{"name": "Plain text"}"#,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;

    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    refused(
        &app,
        Some("application/x-www-form-urlencoded"),
        b"name=Form+project",
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    refused(
        &app,
        Some("application/json; charset=latin1"),
        br#"{"name": "Latin"}"#,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
}

#[tokio::test]
async fn a_missing_content_type_is_a_415() {
    let app = spawn_app().await;

    refused(
        &app,
        None,
        br#"{"name": "No type"}"#,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
}

#[tokio::test]
async fn odd_ids_in_paths_are_a_400_naming_the_segment() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let good = "0190f5a2-7b3c-7def-8abc-0123456789ab";
    let odd = [
        "1",
        "not-a-uuid",
        "0190f5a2-7b3c-7def-8abc-0123456789ab0",
        "0190f5a2-7b3c-7def-8abc-0123456789a",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "%F0%9F%9A%80",
        "%C3%28",
        &"9".repeat(2000),
        "0190f5a2-7b3c-7def-8abc-0123456789ab%20",
    ];

    for id in odd {
        let response = app.get(&format!("/api/v1/projects/{id}")).await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            ["projectId"],
            "for {id}"
        );
        let response = app
            .delete(&format!("/api/v1/projects/{good}/checklists/{id}"))
            .await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            ["checklistId"],
            "for {id}"
        );
        let response = app
            .delete(&format!(
                "/api/v1/projects/{good}/checklists/{good}/tasks/{id}"
            ))
            .await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            ["taskId"],
            "for {id}"
        );
    }

    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn several_bad_path_ids_are_all_named() {
    let app = spawn_app().await;

    let response = app.delete("/api/v1/projects/x/checklists/y/tasks/z").await;

    assert_eq!(
        error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
        ["projectId", "checklistId", "taskId"]
    );
}

#[tokio::test]
async fn a_missing_field_or_an_unknown_value_says_what_the_field_must_be() {
    let app = spawn_app().await;
    let project = app.create_project("Regulated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let triggers = format!("/api/v1/projects/{project}/compliance/triggers");

    let missing = app.post_json(&triggers, &serde_json::json!({})).await;
    let unknown = app
        .post_json(&triggers, &serde_json::json!({ "standard": "" }))
        .await;

    let missing = problem(missing, StatusCode::BAD_REQUEST).await;
    let unknown = problem(unknown, StatusCode::BAD_REQUEST).await;
    assert_eq!(missing["errors"][0]["field"], "standard");
    assert_eq!(missing["errors"][0]["message"], "is required");
    assert_eq!(unknown["errors"][0]["field"], "standard");
    assert_eq!(
        unknown["errors"][0]["message"],
        "must be one of: gdpr, hipaa, pci-dss, ferpa, coppa, other"
    );
}
