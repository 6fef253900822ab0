//! The planning tables through the API: the North Star and its alignment
//! rows, the stakeholder canvas, the compliance notes with their rows, the
//! guided start, the overview's flags, the compliance rule of
//! production-ready, and every bad field named in a 400.

use crate::helpers::{TestApp, created, error_fields, problem, spawn_empty_app};
use crate::scorecards::{assess, scorecard};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn project(app: &TestApp) -> String {
    app.create_project("Planned").await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn put(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_north_star_is_set_read_and_shown_on_the_project() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let path = format!("/api/v1/projects/{id}/north-star");
    let before = json_of(app.get(&path).await).await;

    let set = json_of(
        put(
            &app,
            &path,
            &json!({ "headline": "Ship daily without downtime", "leadingMetric": "Deploys a week", "metricTarget": "5" }),
        )
        .await,
    )
    .await;
    let listed = app.all_projects().await;
    let one: Value = app
        .get(&format!("/api/v1/projects/{id}"))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(before, json!({ "rows": [] }));
    assert_eq!(set["headline"], "Ship daily without downtime");
    assert_eq!(set["leadingMetric"], "Deploys a week");
    assert_eq!(listed[0]["headline"], "Ship daily without downtime");
    assert_eq!(one["headline"], "Ship daily without downtime");
    let cleared = json_of(put(&app, &path, &json!({})).await).await;
    assert!(cleared.get("headline").is_none(), "{cleared}");
}

#[tokio::test]
async fn alignment_rows_are_added_patched_cleared_and_deleted() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let rows = format!("/api/v1/projects/{id}/north-star/rows");

    let row = created(
        app.post_json(
            &rows,
            &json!({ "goal": "Restore in an hour", "successMetric": "Drill time", "risks": "Untested" }),
        )
        .await,
    )
    .await;
    let item = format!("{rows}/{}", row["id"].as_str().unwrap());
    let patched = json_of(
        app.patch_json(
            &item,
            &json!({ "guardrail": "Before launch", "risks": null }),
        )
        .await,
    )
    .await;
    let star = json_of(app.get(&format!("/api/v1/projects/{id}/north-star")).await).await;
    let deleted = app.delete(&item).await;
    let again = app.delete(&item).await;

    assert_eq!(patched["goal"], "Restore in an hour");
    assert_eq!(patched["guardrail"], "Before launch");
    assert!(patched.get("risks").is_none());
    assert_eq!(star["rows"][0]["id"], row["id"]);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_bad_or_empty_change_to_a_row_is_refused_naming_the_field() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let rows = format!("/api/v1/projects/{id}/north-star/rows");
    let row = created(app.post_json(&rows, &json!({ "goal": "Keep" })).await).await;
    let item = format!("{rows}/{}", row["id"].as_str().unwrap());

    let too_long = app
        .post_json(&rows, &json!({ "goal": "x".repeat(201) }))
        .await;
    let unknown = app
        .post_json(&rows, &json!({ "goal": "ok", "colour": "red" }))
        .await;
    let cleared_required = app.patch_json(&item, &json!({ "goal": null })).await;
    let empty = app.patch_json(&item, &json!({})).await;

    for (response, field) in [
        (too_long, "goal"),
        (unknown, "colour"),
        (cleared_required, "goal"),
        (empty, "body"),
    ] {
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            [field]
        );
    }
    let kept = json_of(app.get(&format!("/api/v1/projects/{id}/north-star")).await).await;
    assert_eq!(kept["rows"][0]["goal"], "Keep");
}

#[tokio::test]
async fn the_stakeholder_canvas_keeps_every_field_and_lists_oldest_first() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let path = format!("/api/v1/projects/{id}/stakeholders");
    let full = json!({
        "role": "Head of support", "whyTheyCare": "Pages at night", "success": "Fewer tickets",
        "cadence": "weekly, #support", "risks": "Turnover", "owner": "Grace"
    });

    created(app.post_json(&path, &full).await).await;
    created(app.post_json(&path, &json!({ "role": "Investors" })).await).await;
    let list: Vec<Value> = app.get(&path).await.json().await.unwrap();
    let missing_role = app.post_json(&path, &json!({ "owner": "x" })).await;

    assert_eq!(list.len(), 2);
    for field in [
        "role",
        "whyTheyCare",
        "success",
        "cadence",
        "risks",
        "owner",
    ] {
        assert_eq!(list[0][field], full[field], "{field}");
    }
    assert_eq!(list[1]["role"], "Investors");
    assert_eq!(
        error_fields(&problem(missing_role, StatusCode::BAD_REQUEST).await),
        ["role"]
    );
}

