//! The dashboard's counts over the whole store, and the backup status.

use crate::helpers::{TestApp, spawn_app_with, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn task_with(app: &TestApp, project: &str, checklist: &str, body: Value) -> Value {
    let url = format!("/api/v1/projects/{project}/checklists/{checklist}/tasks");
    let response = app.post_json(&url, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn summary(app: &TestApp) -> Value {
    let response = app.get("/api/v1/summary").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_summary_counts_every_project_checklist_and_task_by_status_and_overdue() {
    let app = spawn_empty_app().await;
    for n in 0..3 {
        let project = app.create_project(&format!("Service {n}")).await;
        app.create_checklist(project["id"].as_str().unwrap(), "Empty")
            .await;
    }
    let project = app.create_project("Checkout").await;
    let p = project["id"].as_str().unwrap();
    let checklist = app.create_checklist(p, "Security").await;
    let c = checklist["id"].as_str().unwrap();
    task_with(
        &app,
        p,
        c,
        json!({ "title": "Overdue", "dueDate": "2020-01-01" }),
    )
    .await;
    task_with(
        &app,
        p,
        c,
        json!({ "title": "Due later", "dueDate": "2999-01-01" }),
    )
    .await;
    let done_late = task_with(
        &app,
        p,
        c,
        json!({ "title": "Done late", "dueDate": "2020-01-01" }),
    )
    .await;
    let started = task_with(&app, p, c, json!({ "title": "Started" })).await;
    let tasks = format!("/api/v1/projects/{p}/checklists/{c}/tasks");
    for (task, status) in [(&done_late, "done"), (&started, "in_progress")] {
        let url = format!("{tasks}/{}", task["id"].as_str().unwrap());
        let response = app.patch_json(&url, &json!({ "status": status })).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    assert_eq!(
        summary(&app).await,
        json!({
            "projects": 4,
            "checklists": 4,
            "tasks": { "total": 4, "pending": 2, "inProgress": 1, "done": 1, "overdue": 1 },
        })
    );

    let url = format!("{tasks}/{}", started["id"].as_str().unwrap());
    assert_eq!(app.delete(&url).await.status(), StatusCode::NO_CONTENT);
    let after = summary(&app).await;
    assert_eq!(
        after["tasks"]["total"], 3,
        "a delete is counted at once: {after}"
    );
    assert_eq!(after["tasks"]["inProgress"], 0);
}

#[tokio::test]
async fn backup_status_reports_no_backup_as_stale_when_a_policy_is_set() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_ANONYMOUS_ROLE", "admin"),
        ("LAUNCHPAD_BACKUP_MAX_AGE_HOURS", "26"),
    ])
    .await;

    let response = app.get("/api/v1/backups/status").await;

    assert_eq!(response.status(), StatusCode::OK);
    let status: Value = response.json().await.unwrap();
    assert_eq!(status, json!({ "maxAgeHours": 26, "fresh": false }));
}

#[tokio::test]
async fn backup_status_is_fresh_without_a_policy_in_development() {
    let app = spawn_app_with(&[("LAUNCHPAD_ANONYMOUS_ROLE", "admin")]).await;

    let status: Value = app
        .get("/api/v1/backups/status")
        .await
        .json()
        .await
        .unwrap();

    assert!(status.get("maxAgeHours").is_none(), "{status}");
    assert_eq!(status["fresh"], true);
}
