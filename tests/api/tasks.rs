//! Tasks in a checklist: created pending, status cycling, partial patches,
//! insertion order, deleting one alone, and a missing parent or invalid
//! field answered with a 4xx naming which.

use crate::helpers::{TestApp, error_fields, not_found_naming, problem, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MISSING: &str = "0190f5a2-7b3c-7def-8abc-0123456789ab";

/// A project with one checklist: (project id, checklist id, tasks path).
async fn checklist(app: &TestApp) -> (String, String, String) {
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cid = app.create_checklist(&pid, "Checklist").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/projects/{pid}/checklists/{cid}/tasks");
    (pid, cid, path)
}

#[tokio::test]
async fn a_new_task_is_pending_with_its_optional_fields() {
    let app = spawn_empty_app().await;
    let (_, cid, path) = checklist(&app).await;

    let response = app.post_json(&path, &json!({ "title": " Write runbook ", "notes": "Ask Ada\nabout paging", "dueDate": "2026-12-31" })).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let task: Value = response.json().await.unwrap();
    assert_eq!(task["title"], "Write runbook");
    assert_eq!(task["status"], "pending");
    assert_eq!(task["notes"], "Ask Ada\nabout paging");
    assert_eq!(task["dueDate"], "2026-12-31");
    assert_eq!(task["checklistId"], cid.as_str());
}

#[tokio::test]
async fn the_prototype_client_cycles_a_task_status_with_a_status_only_patch() {
    let app = spawn_empty_app().await;
    let (_, _, path) = checklist(&app).await;
    let task = app
        .post_json(&path, &json!({ "title": "Cycle me" }))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let task_path = format!("{path}/{}", task["id"].as_str().unwrap());

    let mut statuses = Vec::new();
    for status in ["in_progress", "done", "pending"] {
        let response = app
            .patch_json(&task_path, &json!({ "status": status }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        statuses.push(response.json::<Value>().await.unwrap()["status"].clone());
    }

    assert_eq!(statuses, ["in_progress", "done", "pending"]);
}

#[tokio::test]
async fn patching_a_task_changes_only_the_fields_sent_and_null_clears() {
    let app = spawn_empty_app().await;
    let (_, _, path) = checklist(&app).await;
    let task: Value = app
        .post_json(
            &path,
            &json!({ "title": "Original", "notes": "n", "dueDate": "2027-01-01" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let task_path = format!("{path}/{}", task["id"].as_str().unwrap());

    let body: Value = app
        .patch_json(&task_path, &json!({ "title": "Renamed", "dueDate": null }))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(body["title"], "Renamed");
    assert!(
        body.get("dueDate").is_none(),
        "null clears and is then omitted: {body}"
    );
    assert_eq!(body["notes"], "n");
    assert_eq!(body["status"], "pending");
}

#[tokio::test]
async fn tasks_keep_their_insertion_order_within_a_checklist() {
    let app = spawn_empty_app().await;
    let (pid, _, path) = checklist(&app).await;
    let titles = ["Third thing", "First thing", "Second thing"];
    for title in titles {
        app.post_json(&path, &json!({ "title": title })).await;
    }

    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();

    let order: Vec<&str> = project["checklists"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(order, titles);
}

#[tokio::test]
async fn deleting_a_task_removes_only_that_task() {
    let app = spawn_empty_app().await;
    let (pid, _, path) = checklist(&app).await;
    let doomed: Value = app
        .post_json(&path, &json!({ "title": "Doomed" }))
        .await
        .json()
        .await
        .unwrap();
    app.post_json(&path, &json!({ "title": "Kept" })).await;

    let response = app
        .delete(&format!("{path}/{}", doomed["id"].as_str().unwrap()))
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    let tasks = project["checklists"][0]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "Kept");
}

#[tokio::test]
async fn a_missing_parent_or_task_is_a_404_naming_which() {
    let app = spawn_empty_app().await;
    let (pid, cid, path) = checklist(&app).await;

    let cases = [
        (
            format!("/api/v1/projects/{MISSING}/checklists/{cid}/tasks"),
            "projectId",
        ),
        (
            format!("/api/v1/projects/{pid}/checklists/{MISSING}/tasks"),
            "checklistId",
        ),
    ];
    for (create_path, field) in &cases {
        let response = app
            .post_json(create_path, &json!({ "title": "Orphan" }))
            .await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::NOT_FOUND).await),
            [*field]
        );
    }
    let patch = app
        .patch_json(&format!("{path}/{MISSING}"), &json!({ "status": "done" }))
        .await;
    let delete = app.delete(&format!("{path}/{MISSING}")).await;
    not_found_naming(patch, "taskId").await;
    not_found_naming(delete, "taskId").await;
}

#[tokio::test]
async fn invalid_task_fields_are_all_reported_by_name() {
    let app = spawn_empty_app().await;
    let (_, _, path) = checklist(&app).await;

    let response = app
        .post_json(
            &path,
            &json!({ "title": "x", "notes": "n".repeat(4001), "dueDate": "31/12/2026" }),
        )
        .await;

    assert_eq!(
        error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
        ["title", "notes", "dueDate"]
    );
}

#[tokio::test]
async fn an_unknown_status_is_a_400_naming_status_and_changes_nothing() {
    let app = spawn_empty_app().await;
    let (pid, _, path) = checklist(&app).await;
    let task: Value = app
        .post_json(&path, &json!({ "title": "Stay pending" }))
        .await
        .json()
        .await
        .unwrap();
    let task_path = format!("{path}/{}", task["id"].as_str().unwrap());

    for status in [json!("finished"), json!("DONE"), json!(1), json!(null)] {
        let response = app
            .patch_json(&task_path, &json!({ "status": status }))
            .await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            ["status"],
            "for {status}"
        );
    }

    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["checklists"][0]["tasks"][0]["status"], "pending");
}
