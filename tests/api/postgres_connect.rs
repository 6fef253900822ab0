//! Reaching PostgreSQL: the pool against the throwaway server that
//! `scripts/pg-test-server.sh` runs (`scripts/test.sh` starts it), the
//! TLS modes, errors that name what failed with the URL masked, and
//! production refusing a URL without TLS.
//!
//! These tests need that server. Without it they fail and say how to start
//! it, rather than pass without having run.

use crate::backend::test_server as server;
use crate::helpers::binary;
use launchpad::store::postgres::{
    self, ConnectError, PostgresOptions, PostgresUrl, ServerFacts, TlsFailure,
};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn options(url: &str, ca_file: Option<PathBuf>) -> PostgresOptions {
    PostgresOptions {
        url: PostgresUrl::parse(url).expect("a valid URL"),
        pool_size: 2,
        connect_timeout: Duration::from_secs(5),
        ca_file,
    }
}

/// Builds the pool and makes the first round trip.
async fn connect(options: &PostgresOptions) -> Result<ServerFacts, ConnectError> {
    let pool = postgres::pool(options)?;
    postgres::describe(&pool).await
}

/// The error and every cause, as a log line with the chain would show it.
fn chain(error: &ConnectError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn the_pool_connects_over_loopback_and_reports_the_server_version() {
    let server = server();

    let facts = connect(&options(&server.url_with("sslmode=disable"), None))
        .await
        .expect("the test server answers");

    assert!(
        facts.version.starts_with(|c: char| c.is_ascii_digit()),
        "{facts:?}"
    );
    assert!(facts.version_num >= 130_000, "{facts:?}");
    assert_eq!(facts.database, "launchpad");
    assert!(!facts.tls, "sslmode=disable is plain: {facts:?}");
}

#[tokio::test]
async fn every_connection_commits_synchronously_and_names_itself_launchpad() {
    let server = server();
    // A role whose default is the unsafe one: the pool must override it.
    let role = format!("lp_async_{}", uuid::Uuid::new_v4().simple());
    let admin = postgres::pool(&options(&server.url, None)).unwrap();
    let client = admin.get().await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'async-role-pw'; \
             ALTER ROLE {role} SET synchronous_commit = off"
        ))
        .await
        .unwrap();
    let async_url = server.url.replacen(
        &format!("launchpad:{}@", server.password()),
        &format!("{role}:async-role-pw@"),
        1,
    );

    let facts = connect(&options(&async_url, None)).await;

    client
        .batch_execute(&format!("DROP ROLE {role}"))
        .await
        .unwrap();
    let facts = facts.expect("the role connects");
    assert_eq!(facts.user, role);
    assert_eq!(facts.synchronous_commit, "on");
    assert_eq!(facts.application_name, "launchpad");
}

#[tokio::test]
async fn sslmode_require_with_the_test_ca_is_tls() {
    let server = server();

    let facts = connect(&options(
        &server.url_with("sslmode=require"),
        Some(server.ca.clone()),
    ))
    .await
    .expect("TLS verified with the test CA");

    assert!(facts.tls, "{facts:?}");
    assert!(
        facts
            .tls_version
            .as_deref()
            .is_some_and(|v| v.starts_with("TLS")),
        "{facts:?}"
    );
}

#[tokio::test]
async fn sslmode_verify_full_means_require_and_verifies_too() {
    let server = server();

    let facts = connect(&options(
        &server.url_with("sslmode=verify-full"),
        Some(server.ca.clone()),
    ))
    .await
    .expect("TLS verified with the test CA");

    assert!(facts.tls);
}

