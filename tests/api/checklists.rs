//! Checklists under a project: created empty, kept in insertion order,
//! renamed, deleted with their tasks, reachable only through their own
//! project, and a missing or invalid one answered with a 4xx naming the field.

use crate::helpers::{error_fields, not_found_naming, problem, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MISSING: &str = "0190f5a2-7b3c-7def-8abc-0123456789ab";

#[tokio::test]
async fn a_checklist_is_created_empty_under_its_project() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let checklist = app.create_checklist(&pid, "  Security  ").await;

    assert_eq!(checklist["name"], "Security");
    assert_eq!(checklist["projectId"], pid.as_str());
    assert_eq!(checklist["tasks"], json!([]));
    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["checklists"][0]["id"], checklist["id"]);
}

#[tokio::test]
async fn checklists_keep_their_insertion_order() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let names = ["Zulu", "Alpha", "Mike", "Bravo"];
    for name in names {
        app.create_checklist(&pid, name).await;
    }

    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();

    let order: Vec<&str> = project["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(order, names);
}

#[tokio::test]
async fn renaming_a_checklist_answers_with_it_and_its_tasks() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cid = app.create_checklist(&pid, "Old name").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_task(&pid, &cid, "Keep me").await;

    let response = app
        .patch_json(
            &format!("/api/v1/projects/{pid}/checklists/{cid}"),
            &json!({ "name": "New name" }),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "New name");
    assert_eq!(body["tasks"][0]["title"], "Keep me");
}

#[tokio::test]
async fn deleting_a_checklist_removes_its_tasks_and_leaves_its_siblings() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doomed = app.create_checklist(&pid, "Doomed").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_task(&pid, &doomed, "Goes too").await;
    let kept = app.create_checklist(&pid, "Kept").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .delete(&format!("/api/v1/projects/{pid}/checklists/{doomed}"))
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let project: Value = app
        .get(&format!("/api/v1/projects/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["checklists"].as_array().unwrap().len(), 1);
    assert_eq!(project["checklists"][0]["id"], kept.as_str());
}

#[tokio::test]
async fn a_checklist_under_a_missing_project_is_a_404_naming_the_project() {
    let app = spawn_empty_app().await;

    let responses = [
        app.post_json(
            &format!("/api/v1/projects/{MISSING}/checklists"),
            &json!({ "name": "Orphan" }),
        )
        .await,
        app.patch_json(
            &format!("/api/v1/projects/{MISSING}/checklists/{MISSING}"),
            &json!({ "name": "Orphan" }),
        )
        .await,
        app.delete(&format!("/api/v1/projects/{MISSING}/checklists/{MISSING}"))
            .await,
    ];

    for response in responses {
        not_found_naming(response, "projectId").await;
    }
}

#[tokio::test]
async fn a_missing_checklist_in_an_existing_project_is_a_404_naming_the_checklist() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let patch = app
        .patch_json(
            &format!("/api/v1/projects/{pid}/checklists/{MISSING}"),
            &json!({ "name": "Ghost" }),
        )
        .await;
    let delete = app
        .delete(&format!("/api/v1/projects/{pid}/checklists/{MISSING}"))
        .await;

    not_found_naming(patch, "checklistId").await;
    not_found_naming(delete, "checklistId").await;
}

#[tokio::test]
async fn a_checklist_is_not_reachable_through_another_project() {
    let app = spawn_empty_app().await;
    let owner = app.create_project("Owner").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_project("Other").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cid = app.create_checklist(&owner, "Owned").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .delete(&format!("/api/v1/projects/{other}/checklists/{cid}"))
        .await;

    not_found_naming(response, "checklistId").await;
    let project: Value = app
        .get(&format!("/api/v1/projects/{owner}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["checklists"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_invalid_checklist_name_is_a_400_naming_the_field() {
    let app = spawn_empty_app().await;
    let pid = app.create_project("Project").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for name in [
        json!("ab"),
        json!("x".repeat(51)),
        json!("   "),
        json!("tab\tname"),
        json!(12),
    ] {
        let response = app
            .post_json(
                &format!("/api/v1/projects/{pid}/checklists"),
                &json!({ "name": name }),
            )
            .await;
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            ["name"],
            "for {name}"
        );
    }
}
