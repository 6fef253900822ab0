//! The project report (Markdown and printable HTML, personal data only on
//! request and only for editors), `launchpad report` offline and through the
//! server, and `launchpad gate` failing a pipeline below a level.

use crate::helpers::{
    EMAIL_SENTINEL, TestApp, binary, client, created, http, problem, run, spawn_app_with,
    spawn_binary, stop,
};
use crate::scorecards::body;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

const OWNER_SENTINEL: &str = "Owner Sentinel-9c41";

/// A project with an owner email, two assessments (the latest names an
/// owner) and an open required task; returns its id.
async fn scored_project(app: &TestApp, name: &str) -> String {
    let project = created(
        app.post_json(
            "/api/v1/projects",
            &json!({ "name": name, "ownerEmail": EMAIL_SENTINEL }),
        )
        .await,
    )
    .await;
    let id = project["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/projects/{id}/assessments");
    created(app.post_json(&path, &body([2, 1, 1, 2])).await).await;
    let mut later = body([3, 3, 3, 3]);
    later["scores"][1]["owner"] = json!(OWNER_SENTINEL);
    created(app.post_json(&path, &later).await).await;
    let checklist = app.create_checklist(&id, "Launch").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    created(
        app.post_json(
            &format!("/api/v1/projects/{id}/checklists/{checklist}/tasks"),
            &json!({ "title": "Threat model the checkout", "pillar": "security", "required": true }),
        )
        .await,
    )
    .await;
    id
}

async fn report(app: &TestApp, id: &str, query: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/projects/{id}/report{query}"))
        .await
}

#[tokio::test]
async fn the_markdown_report_shows_the_level_pillars_open_required_tasks_and_history_without_personal_data()
 {
    let app = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;
    let id = scored_project(&app, "Checkout service").await;

    let response = report(&app, &id, "").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("# Readiness report: Checkout service\n"),
        "{text}"
    );
    assert!(
        text.contains("**Level: hardened** (next: production-ready)"),
        "{text}"
    );
    assert!(text.contains("| Security | 1 | 3 | 4 | +2 |"), "{text}");
    assert!(text.contains("## To reach production-ready"));
    assert!(text.contains("- [ ] Threat model the checkout (pending)"));
    assert!(text.contains("- <https://ci.example.com/run/1>"));
    assert!(text.contains("## Assessment history"));
    assert!(!text.contains(OWNER_SENTINEL), "an owner leaked: {text}");
    assert!(!text.contains(EMAIL_SENTINEL), "an email leaked: {text}");
}

