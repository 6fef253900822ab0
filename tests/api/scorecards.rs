//! Assessments and the scorecard through the API: recording every pillar
//! once, paging the history, each pillar against its target and first
//! score, the level the rules grant and what the next one needs, the open
//! tasks per pillar, and every bad input named in a 400.

use crate::helpers::{TestApp, created, error_fields, problem, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const PILLARS: [&str; 4] = ["reliability", "security", "observability", "supportability"];

/// An assessment body: each pillar at its score, targets 4.
pub fn body(scores: [u8; 4]) -> Value {
    json!({ "scores": PILLARS.iter().zip(scores).map(|(pillar, score)| json!({
        "pillar": pillar, "score": score, "target": 4,
        "evidence": format!("{pillar} evidence"),
        "links": ["https://ci.example.com/run/1"],
    })).collect::<Vec<_>>() })
}

pub async fn assess(app: &TestApp, project: &str, scores: [u8; 4]) -> Value {
    created(
        app.post_json(
            &format!("/api/v1/projects/{project}/assessments"),
            &body(scores),
        )
        .await,
    )
    .await
}

pub async fn scorecard(app: &TestApp, project: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/projects/{project}/scorecard"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn pillar<'a>(card: &'a Value, name: &str) -> &'a Value {
    card["pillars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pillar"] == name)
        .unwrap()
}

async fn project(app: &TestApp) -> String {
    app.create_project("Scored").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_assessment_is_recorded_with_every_pillar_and_listed_oldest_first() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;

    let first = assess(&app, &id, [2, 1, 1, 2]).await;
    let second = assess(&app, &id, [3, 3, 3, 3]).await;
    let list: Vec<Value> = app
        .get(&format!("/api/v1/projects/{id}/assessments"))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(first["scores"].as_array().unwrap().len(), 4);
    assert_eq!(first["scores"][1]["pillar"], "security");
    assert_eq!(
        first["scores"][1]["links"][0],
        "https://ci.example.com/run/1"
    );
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], first["id"]);
    assert_eq!(list[1]["id"], second["id"]);
}

#[tokio::test]
async fn assessments_page_with_a_link_to_the_next_page() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    for _ in 0..3 {
        assess(&app, &id, [3, 3, 3, 3]).await;
    }

    let first = app
        .get(&format!("/api/v1/projects/{id}/assessments?limit=2"))
        .await;
    let next = crate::helpers::next_link(&first).expect("a next page");
    let page: Vec<Value> = first.json().await.unwrap();
    let rest: Vec<Value> = app.get(&next).await.json().await.unwrap();

    assert_eq!(page.len(), 2);
    assert_eq!(rest.len(), 1);
}

