//! Checklist templates: the five built-in ones with their pillar-tagged
//! tasks, a checklist made from one, a checklist saved as a custom template
//! by an editor, and custom templates deleted by admins only.

use crate::helpers::{TestApp, created, error_fields, problem, spawn_app_with, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn templates(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/templates").await.json().await.unwrap()
}

#[tokio::test]
async fn the_five_built_in_templates_are_listed_with_their_tasks_tagged_by_pillar() {
    let app = spawn_empty_app().await;

    let list = templates(&app).await;

    let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "production-readiness",
            "core-audit",
            "quick-start",
            "prototype-to-production",
            "compliance-safeguards"
        ]
    );
    let counts: Vec<usize> = list
        .iter()
        .map(|t| t["tasks"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [8, 16, 6, 7, 4]);
    for template in &list {
        assert_eq!(template["builtIn"], true);
        for task in template["tasks"].as_array().unwrap() {
            assert!(task["pillar"].is_string(), "{task}");
        }
    }
}

#[tokio::test]
async fn a_checklist_made_from_a_template_copies_its_tasks_and_takes_its_name() {
    let app = spawn_empty_app().await;
    let project = app.create_project("Templated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let checklist = created(
        app.post_json(
            &format!("/api/v1/projects/{project}/checklists"),
            &json!({ "template": "compliance-safeguards" }),
        )
        .await,
    )
    .await;

    assert_eq!(checklist["name"], "Compliance safeguards");
    let tasks = checklist["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 4);
    assert!(
        tasks
            .iter()
            .all(|t| t["pillar"] == "security" && t["required"] == true)
    );
    let stored = app.get(&format!("/api/v1/projects/{project}")).await;
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(
        stored["checklists"][0]["tasks"].as_array().unwrap().len(),
        4
    );
}

#[tokio::test]
async fn a_name_given_with_a_template_wins_a_malformed_template_is_refused_and_a_missing_one_is_not_found()
 {
    let app = spawn_empty_app().await;
    let project = app.create_project("Templated").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/projects/{project}/checklists");

    let named = created(
        app.post_json(
            &path,
            &json!({ "template": "quick-start", "name": "Week one" }),
        )
        .await,
    )
    .await;
    let unknown = app.post_json(&path, &json!({ "template": "nope" })).await;
    let missing_custom = app
        .post_json(
            &path,
            &json!({ "template": "0190f5a2-7b3c-7def-8abc-0123456789ab" }),
        )
        .await;
    let neither = app.post_json(&path, &json!({})).await;

    assert_eq!(named["name"], "Week one");
    assert_eq!(named["tasks"].as_array().unwrap().len(), 6);
    for (response, field) in [(unknown, "template"), (neither, "name")] {
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            [field]
        );
    }
    // Well formed but not there: the same 404 a path naming it would get.
    let missing = problem(missing_custom, StatusCode::NOT_FOUND).await;
    assert_eq!(
        missing["detail"],
        "template 0190f5a2-7b3c-7def-8abc-0123456789ab does not exist"
    );
}

#[tokio::test]
async fn an_editor_saves_a_checklist_as_a_template_and_only_an_admin_deletes_it() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "editor"),
    ])
    .await;
    let project = app.create_project("Source").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checklist = app.create_checklist(&project, "Our launch list").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tasks = format!("/api/v1/projects/{project}/checklists/{checklist}/tasks");
    created(
        app.post_json(&tasks, &json!({ "title": "Load test the checkout", "pillar": "reliability", "required": true }))
            .await,
    )
    .await;

    let saved = created(
        app.post_json(
            "/api/v1/templates",
            &json!({ "projectId": project, "checklistId": checklist, "name": "Launch list" }),
        )
        .await,
    )
    .await;
    let id = saved["id"].as_str().unwrap().to_owned();
    let by_editor = app.delete(&format!("/api/v1/templates/{id}")).await;

    assert_eq!(saved["builtIn"], false);
    assert_eq!(saved["tasks"][0]["title"], "Load test the checkout");
    assert_eq!(saved["tasks"][0]["pillar"], "reliability");
    assert_eq!(saved["tasks"][0]["required"], true);
    assert!(templates(&app).await.iter().any(|t| t["id"] == id.as_str()));
    // An editor (here the anonymous role) is told to sign in as someone who may.
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&by_editor.status()),
        "{}",
        by_editor.status()
    );
    let copy = created(
        app.post_json(
            &format!("/api/v1/projects/{project}/checklists"),
            &json!({ "template": id }),
        )
        .await,
    )
    .await;
    assert_eq!(copy["name"], "Launch list");

    let admin_app = spawn_app_in_same(app).await;
    let deleted = admin_app.delete(&format!("/api/v1/templates/{id}")).await;
    let built_in = admin_app.delete("/api/v1/templates/core-audit").await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(
        !templates(&admin_app)
            .await
            .iter()
            .any(|t| t["id"] == id.as_str())
    );
    problem(built_in, StatusCode::CONFLICT).await;
}

/// The same store, served again with the admin role for anonymous callers.
async fn spawn_app_in_same(app: TestApp) -> TestApp {
    crate::helpers::spawn_app_in(
        app.stop().await,
        &[
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_ANONYMOUS_ROLE", "admin"),
        ],
    )
    .await
}