#[tokio::test]
async fn an_editor_asks_for_personal_data_and_a_viewer_is_refused_it() {
    let editor = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;
    let id = scored_project(&editor, "Personal").await;

    let with = report(&editor, &id, "?include=personal")
        .await
        .text()
        .await
        .unwrap();
    let viewer = crate::helpers::spawn_app_in(
        editor.stop().await,
        &[
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_ANONYMOUS_ROLE", "viewer"),
        ],
    )
    .await;
    let refused = report(&viewer, &id, "?include=personal").await;
    let plain = report(&viewer, &id, "").await;

    assert!(with.contains(OWNER_SENTINEL), "{with}");
    assert!(with.contains(EMAIL_SENTINEL), "{with}");
    problem(refused, StatusCode::FORBIDDEN).await;
    assert_eq!(plain.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_html_report_is_printable_with_no_script_and_a_policy_allowing_only_its_stylesheet() {
    let app = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;
    let id = scored_project(&app, "Printable").await;

    let response = report(&app, &id, "?format=html").await;

    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    assert!(page.contains("@media print"));
    let style = &page[page.find("<style>").unwrap() + 7..page.find("</style>").unwrap()];
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    assert!(
        policy.contains(&format!("style-src 'sha256-{hash}'")),
        "{policy}"
    );
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
}

#[tokio::test]
async fn user_text_is_escaped_in_both_formats() {
    let app = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;
    let id = scored_project(&app, "<b>*Bold*</b> | x").await;

    let markdown = report(&app, &id, "").await.text().await.unwrap();
    let html = report(&app, &id, "?format=html")
        .await
        .text()
        .await
        .unwrap();

    assert!(
        markdown.contains("\\<b\\>\\*Bold\\*\\</b\\> \\| x"),
        "{markdown}"
    );
    assert!(html.contains("&lt;b&gt;*Bold*&lt;/b&gt; | x"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
}

#[tokio::test]
async fn an_unknown_format_or_include_is_refused_naming_it() {
    let app = spawn_app_with(&[("LAUNCHPAD_DEMO_DATA", "false")]).await;
    let id = scored_project(&app, "Bad query").await;

    let format = problem(
        report(&app, &id, "?format=pdf").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let include = problem(
        report(&app, &id, "?include=all").await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert_eq!(crate::helpers::error_fields(&format), ["format"]);
    assert_eq!(crate::helpers::error_fields(&include), ["include"]);
}

/// `launchpad report` in `data`, with `extra` arguments.
fn cli_report(data: &Path, project: &str, extra: &[&str]) -> String {
    let mut args = vec!["report", "--project", project];
    args.extend_from_slice(extra);
    let output = run(&args, data, &[]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The demo project's id, read through the running binary.
fn demo_project(server: &crate::helpers::RunningBinary) -> String {
    let (_, projects) = http("GET", &server.url("/api/v1/projects"), None);
    projects[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn launchpad_report_prints_the_same_report_offline_and_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let project = demo_project(&server);

    let online = cli_report(dir.path(), &project, &[]);
    let html = cli_report(dir.path(), &project, &["--format", "html"]);
    stop(server);
    let offline = cli_report(dir.path(), &project, &[]);

    assert_eq!(online, offline);
    assert!(online.starts_with("# Readiness report: LaunchPad – v0 Readiness"));
    assert!(html.starts_with("<!doctype html>"));
    let missing = run(
        &[
            "report",
            "--project",
            "0190f5a2-7b3c-7def-8abc-0123456789ab",
        ],
        dir.path(),
        &[],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no project"));
}

/// Runs `launchpad gate` with `token` (none when `None`).
fn gate(url: &str, project: &str, level: &str, token: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(binary());
    command
        .args(["gate", "--url", url, "--project", project, "--level", level])
        .env_clear();
    if let Some(token) = token {
        command.env("LAUNCHPAD_TOKEN", token);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn the_gate_fails_below_the_level_printing_each_failing_rule_and_passes_once_reached() {
    let dir = tempfile::tempdir().unwrap();
    stop(spawn_binary(dir.path(), &[]));
    let created = run(
        &[
            "token",
            "create",
            "--email",
            "admin@localhost",
            "--name",
            "ci",
        ],
        dir.path(),
        &[],
    );
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let server = spawn_binary(dir.path(), &[("LAUNCHPAD_ANONYMOUS_ROLE", "none")]);
    let project = demo_project_with(&server, &token).await;
    let url = server.url("");

    let below = gate(&url, &project, "hardened", Some(&token));
    client()
        .post(server.url(&format!("/api/v1/projects/{project}/assessments")))
        .bearer_auth(&token)
        .json(&body([3, 3, 3, 3]))
        .send()
        .await
        .unwrap();
    let reached = gate(&url, &project, "hardened", Some(&token));
    let higher = gate(&url, &project, "production-ready", Some(&token));

    assert_eq!(below.status.code(), Some(1), "{below:?}");
    let lines = String::from_utf8(below.stdout).unwrap();
    assert!(
        lines.contains("Security is 2; hardened needs 3\n"),
        "{lines}"
    );
    assert_eq!(reached.status.code(), Some(0), "{reached:?}");
    assert_eq!(higher.status.code(), Some(1));
    let higher = String::from_utf8(higher.stdout).unwrap();
    assert!(higher.contains("production-ready needs 4"), "{higher}");
    assert!(higher.contains("required task"), "{higher}");
}

async fn demo_project_with(server: &crate::helpers::RunningBinary, token: &str) -> String {
    let projects: Vec<Value> = client()
        .get(server.url("/api/v1/projects"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    projects[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn the_gate_without_a_token_or_with_a_bad_project_is_a_usage_error() {
    let project = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    let no_token = gate("http://127.0.0.1:9", project, "hardened", None);
    let bad_project = gate("http://127.0.0.1:9", "nope", "hardened", Some("lp_x"));
    let unreachable = gate("http://127.0.0.1:9", project, "hardened", Some("lp_x"));

    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("LAUNCHPAD_TOKEN"));
    assert_eq!(bad_project.status.code(), Some(2));
    assert_eq!(unreachable.status.code(), Some(1));
}
