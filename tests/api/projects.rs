//! Projects: the demo data in a fresh store, create, patch and delete with
//! their checklists and tasks, field errors named, and the paged list with
//! its `Link` header and limits.

use crate::helpers::{
    error_fields, next_link, problem, spawn_app, spawn_app_with, spawn_empty_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_fresh_store_lists_the_demo_project_with_its_checklists_and_tasks_in_order() {
    let app = spawn_app().await;

    let projects: Vec<Value> = app.get("/api/v1/projects").await.json().await.unwrap();

    assert_eq!(projects.len(), 1);
    let demo = &projects[0];
    assert_eq!(demo["name"], "LaunchPad – v0 Readiness");
    assert_eq!(
        demo["description"],
        "Seed data used to illustrate the journey from PoC to production-ready."
    );
    let checklists: Vec<&str> = demo["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        checklists,
        ["Foundation & Planning", "Hardening & Launch Readiness"]
    );
    let first = &demo["checklists"][0]["tasks"];
    assert_eq!(first[0]["title"], "Define success metrics and guardrails");
    assert_eq!(first[0]["status"], "pending");
    assert_eq!(first[1]["title"], "Map core domains and bounded contexts");
    assert_eq!(first[1]["status"], "in_progress");
    let second = &demo["checklists"][1]["tasks"];
    assert_eq!(
        second[0]["title"],
        "Add observability baseline (logs, metrics, traces)"
    );
    assert_eq!(
        second[1]["title"],
        "Run security posture review and threat modelling"
    );
    assert_eq!(second[1]["status"], "pending");
}

#[tokio::test]
async fn demo_data_can_be_switched_off_by_configuration() {
    let app = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;

    let projects: Vec<Value> = app.get("/api/v1/projects").await.json().await.unwrap();

    assert!(projects.is_empty());
}

#[tokio::test]
async fn a_deleted_demo_project_does_not_come_back_after_a_restart() {
    let app = spawn_app().await;
    let projects: Vec<Value> = app.get("/api/v1/projects").await.json().await.unwrap();
    let id = projects[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/projects/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );

    let app = crate::helpers::spawn_app_in(app.stop().await, &[]).await;

    assert!(app.all_projects().await.is_empty());
}

#[tokio::test]
async fn creating_a_project_answers_201_with_trimmed_fields_and_a_location() {
    let app = spawn_empty_app().await;

    let response = app
        .post_json("/api/v1/projects", &json!({ "name": "  Checkout service  ", "description": "Payments", "ownerEmail": "ada@example.com" }))
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Checkout service");
    assert_eq!(body["description"], "Payments");
    assert_eq!(body["ownerEmail"], "ada@example.com");
    assert_eq!(body["checklists"], json!([]));
    assert_eq!(body["createdAt"], body["updatedAt"]);
    assert!(body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        location,
        format!("/api/v1/projects/{}", body["id"].as_str().unwrap())
    );
    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, body);
}

#[tokio::test]
async fn a_project_without_optional_fields_omits_them_rather_than_sending_null() {
    let app = spawn_empty_app().await;

    let body = app.create_project("Bare project").await;
    let path = format!("/api/v1/projects/{}", body["id"].as_str().unwrap());
    let fetched: Value = app.get(&path).await.json().await.unwrap();
    let listed: Value = app.get("/api/v1/projects").await.json().await.unwrap();

    for shown in [&body, &fetched, &listed[0]] {
        let keys = shown.as_object().unwrap();
        assert!(!keys.contains_key("description"), "{shown}");
        assert!(!keys.contains_key("ownerEmail"), "{shown}");
    }
}

#[tokio::test]
async fn patching_a_project_changes_only_the_fields_sent_and_null_clears() {
    let app = spawn_empty_app().await;
    let created = app
        .post_json(
            "/api/v1/projects",
            &json!({ "name": "Original", "description": "Keep me", "ownerEmail": "a@example.com" }),
        )
        .await;
    let created: Value = created.json().await.unwrap();
    let path = format!("/api/v1/projects/{}", created["id"].as_str().unwrap());

    let renamed: Value = app
        .patch_json(&path, &json!({ "name": "Renamed" }))
        .await
        .json()
        .await
        .unwrap();
    let cleared: Value = app
        .patch_json(&path, &json!({ "ownerEmail": null }))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["description"], "Keep me");
    assert_eq!(renamed["ownerEmail"], "a@example.com");
    assert!(
        cleared.get("ownerEmail").is_none(),
        "null clears: {cleared}"
    );
    assert_eq!(cleared["name"], "Renamed");
    assert_eq!(cleared["createdAt"], created["createdAt"]);
    assert!(cleared["updatedAt"].as_str().unwrap() >= created["updatedAt"].as_str().unwrap());
}