#[tokio::test]
async fn the_compliance_notes_hold_the_rhythm_and_every_section() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let base = format!("/api/v1/projects/{id}/compliance");

    json_of(
        put(
            &app,
            &base,
            &json!({ "lastReviewed": "2026-10-01", "nextReview": "before the first pilot", "owner": "Ada" }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("{base}/inventory"),
            &json!({ "category": "Emails", "retention": "1 year" }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("{base}/triggers"),
            &json!({ "standard": "gdpr", "reason": "EU users", "status": "in-progress" }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("{base}/vendors"),
            &json!({ "vendor": "Mailer", "complianceVerified": true }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("{base}/reviews"),
            &json!({ "date": "2026-11-20", "reviewer": "Ada", "findings": "ok" }),
        )
        .await,
    )
    .await;
    let notes = json_of(app.get(&base).await).await;

    assert_eq!(notes["nextReview"], "before the first pilot");
    assert_eq!(notes["owner"], "Ada");
    assert_eq!(notes["reviewOverdue"], false);
    assert_eq!(notes["lastReview"], "2026-11-20");
    assert_eq!(notes["inventory"][0]["retention"], "1 year");
    assert_eq!(notes["triggers"][0]["standard"], "gdpr");
    assert_eq!(notes["triggers"][0]["status"], "in-progress");
    assert_eq!(notes["vendors"][0]["complianceVerified"], true);
    assert_eq!(notes["reviews"][0]["reviewer"], "Ada");
    assert_eq!(notes["scanQuestions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_unknown_standard_a_bad_date_or_text_over_its_limit_is_refused() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let base = format!("/api/v1/projects/{id}/compliance");

    let standard = app
        .post_json(
            &format!("{base}/triggers"),
            &json!({ "standard": "iso9001" }),
        )
        .await;
    let date = app
        .post_json(&format!("{base}/reviews"), &json!({ "date": "2026-02-30" }))
        .await;
    let long = app
        .post_json(
            &format!("{base}/vendors"),
            &json!({ "vendor": "v", "actions": "x".repeat(1001) }),
        )
        .await;
    let rhythm = put(&app, &base, &json!({ "lastReviewed": "yesterday" })).await;

    for (response, field) in [
        (standard, "standard"),
        (date, "date"),
        (long, "actions"),
        (rhythm, "lastReviewed"),
    ] {
        assert_eq!(
            error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
            [field]
        );
    }
}

#[tokio::test]
async fn a_next_review_written_as_a_date_must_be_a_real_one() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let base = format!("/api/v1/projects/{id}/compliance");

    let impossible = put(&app, &base, &json!({ "nextReview": "2027-02-30" })).await;
    let milestone = put(&app, &base, &json!({ "nextReview": "before the pilot" })).await;

    assert_eq!(
        error_fields(&problem(impossible, StatusCode::BAD_REQUEST).await),
        ["nextReview"]
    );
    assert_eq!(json_of(milestone).await["nextReview"], "before the pilot");
}

#[tokio::test]
async fn a_scan_answer_over_its_limit_is_named_by_the_field_that_was_sent() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;

    let response = app
        .post_json(
            &format!("/api/v1/projects/{id}/compliance/scan"),
            &json!({ "usersAndData": "x".repeat(501), "payments": true }),
        )
        .await;
    let notes = json_of(app.get(&format!("/api/v1/projects/{id}/compliance")).await).await;

    assert_eq!(
        error_fields(&problem(response, StatusCode::BAD_REQUEST).await),
        ["usersAndData"]
    );
    assert_eq!(notes["triggers"], json!([]));
}

#[tokio::test]
async fn a_passed_review_date_flags_the_project_on_the_overview() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    let base = format!("/api/v1/projects/{id}/compliance");
    let before = app.all_projects().await;

    json_of(put(&app, &base, &json!({ "nextReview": "2020-01-01" })).await).await;
    let after = app.all_projects().await;
    let notes = json_of(app.get(&base).await).await;

    assert!(before[0].get("complianceReviewOverdue").is_none());
    assert_eq!(after[0]["complianceReviewOverdue"], true);
    assert_eq!(notes["reviewOverdue"], true);
}

#[tokio::test]
async fn production_ready_also_needs_a_compliance_review_within_a_year() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    assess(&app, &id, [4, 4, 4, 4]).await;
    let without = scorecard(&app, &id).await;

    let old = time::OffsetDateTime::now_utc().date() - time::Duration::days(400);
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/compliance/reviews"),
            &json!({ "date": old.to_string() }),
        )
        .await,
    )
    .await;
    let stale = scorecard(&app, &id).await;
    let recent = time::OffsetDateTime::now_utc().date() - time::Duration::days(10);
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/compliance/reviews"),
            &json!({ "date": recent.to_string() }),
        )
        .await,
    )
    .await;
    let reviewed = scorecard(&app, &id).await;

    assert_eq!(without["level"], "hardened");
    assert_eq!(stale["level"], "hardened");
    assert!(
        stale["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ok"] == false
                && r["detail"]
                    .as_str()
                    .unwrap()
                    .contains("compliance review is 4")),
        "{stale}"
    );
    assert_eq!(reviewed["level"], "production-ready");
}

