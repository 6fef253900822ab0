//! No lost updates: strong ETags on projects, checklists and tasks,
//! `If-None-Match` on their reads, `If-Match` on their changes (412 with the
//! current ETag), and `http.require_if_match` (428).

use crate::helpers::{TestApp, error_fields, problem, spawn_app_with, spawn_empty_app};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Sends `method` to `path` with `If-Match: if_match` (or none) and a JSON body (or none).
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut request = crate::helpers::client().request(method, app.url(path));
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request sent")
}

/// A project holding one checklist holding one task; their three paths.
async fn nested(app: &TestApp) -> [String; 3] {
    let project = app.create_project("Conditional").await;
    let p = project["id"].as_str().unwrap().to_owned();
    let checklist = app.create_checklist(&p, "Launch").await;
    let c = checklist["id"].as_str().unwrap().to_owned();
    let task = app.create_task(&p, &c, "Write the runbook").await;
    let t = task["id"].as_str().unwrap().to_owned();
    let project = format!("/api/v1/projects/{p}");
    let checklist = format!("{project}/checklists/{c}");
    let task = format!("{checklist}/tasks/{t}");
    [project, checklist, task]
}

#[tokio::test]
async fn projects_checklists_and_tasks_carry_strong_etags_that_if_none_match_honours() {
    let app = spawn_empty_app().await;
    let paths = nested(&app).await;

    for path in &paths {
        let first = app.get(path).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let etag = etag_of(&first);
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        let again = app.get_if_none_match(path, &etag).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(etag_of(&again), etag);
    }
}

#[tokio::test]
async fn the_etag_a_change_answers_with_is_the_one_the_next_read_shows() {
    let app = spawn_empty_app().await;
    let [project, checklist, task] = nested(&app).await;

    let changes = [
        (project, json!({ "name": "Renamed" })),
        (checklist, json!({ "name": "Renamed" })),
        (task, json!({ "status": "done" })),
    ];
    for (path, body) in changes {
        let changed = send(&app, Method::PATCH, &path, None, Some(body)).await;
        assert_eq!(changed.status(), StatusCode::OK, "{path}");
        let read = app.get(&path).await;
        assert_eq!(etag_of(&changed), etag_of(&read), "{path}");
    }
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412_and_the_current_etag_and_changes_nothing() {
    let app = spawn_empty_app().await;
    let [project, checklist, task] = nested(&app).await;
    let cases = [
        (
            project,
            json!({ "name": "First" }),
            json!({ "name": "Second" }),
        ),
        (
            checklist,
            json!({ "name": "First" }),
            json!({ "name": "Second" }),
        ),
        (
            task,
            json!({ "title": "First" }),
            json!({ "title": "Second" }),
        ),
    ];

    for (path, first, second) in cases {
        let read = etag_of(&app.get(&path).await);
        let landed = send(&app, Method::PATCH, &path, Some(&read), Some(first)).await;
        assert_eq!(landed.status(), StatusCode::OK, "{path}");
        let current = etag_of(&landed);

        let refused = send(&app, Method::PATCH, &path, Some(&read), Some(second)).await;
        assert_eq!(etag_of(&refused), current, "{path}");
        let body = problem(refused, StatusCode::PRECONDITION_FAILED).await;
        let after: Value = app.get(&path).await.json().await.unwrap();

        assert_eq!(error_fields(&body), ["If-Match"], "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains(&current),
            "{body}"
        );
        let kept = after.get("name").or(after.get("title")).unwrap();
        assert_eq!(kept, "First", "the first change stands: {after}");
    }
}

#[tokio::test]
async fn of_two_editors_changing_what_they_both_read_exactly_one_wins() {
    let app = spawn_empty_app().await;
    let [project, ..] = nested(&app).await;
    let read = etag_of(&app.get(&project).await);

    let (a, b) = tokio::join!(
        send(
            &app,
            Method::PATCH,
            &project,
            Some(&read),
            Some(json!({ "name": "Alice's" }))
        ),
        send(
            &app,
            Method::PATCH,
            &project,
            Some(&read),
            Some(json!({ "name": "Bob's" }))
        ),
    );

    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
}

#[tokio::test]
async fn a_change_inside_a_project_changes_the_project_etag() {
    let app = spawn_empty_app().await;
    let [project, _, task] = nested(&app).await;
    let before = etag_of(&app.get(&project).await);

    send(
        &app,
        Method::PATCH,
        &task,
        None,
        Some(json!({ "status": "done" })),
    )
    .await;
    let stale = send(&app, Method::DELETE, &project, Some(&before), None).await;

    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.get(&project).await.status(),
        StatusCode::OK,
        "not deleted"
    );
}

#[tokio::test]
async fn delete_honours_if_match_and_star_and_a_weak_tag_never_matches() {
    let app = spawn_empty_app().await;
    let [project, checklist, task] = nested(&app).await;

    let current = etag_of(&app.get(&task).await);
    let weak = send(
        &app,
        Method::DELETE,
        &task,
        Some(&format!("W/{current}")),
        None,
    )
    .await;
    let deleted = send(&app, Method::DELETE, &task, Some(&current), None).await;
    let any = send(&app, Method::DELETE, &checklist, Some("*"), None).await;

    assert_eq!(weak.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(any.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&checklist).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&project).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_require_if_match_a_change_without_it_is_a_428_and_creating_is_unaffected() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_HTTP_REQUIRE_IF_MATCH", "true"),
    ])
    .await;
    let [project, checklist, task] = nested(&app).await;

    for path in [&task, &checklist, &project] {
        let patch = send(
            &app,
            Method::PATCH,
            path,
            None,
            Some(json!({ "name": "x y z" })),
        )
        .await;
        let body = problem(patch, StatusCode::PRECONDITION_REQUIRED).await;
        assert_eq!(error_fields(&body), ["If-Match"], "{body}");
        let delete = send(&app, Method::DELETE, path, None, None).await;
        problem(delete, StatusCode::PRECONDITION_REQUIRED).await;
    }
    let current = etag_of(&app.get(&project).await);
    let renamed = send(
        &app,
        Method::PATCH,
        &project,
        Some(&current),
        Some(json!({ "name": "Renamed" })),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::OK);
}