#[tokio::test]
async fn a_new_project_is_a_prototype_whose_next_level_is_hardened() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;

    let card = scorecard(&app, &id).await;

    assert_eq!(card["level"], "prototype");
    assert_eq!(card["nextLevel"], "hardened");
    assert!(pillar(&card, "security").get("score").is_none());
    assert_eq!(card["pillars"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn every_pillar_at_three_makes_a_project_hardened_and_names_what_production_ready_needs() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    assess(&app, &id, [2, 1, 1, 2]).await;

    assess(&app, &id, [3, 3, 4, 3]).await;
    let card = scorecard(&app, &id).await;

    assert_eq!(card["level"], "hardened");
    assert_eq!(card["nextLevel"], "production-ready");
    let security = pillar(&card, "security");
    assert_eq!(security["score"], 3);
    assert_eq!(security["target"], 4);
    assert_eq!(security["firstScore"], 1);
    assert_eq!(security["change"], 2);
    assert_eq!(security["evidence"], "security evidence");
    let failing: Vec<&str> = card["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false && r["level"] == "production-ready")
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    assert!(
        failing.contains(
            &"Reliability is 3, Security is 3, Supportability is 3; production-ready needs 4"
        ),
        "{failing:?}"
    );
}

#[tokio::test]
async fn a_checkpoint_in_the_past_is_flagged_overdue() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let mut scores = body([3, 3, 3, 3]);
    scores["scores"][0]["nextCheckpoint"] = json!("2020-01-15");
    scores["scores"][1]["nextCheckpoint"] = json!("2999-01-15");
    created(
        app.post_json(&format!("/api/v1/projects/{id}/assessments"), &scores)
            .await,
    )
    .await;

    let card = scorecard(&app, &id).await;

    assert_eq!(pillar(&card, "reliability")["overdue"], true);
    assert_eq!(pillar(&card, "reliability")["nextCheckpoint"], "2020-01-15");
    assert_eq!(pillar(&card, "security")["overdue"], false);
}

#[tokio::test]
async fn the_scorecard_lists_open_tasks_under_their_pillar_and_required_ones_hold_the_level() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let checklist = app.create_checklist(&id, "Hardening").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tasks = format!("/api/v1/projects/{id}/checklists/{checklist}/tasks");
    let required = created(
        app.post_json(
            &tasks,
            &json!({ "title": "Threat model", "pillar": "security", "required": true }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(&tasks, &json!({ "title": "Untagged work" }))
            .await,
    )
    .await;
    assess(&app, &id, [4, 4, 4, 4]).await;

    let card = scorecard(&app, &id).await;

    let open = pillar(&card, "security")["openTasks"].as_array().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], required["id"]);
    assert_eq!(open[0]["required"], true);
    let rule = card["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["detail"].as_str().unwrap().contains("required task"))
        .unwrap();
    assert_eq!(rule["ok"], false);
    assert_eq!(
        rule["detail"],
        "1 required task is still open; production-ready needs every required task done"
    );
}

#[tokio::test]
async fn a_task_sent_without_pillar_or_required_keeps_working_as_before() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let checklist = app.create_checklist(&id, "Plain").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let task = app
        .create_task(&id, &checklist, "An old client's task")
        .await;
    let patched: Value = app
        .patch_json(
            &format!(
                "/api/v1/projects/{id}/checklists/{checklist}/tasks/{}",
                task["id"].as_str().unwrap()
            ),
            &json!({ "status": "done" }),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(task["required"], false);
    assert!(task.get("pillar").is_none());
    assert_eq!(patched["status"], "done");
}

#[tokio::test]
async fn a_tasks_pillar_can_be_set_and_cleared_and_required_cannot_be_null() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let checklist = app.create_checklist(&id, "Tags").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = app.create_task(&id, &checklist, "Tag me").await;
    let path = format!(
        "/api/v1/projects/{id}/checklists/{checklist}/tasks/{}",
        task["id"].as_str().unwrap()
    );

    let tagged: Value = app
        .patch_json(
            &path,
            &json!({ "pillar": "observability", "required": true }),
        )
        .await
        .json()
        .await
        .unwrap();
    let cleared: Value = app
        .patch_json(&path, &json!({ "pillar": null }))
        .await
        .json()
        .await
        .unwrap();
    let bad = app
        .patch_json(&path, &json!({ "required": null, "pillar": "speed" }))
        .await;

    assert_eq!(tagged["pillar"], "observability");
    assert_eq!(tagged["required"], true);
    assert!(cleared.get("pillar").is_none());
    assert_eq!(cleared["required"], true);
    assert_eq!(
        error_fields(&problem(bad, StatusCode::BAD_REQUEST).await),
        ["pillar", "required"]
    );
}

/// Posts `body` as an assessment and returns the fields the 400 names.
async fn refused_fields(app: &TestApp, id: &str, body: Value) -> Vec<String> {
    let response = app
        .post_json(&format!("/api/v1/projects/{id}/assessments"), &body)
        .await;
    error_fields(&problem(response, StatusCode::BAD_REQUEST).await)
}