#[tokio::test]
async fn the_guided_start_makes_the_quick_start_checklist_and_the_scan_raises_triggers_once() {
    let app = spawn_empty_app().await;

    let project = created(
        app.post_json(
            "/api/v1/projects",
            &json!({ "name": "Guided", "starter": true }),
        )
        .await,
    )
    .await;
    let id = project["id"].as_str().unwrap();
    let scan = format!("/api/v1/projects/{id}/compliance/scan");
    let answers = json!({
        "usersAndData": "Customers in the EU; we store emails",
        "payments": true,
        "regulatedIndustry": "none"
    });
    let first = json_of(app.post_json(&scan, &answers).await).await;
    let second = json_of(app.post_json(&scan, &answers).await).await;
    let card = scorecard(&app, id).await;

    assert_eq!(project["checklists"][0]["name"], "Quick start");
    assert_eq!(
        project["checklists"][0]["tasks"].as_array().unwrap().len(),
        6
    );
    let standards: Vec<&str> = first["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["standard"].as_str().unwrap())
        .collect();
    assert_eq!(standards, ["gdpr", "pci-dss"]);
    assert_eq!(first["scan"]["payments"], true);
    assert_eq!(
        second["triggers"].as_array().unwrap().len(),
        2,
        "no duplicates"
    );
    assert!(
        card["pillars"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("score").is_none())
    );
}

#[tokio::test]
async fn the_report_carries_the_north_star_the_stakeholder_roles_and_the_compliance_snapshot() {
    let app = spawn_empty_app().await;
    let id = project(&app).await;
    put(
        &app,
        &format!("/api/v1/projects/{id}/north-star"),
        &json!({ "headline": "Zero data loss" }),
    )
    .await;
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/stakeholders"),
            &json!({ "role": "Pilot customers", "owner": "Owner-Sentinel-77" }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/compliance/inventory"),
            &json!({ "category": "Emails" }),
        )
        .await,
    )
    .await;
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/compliance/triggers"),
            &json!({ "standard": "hipaa", "status": "not-applicable" }),
        )
        .await,
    )
    .await;

    let plain = app
        .get(&format!("/api/v1/projects/{id}/report"))
        .await
        .text()
        .await
        .unwrap();
    let personal = app
        .get(&format!(
            "/api/v1/projects/{id}/report?include=personal&format=html"
        ))
        .await
        .text()
        .await
        .unwrap();

    assert!(plain.contains("## North Star\n\nZero data loss"), "{plain}");
    assert!(plain.contains("| Pilot customers |"), "{plain}");
    assert!(plain.contains("| HIPAA | not-applicable |"), "{plain}");
    assert!(plain.contains("| Emails |"), "{plain}");
    assert!(!plain.contains("Owner-Sentinel-77"), "{plain}");
    assert!(personal.contains("Owner-Sentinel-77"), "{personal}");
}

#[tokio::test]
async fn setting_the_review_rhythm_without_the_scan_keeps_the_scan_answers() {
    let app = spawn_empty_app().await;
    let project = created(
        app.post_json(
            "/api/v1/projects",
            &json!({ "name": "Rhythm", "starter": true }),
        )
        .await,
    )
    .await;
    let id = project["id"].as_str().unwrap();
    let answers =
        json!({ "usersAndData": "EU customers", "payments": true, "regulatedIndustry": "none" });
    json_of(
        app.post_json(&format!("/api/v1/projects/{id}/compliance/scan"), &answers)
            .await,
    )
    .await;

    let set = json_of(
        put(
            &app,
            &format!("/api/v1/projects/{id}/compliance"),
            &json!({ "lastReviewed": "2026-11-02", "nextReview": "2027-05-01" }),
        )
        .await,
    )
    .await;

    assert_eq!(set["nextReview"], "2027-05-01", "{set}");
    assert_eq!(set["scan"]["payments"], true, "{set}");
    assert_eq!(set["scan"]["usersAndData"], "EU customers", "{set}");
}