#[tokio::test]
async fn sslmode_require_without_the_servers_ca_fails_naming_the_certificate_with_the_url_masked() {
    let server = server();

    let error = connect(&options(&server.url_with("sslmode=require"), None))
        .await
        .expect_err("the test CA is not among the system's");

    // No system CAs at all is refused before connecting; either way the
    // message says what to do about the certificate.
    assert!(
        matches!(
            error,
            ConnectError::Tls {
                failure: TlsFailure::UntrustedCertificate,
                ..
            } | ConnectError::NoTrustAnchors { .. }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(message.contains("store.postgres_ca_file"), "{message}");
    assert!(
        message.contains("postgres://launchpad:***@127.0.0.1:"),
        "{message}"
    );
    assert!(
        !chain(&error).contains(server.password()),
        "{}",
        chain(&error)
    );
}

#[tokio::test]
async fn sslmode_prefer_encrypts_without_verifying_as_libpq_does() {
    let server = server();

    let facts = connect(&options(&server.url_with("sslmode=prefer"), None))
        .await
        .expect("prefer does not check the certificate");

    assert!(facts.tls, "the server offers TLS: {facts:?}");
}

#[tokio::test]
async fn a_wrong_password_fails_as_a_refused_login_with_the_url_masked() {
    let server = server();
    let wrong = server
        .url
        .replacen(server.password(), "wrong-password-42", 1);

    let error = connect(&options(&wrong, None))
        .await
        .expect_err("the password is wrong");

    assert!(matches!(error, ConnectError::Auth { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("refused the login"), "{message}");
    assert!(
        message.contains("postgres://launchpad:***@127.0.0.1:"),
        "{message}"
    );
    let whole = chain(&error);
    assert!(!whole.contains("wrong-password-42"), "{whole}");
    assert!(!whole.contains(server.password()), "{whole}");
}

#[tokio::test]
async fn nothing_listening_is_a_refused_connection_with_the_url_masked() {
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://launchpad:s3cret-pw@127.0.0.1:1/launchpad?sslmode=disable";

    let error = connect(&options(url, None))
        .await
        .expect_err("port 1 is closed");

    assert!(matches!(error, ConnectError::Refused { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("postgres://launchpad:***@127.0.0.1:1/"),
        "{error}"
    );
    assert!(!chain(&error).contains("s3cret-pw"));
}

/// `launchpad config check` with a clean environment plus `env`.
fn config_check(env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(binary())
        .args(["config", "check"])
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn config_check_shows_the_url_with_its_password_masked() {
    let output = config_check(&[
        ("LAUNCHPAD_STORE_BACKEND", "postgres"),
        (
            "LAUNCHPAD_STORE_POSTGRES_URL",
            "postgres://lp:s3cret%40pw@db.internal:5432/lp?sslmode=require",
        ),
    ]);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("store.postgres_url "))
        .unwrap_or_default();
    assert!(
        line.contains("postgres://lp:***@db.internal:5432/lp?sslmode=require"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cret"), "{stdout}");
}

#[test]
fn production_config_check_refuses_a_remote_url_without_tls_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let output = config_check(&[
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_DATA_DIR", data.to_str().unwrap()),
        ("LAUNCHPAD_STORE_BACKEND", "postgres"),
        (
            "LAUNCHPAD_STORE_POSTGRES_URL",
            "postgres://lp:s3cret@db.example.com:5432/lp",
        ),
    ]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    for needle in [
        "store.postgres_url",
        "LAUNCHPAD_STORE_POSTGRES_URL",
        "without TLS",
        "sslmode=require",
        "postgres://lp:***@db.example.com:5432/lp",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn the_postgres_backend_without_a_url_is_a_configuration_error_naming_both_keys() {
    let output = config_check(&[("LAUNCHPAD_STORE_BACKEND", "postgres")]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("store.postgres_url ("), "{stderr}");
    assert!(stderr.contains("store.postgres_url_file ("), "{stderr}");
}

/// `launchpad diagnose --json` on the PostgreSQL backend at `url`; its
/// `database` finding.
fn diagnose_database(url: &str, ca: &std::path::Path) -> (std::process::Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary())
        .args(["diagnose", "--json", "--data-dir"])
        .arg(dir.path().join("data"))
        .env_clear()
        .env("LAUNCHPAD_STORE_BACKEND", "postgres")
        .env("LAUNCHPAD_STORE_POSTGRES_URL", url)
        .env("LAUNCHPAD_STORE_POSTGRES_CA_FILE", ca)
        .output()
        .expect("the binary runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["area"] == "database")
        .cloned()
        .unwrap_or_else(|| panic!("no database finding: {report}"));
    (output, finding)
}

#[test]
fn diagnose_reports_the_server_version_and_tls_with_the_url_masked() {
    let server = server();

    let (output, finding) = diagnose_database(&server.url_with("sslmode=require"), &server.ca);

    assert_eq!(finding["severity"], "ok", "{finding}");
    let summary = finding["summary"].as_str().unwrap();
    assert!(summary.starts_with("PostgreSQL "), "{summary}");
    assert!(summary.contains("TLS (TLSv1."), "{summary}");
    assert!(summary.contains("synchronous_commit on"), "{summary}");
    assert!(
        summary.contains("postgres://launchpad:***@127.0.0.1:"),
        "{summary}"
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(server.password()), "{all}");
}

#[test]
fn diagnose_is_critical_when_the_database_refuses_the_login() {
    let server = server();
    let wrong = server
        .url
        .replacen(server.password(), "wrong-password-42", 1);

    let (output, finding) = diagnose_database(&wrong, &server.ca);

    assert!(!output.status.success());
    assert_eq!(finding["severity"], "critical", "{finding}");
    let summary = finding["summary"].as_str().unwrap();
    assert!(summary.contains("refused the login"), "{summary}");
    assert!(!summary.contains("wrong-password-42"), "{summary}");
}