#[tokio::test]
async fn scores_of_zero_or_six_are_refused_naming_the_field() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let mut bad = body([3, 3, 3, 3]);
    bad["scores"][0]["score"] = json!(0);
    bad["scores"][3]["target"] = json!(6);

    assert_eq!(
        refused_fields(&app, &id, bad).await,
        ["scores[0].score", "scores[3].target"]
    );
}

#[tokio::test]
async fn an_unknown_pillar_a_repeated_one_or_a_missing_one_is_refused() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let mut unknown = body([3, 3, 3, 3]);
    unknown["scores"][2]["pillar"] = json!("speed");
    let mut repeated = body([3, 3, 3, 3]);
    repeated["scores"][3]["pillar"] = json!("security");
    let mut missing = body([3, 3, 3, 3]);
    missing["scores"].as_array_mut().unwrap().pop();

    assert_eq!(
        refused_fields(&app, &id, unknown).await,
        ["scores[2].pillar"]
    );
    assert_eq!(
        refused_fields(&app, &id, repeated).await,
        ["scores[3].pillar"]
    );
    assert_eq!(refused_fields(&app, &id, missing).await, ["scores"]);
}

#[tokio::test]
async fn a_bad_url_too_many_links_a_bad_date_or_long_evidence_is_refused() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let mut bad = body([3, 3, 3, 3]);
    bad["scores"][0]["links"] = json!(["javascript:alert(1)"]);
    bad["scores"][1]["links"] = json!(vec!["https://x.example"; 11]);
    bad["scores"][2]["nextCheckpoint"] = json!("2027-02-30");
    bad["scores"][3]["evidence"] = json!("x".repeat(2001));

    assert_eq!(
        refused_fields(&app, &id, bad).await,
        [
            "scores[0].links[0]",
            "scores[1].links",
            "scores[2].nextCheckpoint",
            "scores[3].evidence"
        ]
    );
}

#[tokio::test]
async fn an_assessment_of_a_missing_project_is_a_404_naming_it() {
    let app = spawn_empty_app().await;
    let missing = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    let response = app
        .post_json(
            &format!("/api/v1/projects/{missing}/assessments"),
            &body([3; 4]),
        )
        .await;

    crate::helpers::not_found_naming(response, "projectId").await;
}

#[tokio::test]
async fn deleting_a_project_deletes_its_assessments() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    assess(&app, &id, [3, 3, 3, 3]).await;

    app.delete(&format!("/api/v1/projects/{id}")).await;
    let recreated = project(&app).await;

    let list = app.get(&format!("/api/v1/projects/{id}/assessments")).await;
    assert_eq!(list.status(), StatusCode::NOT_FOUND);
    assert_eq!(scorecard(&app, &recreated).await["level"], "prototype");
}

#[tokio::test]
async fn recording_an_assessment_is_in_the_audit_log() {
    let app = crate::helpers::spawn_app_with(&[
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "admin"),
    ])
    .await;
    let id = project(&app).await;

    assess(&app, &id, [3, 3, 3, 3]).await;
    let audit: Vec<Value> = app.get("/api/v1/audit").await.json().await.unwrap();

    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "assessment.record" && e["target"] == format!("project:{id}")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn the_demo_project_starts_with_a_day_zero_and_a_later_assessment() {
    let app = crate::helpers::spawn_app().await;
    let projects = app.all_projects().await;
    let id = projects[0]["id"].as_str().unwrap();

    let list: Vec<Value> = app
        .get(&format!("/api/v1/projects/{id}/assessments"))
        .await
        .json()
        .await
        .unwrap();

    let day_zero: Vec<u64> = list[0]["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_u64().unwrap())
        .collect();
    assert_eq!(day_zero, [2, 1, 1, 2]);
    assert!(
        list[0]["scores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["target"] == 4)
    );
    assert_eq!(list.len(), 2);
    assert!(list[1]["recordedAt"].as_str() > list[0]["recordedAt"].as_str());
    let card = scorecard(&app, id).await;
    assert!(pillar(&card, "observability")["change"].as_i64().unwrap() > 0);
}
