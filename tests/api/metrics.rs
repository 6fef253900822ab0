//! `/metrics`: every name the dashboards and alerts rely on, labelled by
//! route pattern, valid for `promtool`, and served only to allowed networks.

use crate::helpers::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// `runbooks/monitoring/metrics.txt`: name → type, for what LaunchPad exports.
fn documented() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/monitoring/metrics.txt"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        // What only a PostgreSQL store exports, on that backend only.
        .filter(|l| crate::backend::on_postgres() || !l.ends_with(" postgres"))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        // Prometheus makes these, LaunchPad does not export them.
        .filter(|(_, kind)| kind != "synthetic" && kind != "recorded")
        .collect()
}

/// `# TYPE` lines of a scrape: name → type.
fn exported(scrape: &str) -> BTreeMap<String, String> {
    scrape
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
        .collect()
}

async fn scrape_after_traffic(app: &TestApp) -> String {
    let project = app.create_project("Metrics").await;
    let id = project["id"].as_str().unwrap();
    app.get(&format!("/api/v1/projects/{id}")).await;
    app.get("/api/v1/projects/not-a-uuid").await;
    app.get("/api/v1/nothing-here").await;
    app.get("/ready").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_export_exactly_the_documented_names_with_their_types() {
    let app = spawn_app_with(&[]).await;

    let scrape = scrape_after_traffic(&app).await;

    assert_eq!(exported(&scrape), documented(), "{scrape}");
}

#[tokio::test]
async fn request_metrics_are_labelled_by_route_pattern_never_by_raw_path() {
    let app = spawn_app_with(&[]).await;

    let scrape = scrape_after_traffic(&app).await;

    assert!(
        scrape.contains(
            r#"http_requests_total{method="GET",route="/api/v1/projects/{projectId}",status="200"} 1"#
        ),
        "{scrape}"
    );
    assert!(scrape.contains(
        r#"http_requests_total{method="GET",route="/api/v1/projects/{projectId}",status="400"} 1"#
    ));
    assert!(
        scrape.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#)
    );
    assert!(scrape.contains(
        r#"http_request_duration_seconds_bucket{method="POST",route="/api/v1/projects",le="0.5"}"#
    ));
    assert!(!scrape.contains("not-a-uuid") && !scrape.contains("nothing-here"));
    assert!(
        scrape.contains("launchpad_projects 2"),
        "the demo project and one more"
    );
    assert!(scrape.contains(r#"launchpad_ready_check{check="store"} 1"#));
    assert!(scrape.contains(r#"launchpad_tasks{status="in_progress"}"#));
    assert!(
        scrape.contains(&format!(
            "launchpad_build_info{{version=\"{} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "the build info names Cargo.toml's version"
    );
}

#[tokio::test]
async fn a_real_scrape_passes_promtool_check_metrics() {
    let app = spawn_app_with(&[]).await;
    let scrape = scrape_after_traffic(&app).await;

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs: install the Debian package prometheus (scripts/test.sh does)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();

    assert!(
        output.status.success(),
        "promtool: {}{}\n{scrape}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn metrics_are_a_404_problem_to_networks_outside_the_allowlist() {
    let app = spawn_app_with(&[("LAUNCHPAD_METRICS_ALLOWED_NETWORKS", "10.0.0.0/8")]).await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(
        !response
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
}

#[tokio::test]
async fn metrics_with_basic_auth_configured_need_the_right_credentials() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_METRICS_USERNAME", "prometheus"),
        ("LAUNCHPAD_METRICS_PASSWORD", "a-long-scrape-secret-0042"),
    ])
    .await;
    let scrape = |user: &str, password: &str| {
        app.client
            .get(app.url("/metrics"))
            .basic_auth(user, Some(password))
            .send()
    };

    let anonymous = app.get("/metrics").await;
    let wrong = scrape("prometheus", "a-long-scrape-secret-0043")
        .await
        .unwrap();
    let right = scrape("prometheus", "a-long-scrape-secret-0042")
        .await
        .unwrap();

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Basic realm=\"metrics\""
    );
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_short_metrics_password_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let env: std::collections::BTreeMap<String, String> = [
        ("LAUNCHPAD_METRICS_USERNAME", "prometheus"),
        ("LAUNCHPAD_METRICS_PASSWORD", "short"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let overrides = launchpad::config::Overrides {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };

    let error = launchpad::config::Settings::from_sources(&overrides, &env).unwrap_err();

    let text = error.to_string();
    assert!(text.contains("metrics.password"), "{text}");
    assert!(!text.contains("short\""), "the secret is masked: {text}");
}

#[tokio::test]
async fn metrics_refuse_a_request_relayed_by_a_proxy_even_from_loopback() {
    let app = spawn_app_with(&[]).await;

    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let response = app
            .client
            .get(app.url("/metrics"))
            .header(header, "203.0.113.9")
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{header}");
    }
}

#[tokio::test]
async fn unknown_http_methods_share_one_other_label_instead_of_new_series() {
    let app = spawn_app_with(&[]).await;
    for method in ["FOO1", "FOO2", "BREW"] {
        app.client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                app.url("/api/v1/projects"),
            )
            .send()
            .await
            .unwrap();
    }

    let scrape = app.get("/metrics").await.text().await.unwrap();

    assert!(
        !scrape.contains("FOO1") && !scrape.contains("BREW"),
        "{scrape}"
    );
    assert!(
        scrape.contains(r#"method="OTHER",route="/api/v1/projects""#),
        "{scrape}"
    );
}

#[tokio::test]
async fn ready_shows_check_details_only_to_the_operator_networks() {
    let outsider = spawn_app_with(&[("LAUNCHPAD_METRICS_ALLOWED_NETWORKS", "10.0.0.0/8")]).await;
    let operator = spawn_app_with(&[]).await;

    let hidden: serde_json::Value = outsider.get("/ready").await.json().await.unwrap();
    let shown: serde_json::Value = operator.get("/ready").await.json().await.unwrap();

    assert_eq!(hidden["status"], "ready");
    for check in hidden["checks"].as_array().unwrap() {
        assert!(check["name"].is_string() && check["ok"] == true);
        assert!(check.get("detail").is_none(), "{check}");
    }
    assert!(shown["checks"][0]["detail"].is_string());
}
