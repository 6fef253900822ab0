//! `launchpad diagnose`: the audit report, through the running server or
//! offline, and its exit codes.

use crate::helpers::{binary, spawn_binary, stop};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn diagnose(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary())
        .arg("diagnose")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_clear()
        .envs(crate::backend::store_env(data))
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn severity_of<'a>(report: &'a Value, area: &str) -> Vec<&'a str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == area)
        .map(|f| f["severity"].as_str().unwrap())
        .collect()
}

#[test]
fn diagnose_audits_every_area_of_a_running_development_server_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);

    let output = diagnose(&data, &["--json"], &[]);

    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    for area in [
        "config",
        "identity",
        "store",
        "schema",
        "data_key",
        "backup",
        "disk",
        "classification",
    ] {
        assert!(
            !severity_of(&report, area).is_empty(),
            "no {area} finding: {report}"
        );
    }
    assert_eq!(
        severity_of(&report, "backup"),
        ["warning"],
        "never backed up"
    );
    assert_eq!(severity_of(&report, "schema"), ["ok"]);
    assert_eq!(report["status"], "warning");
    let classified = report["classification"].as_array().unwrap();
    assert!(
        classified
            .iter()
            .any(|f| f["field"] == "notes" && f["class"] == "pii")
    );
    drop(server);
}

#[test]
fn diagnose_exits_non_zero_on_a_readable_identity_and_a_backup_older_than_the_policy() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stop(spawn_binary(&data, &[]));
    let identity = data.join("identity.age");
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o644)).unwrap();

    let output = diagnose(
        &data,
        &["--json"],
        &[("LAUNCHPAD_BACKUP_MAX_AGE_HOURS", "1")],
    );

    assert_eq!(output.status.code(), Some(1));
    let report = report(&output);
    assert_eq!(report["status"], "critical");
    assert_eq!(severity_of(&report, "identity"), ["critical"]);
    assert_eq!(severity_of(&report, "backup"), ["critical"]);
    let fix = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["area"] == "identity")
        .unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fix.starts_with("chmod 600 "), "{fix}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("2 critical finding(s)"));
}

#[test]
fn diagnose_out_writes_the_json_report_and_prints_the_readable_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stop(spawn_binary(&data, &[]));
    let out = dir.path().join("report.json");

    let output = diagnose(
        &data,
        &["--out", out.to_str().unwrap()],
        &[("LAUNCHPAD_LOG_LEVLE", "debug")],
    );

    assert!(output.status.success(), "{output:?}");
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("WARNING  config") && summary.contains("LAUNCHPAD_LOG_LEVLE"),
        "drift is a warning naming the variable: {summary}"
    );
    assert!(summary.contains("0 critical"), "{summary}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["status"], "warning");
    assert!(!written["findings"].as_array().unwrap().is_empty());
}

#[test]
fn diagnose_reports_a_bad_configuration_as_critical_and_exits_78() {
    let dir = tempfile::tempdir().unwrap();

    let output = diagnose(
        &dir.path().join("data"),
        &["--json"],
        &[("LAUNCHPAD_HTTP_WORKERS", "lots")],
    );

    assert_eq!(output.status.code(), Some(78));
    let report = report(&output);
    assert_eq!(severity_of(&report, "config"), ["critical"]);
    assert!(report.to_string().contains("http.workers"));
}