#[tokio::test]
async fn patching_a_project_answers_with_its_checklists() {
    let app = spawn_empty_app().await;
    let project = app.create_project("With children").await;
    let id = project["id"].as_str().unwrap();
    app.create_checklist(id, "Security").await;

    let body: Value = app
        .patch_json(
            &format!("/api/v1/projects/{id}"),
            &json!({ "description": "x" }),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(body["checklists"][0]["name"], "Security");
}

#[tokio::test]
async fn invalid_project_fields_are_all_reported_with_their_names() {
    let app = spawn_empty_app().await;

    let response = app
        .post_json(
            "/api/v1/projects",
            &json!({ "name": "ab", "description": "x".repeat(281), "ownerEmail": "not-an-email" }),
        )
        .await;

    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(error_fields(&body), ["name", "description", "ownerEmail"]);
    assert!(app.all_projects().await.is_empty());
}

#[tokio::test]
async fn patching_a_project_name_to_null_is_refused() {
    let app = spawn_empty_app().await;
    let id = app.create_project("Keeps name").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .patch_json(&format!("/api/v1/projects/{id}"), &json!({ "name": null }))
        .await;

    assert_eq!(
        error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
        ["name"]
    );
}

#[tokio::test]
async fn deleting_a_project_removes_it_with_its_checklists_and_tasks() {
    let app = spawn_empty_app().await;
    let project = app.create_project("Doomed").await;
    let pid = project["id"].as_str().unwrap();
    let checklist = app.create_checklist(pid, "Checklist").await;
    let cid = checklist["id"].as_str().unwrap();
    app.create_task(pid, cid, "A task").await;
    let survivor = app.create_project("Survivor").await;

    let response = app.delete(&format!("/api/v1/projects/{pid}")).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    problem(
        app.get(&format!("/api/v1/projects/{pid}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = app
        .post_json(
            &format!("/api/v1/projects/{pid}/checklists/{cid}/tasks"),
            &json!({ "title": "Orphan" }),
        )
        .await;
    problem(response, StatusCode::NOT_FOUND).await;
    let remaining = app.all_projects().await;
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0]["id"], survivor["id"]);
}

#[tokio::test]
async fn a_missing_project_is_a_404_that_names_it() {
    let app = spawn_empty_app().await;
    let id = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    for response in [
        app.get(&format!("/api/v1/projects/{id}")).await,
        app.patch_json(
            &format!("/api/v1/projects/{id}"),
            &json!({ "name": "Whatever" }),
        )
        .await,
        app.delete(&format!("/api/v1/projects/{id}")).await,
    ] {
        let body = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(error_fields(&body), ["projectId"]);
        assert!(body["detail"].as_str().unwrap().contains(id));
    }
}

#[tokio::test]
async fn any_valid_uuid_is_accepted_as_a_path_id() {
    let app = spawn_empty_app().await;

    // A random (v4) id is well-formed: the answer is "not found", not "bad id".
    let response = app
        .get("/api/v1/projects/6f1c2b8e-4a1d-4c1e-9f0a-1b2c3d4e5f60")
        .await;

    problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_list_pages_through_every_project_once_in_creation_order() {
    let app = spawn_empty_app().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(app.create_project(&format!("Project {i}")).await["id"].clone());
    }

    let mut seen = Vec::new();
    let mut next = Some("/api/v1/projects?limit=3".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let response = app.get(&path).await;
        next = next_link(&response);
        let page: Vec<Value> = response.json().await.unwrap();
        assert!(page.len() <= 3);
        seen.extend(page.into_iter().map(|p| p["id"].clone()));
        pages += 1;
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, created);
}

#[tokio::test]
async fn the_last_page_has_no_next_link() {
    let app = spawn_empty_app().await;
    app.create_project("Only one").await;

    let response = app.get("/api/v1/projects?limit=1").await;

    assert!(next_link(&response).is_none());
}

#[tokio::test]
async fn the_list_defaults_to_fifty_per_page() {
    let app = spawn_empty_app().await;
    for i in 0..51 {
        app.create_project(&format!("Project {i}")).await;
    }

    let response = app.get("/api/v1/projects").await;

    let next = next_link(&response).expect("a next link");
    assert!(next.contains("limit=50"));
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page.len(), 50);
}

#[tokio::test]
async fn a_bad_limit_or_cursor_is_a_400_naming_the_parameter() {
    let app = spawn_empty_app().await;

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let body = problem(
            app.get(&format!("/api/v1/projects?{query}")).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error_fields(&body), [field], "for {query}");
    }
}
