//! Readiness and planning records keep the store's promises: a pillar owner
//! or a stakeholder never reaches the disk in plain text, a backup and
//! restore bring back the same scorecards, history, templates and planning
//! tables, the journal replays them onto a restored snapshot, and a key
//! rotation re-seals them.

use crate::backup::{rows_of, stderr, written};
use crate::helpers::{http, run, spawn_binary, stop};
use crate::scorecards::body;
use serde_json::{Value, json};
use std::path::Path;

const OWNER: &str = "Pillar Owner Sentinel-51e0";

/// Records an assessment naming an owner, and saves a template; returns
/// the project id.
fn seed_readiness(server: &crate::helpers::RunningBinary) -> String {
    let (_, projects) = http("GET", &server.url("/api/v1/projects"), None);
    let project = projects[0]["id"].as_str().unwrap().to_owned();
    let mut assessment = body([3, 3, 4, 3]);
    assessment["scores"][0]["owner"] = json!(OWNER);
    let (status, _) = http(
        "POST",
        &server.url(&format!("/api/v1/projects/{project}/assessments")),
        Some(&assessment),
    );
    assert_eq!(status, 201);
    let checklist = projects[0]["checklists"][0]["id"].as_str().unwrap();
    let (status, _) = http(
        "POST",
        &server.url("/api/v1/templates"),
        Some(&json!({ "projectId": project, "checklistId": checklist, "name": "Our foundation" })),
    );
    assert_eq!(status, 201);
    for (path, body) in [
        (
            "stakeholders",
            json!({ "role": "Sponsor", "owner": STAKEHOLDER }),
        ),
        (
            "compliance/reviews",
            json!({ "date": "2026-11-02", "reviewer": STAKEHOLDER }),
        ),
    ] {
        let url = server.url(&format!("/api/v1/projects/{project}/{path}"));
        assert_eq!(http("POST", &url, Some(&body)).0, 201);
    }
    project
}

const STAKEHOLDER: &str = "Stakeholder Owner Sentinel-33a1";

/// The scorecard, the history, the custom templates and the planning
/// tables, as the API shows them.
fn readiness_state(server: &crate::helpers::RunningBinary, project: &str) -> (Value, Value, Value) {
    let get = |path: &str| http("GET", &server.url(path), None).1;
    let card = get(&format!("/api/v1/projects/{project}/scorecard"));
    let history = get(&format!("/api/v1/projects/{project}/assessments"));
    let planning = json!({
        "templates": get("/api/v1/templates"),
        "northStar": get(&format!("/api/v1/projects/{project}/north-star")),
        "stakeholders": get(&format!("/api/v1/projects/{project}/stakeholders")),
        "compliance": get(&format!("/api/v1/projects/{project}/compliance")),
    });
    (card, history, planning)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

pub fn every_file(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_pillar_owner_is_shown_by_the_api_but_never_written_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let project = seed_readiness(&server);

    let (card, history, _) = readiness_state(&server, &project);
    let journal = dir.path().join("journal.jsonl");
    let export = run(
        &["journal", "export", "--out"],
        dir.path(),
        &[journal.to_str().unwrap()],
    );
    let output = stop(server);

    assert!(export.status.success(), "{}", stderr(&export));
    assert_eq!(card["pillars"][0]["owner"], OWNER);
    assert_eq!(history[2]["scores"][0]["owner"], OWNER);
    for file in every_file(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for sentinel in [OWNER, STAKEHOLDER] {
            assert!(
                !contains(&bytes, sentinel),
                "{} holds {sentinel} in plain text",
                file.display()
            );
        }
    }
    assert!(
        !output.iter().any(|line| line.contains(OWNER)),
        "a log line holds the owner"
    );
}

#[test]
fn a_backup_restores_the_same_scorecard_history_and_templates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let project = seed_readiness(&server);
    let before = readiness_state(&server, &project);
    let backup = run(&["backup", "--out"], &data, &[dir.path().to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let file = written(&backup);
    http(
        "DELETE",
        &server.url(&format!("/api/v1/projects/{project}")),
        None,
    );
    stop(server);

    let (manifest, _) = rows_of(&file);
    let restore = run(&["restore", "--force"], &data, &[file.to_str().unwrap()]);
    let server = spawn_binary(&data, &[]);
    let after = readiness_state(&server, &project);

    assert!(restore.status.success(), "{}", stderr(&restore));
    assert_eq!(manifest.counts["assessments"], 3);
    assert_eq!(manifest.counts["templates"], 1);
    assert_eq!(manifest.counts["stakeholders"], 3);
    // The generated parts of a scorecard do not change with a restore.
    assert_eq!(after.0["pillars"], before.0["pillars"]);
    assert_eq!(after.0["level"], before.0["level"]);
    assert_eq!(after.1, before.1);
    assert_eq!(after.2, before.2);
}

#[test]
fn the_journal_replays_assessments_and_templates_onto_a_restored_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let backup = run(&["backup", "--out"], &data, &[dir.path().to_str().unwrap()]);
    let file = written(&backup);
    let project = seed_readiness(&server);
    let before = readiness_state(&server, &project);
    let journal = dir.path().join("journal.jsonl");
    run(
        &["journal", "export", "--out"],
        &data,
        &[journal.to_str().unwrap()],
    );
    stop(server);

    let restore = run(&["restore", "--force"], &data, &[file.to_str().unwrap()]);
    let replay = run(&["journal", "replay"], &data, &[journal.to_str().unwrap()]);
    let server = spawn_binary(&data, &[]);
    let after = readiness_state(&server, &project);

    assert!(restore.status.success(), "{}", stderr(&restore));
    assert!(replay.status.success(), "{}", stderr(&replay));
    assert_eq!(after.0["pillars"], before.0["pillars"]);
    assert_eq!(after.1, before.1);
    assert_eq!(after.2, before.2);
}

#[test]
fn a_key_rotation_reseals_pillar_owners_and_they_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let project = seed_readiness(&server);
    stop(server);

    let rotate = run(&["keys", "rotate"], dir.path(), &[]);
    let server = spawn_binary(dir.path(), &[]);
    let (card, _, planning) = readiness_state(&server, &project);

    assert!(rotate.status.success(), "{}", stderr(&rotate));
    assert_eq!(card["pillars"][0]["owner"], OWNER);
    let owners: Vec<&Value> = planning["stakeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["owner"])
        .collect();
    assert!(owners.contains(&&json!(STAKEHOLDER)), "{planning}");
}
