//! Personal data is sealed at rest, keys are checked at start, and the key
//! commands keep every value readable.

use crate::helpers::{
    EMAIL_SENTINEL, NOTES_SENTINEL, binary, http, run, seed, sha, spawn_app, spawn_app_in,
    spawn_binary, stop,
};
use launchpad::store::tables::{PROJECTS, TASKS};
use redb::{ReadableDatabase, ReadableTable};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path))
        } else {
            out.push(path)
        }
    }
    out
}

/// The sealed field values as stored: (table, record key, field) → base64.
fn stored_ciphertexts(data: &Path) -> Vec<(String, String)> {
    let db = redb::Database::open(data.join("launchpad.redb")).unwrap();
    let tx = db.begin_read().unwrap();
    let mut out = Vec::new();
    for row in tx.open_table(PROJECTS).unwrap().iter().unwrap() {
        let (key, value) = row.unwrap();
        let record: Value = serde_json::from_slice(value.value()).unwrap();
        if let Some(sealed) = record["owner_email"].as_str() {
            out.push((format!("project {:x}", key.value()), sealed.to_owned()));
        }
    }
    for row in tx.open_table(TASKS).unwrap().iter().unwrap() {
        let (key, value) = row.unwrap();
        let record: Value = serde_json::from_slice(value.value()).unwrap();
        if let Some(sealed) = record["notes"].as_str() {
            out.push((format!("task {:x}", key.value().1), sealed.to_owned()));
        }
    }
    out
}

#[test]
fn personal_data_never_reaches_a_file_in_the_data_folder_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[("LAUNCHPAD_LOG_LEVEL", "debug")]);
    let (project_path, notes) = seed(&server, 3);
    let (_, project) = http("GET", &server.url(&project_path), None);
    assert_eq!(
        project["ownerEmail"], EMAIL_SENTINEL,
        "the API returns the plain value"
    );
    assert_eq!(
        project["checklists"][0]["tasks"][2]["notes"],
        notes[2].1.as_str()
    );

    let logs = stop(server).join("\n");

    for file in all_files(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for sentinel in [EMAIL_SENTINEL, NOTES_SENTINEL] {
            assert!(
                !bytes
                    .windows(sentinel.len())
                    .any(|w| w == sentinel.as_bytes()),
                "{sentinel} found in {}",
                file.display()
            );
        }
    }
    assert!(
        !logs.contains(EMAIL_SENTINEL) && !logs.contains(NOTES_SENTINEL),
        "a sentinel reached the logs"
    );
    assert!(logs.contains("request completed"), "the logs were captured");
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_task_is_refused_not_shown() {
    let app = spawn_app().await;
    let project = app.create_project("Two tasks").await;
    let pid = project["id"].as_str().unwrap().to_owned();
    let cid = app.create_checklist(&pid, "Pair").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/projects/{pid}/checklists/{cid}/tasks");
    let a: Value = app
        .post_json(&path, &json!({ "title": "Task A", "notes": "only for A" }))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .post_json(&path, &json!({ "title": "Task B", "notes": "only for B" }))
        .await
        .json()
        .await
        .unwrap();
    let dir = app.stop().await;
    {
        let db = redb::Database::open(dir.path().join("launchpad.redb")).unwrap();
        let key = |task: &Value| {
            (
                uuid::Uuid::parse_str(&cid).unwrap().as_u128(),
                uuid::Uuid::parse_str(task["id"].as_str().unwrap())
                    .unwrap()
                    .as_u128(),
            )
        };
        let tx = db.begin_write().unwrap();
        {
            let mut tasks = tx.open_table(TASKS).unwrap();
            let row_a: Value =
                serde_json::from_slice(tasks.get(key(&a)).unwrap().unwrap().value()).unwrap();
            let mut row_b: Value =
                serde_json::from_slice(tasks.get(key(&b)).unwrap().unwrap().value()).unwrap();
            row_b["notes"] = row_a["notes"].clone();
            tasks
                .insert(key(&b), serde_json::to_vec(&row_b).unwrap().as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }

    let app = spawn_app_in(dir, &[]).await;
    let response = app.get(&format!("/api/v1/projects/{pid}")).await;

    assert_eq!(response.status(), 500);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("only for A"),
        "the moved ciphertext was opened: {body}"
    );
    assert!(body.contains("urn:launchpad:problem:internal"));
}

#[test]
fn a_different_identity_is_refused_at_start_naming_the_expected_key_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("first.age");
    let second = dir.path().join("second.age");
    assert!(
        run(
            &["keys", "init", "--identity"],
            &data,
            &[first.to_str().unwrap()]
        )
        .status
        .success()
    );
    assert!(
        run(
            &["keys", "init", "--identity"],
            &data,
            &[second.to_str().unwrap()]
        )
        .status
        .success()
    );
    let server = spawn_binary(
        &data,
        &[("LAUNCHPAD_IDENTITY_FILE", first.to_str().unwrap())],
    );
    seed(&server, 1);
    stop(server);
    let before = sha(&data.join("launchpad.redb"));
    let status = String::from_utf8(run(&["keys", "status"], &data, &[]).stdout).unwrap();
    let fingerprint = status
        .lines()
        .find(|l| l.starts_with("data key:"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();

    let refused = run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--identity",
            second.to_str().unwrap(),
        ],
        &data,
        &[],
    );

    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&fingerprint),
        "the expected key is not named: {stderr}"
    );
    assert!(
        stderr.contains("cannot unwrap") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(
        sha(&data.join("launchpad.redb")),
        before,
        "the store changed"
    );
}

#[test]
fn a_missing_identity_is_refused_at_start_and_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    seed(&server, 1);
    stop(server);
    std::fs::remove_file(dir.path().join("identity.age")).unwrap();
    let before = sha(&dir.path().join("launchpad.redb"));

    let refused = run(&["serve", "--listen", "127.0.0.1:0"], dir.path(), &[]);

    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no identity file") && stderr.contains("lpk1:"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("identity.age").exists(),
        "a new identity was created over a keyed store"
    );
    assert_eq!(sha(&dir.path().join("launchpad.redb")), before);
}

#[test]
fn offline_rotation_keeps_every_value_readable_and_changes_every_ciphertext() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let (project_path, _) = seed(&server, 5);
    let (_, before) = http("GET", &server.url(&project_path), None);
    stop(server);
    let old = stored_ciphertexts(dir.path());

    let rotated = run(&["keys", "rotate"], dir.path(), &[]);

    let stdout = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    // Five notes and one owner email, the initial admin's email, and the
    // demo project's three sealed planning rows (an alignment row's
    // stakeholders and two stakeholder rows).
    assert!(stdout.contains("re-sealed 10 field(s)"), "{stdout}");
    let new = stored_ciphertexts(dir.path());
    assert_eq!(old.len(), 6);
    assert_eq!(new.len(), old.len());
    for ((place, a), (_, b)) in old.iter().zip(&new) {
        assert_ne!(a, b, "{place} was not re-sealed");
    }
    let server = spawn_binary(dir.path(), &[]);
    let (_, after) = http("GET", &server.url(&project_path), None);
    assert_eq!(after, before);
}

#[test]
fn online_rotation_goes_through_the_running_server_and_values_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let (project_path, _) = seed(&server, 5);
    let (_, before) = http("GET", &server.url(&project_path), None);
    let old_status = String::from_utf8(run(&["keys", "status"], dir.path(), &[]).stdout).unwrap();

    let rotated = run(&["keys", "rotate"], dir.path(), &[]);

    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let (_, during) = http("GET", &server.url(&project_path), None);
    assert_eq!(during, before);
    let new_status = String::from_utf8(run(&["keys", "status"], dir.path(), &[]).stdout).unwrap();
    assert_ne!(
        old_status.lines().next(),
        new_status.lines().next(),
        "the fingerprint did not change"
    );
    stop(server);
    let server = spawn_binary(dir.path(), &[]);
    let (_, after) = http("GET", &server.url(&project_path), None);
    assert_eq!(after, before);
}

#[test]
fn a_server_killed_during_rotation_restarts_with_every_value_readable() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[]);
    let (project_path, notes) = seed(&server, 300);

    let rotation = Command::new(binary())
        .args(["keys", "rotate", "--data-dir"])
        .arg(dir.path())
        .env_clear()
        .envs(crate::backend::store_env(dir.path()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(15));
    server.signal("KILL");
    drop(server);
    let _ = rotation.wait_with_output();

    let server = spawn_binary(dir.path(), &[]);
    let (status, project) = http("GET", &server.url(&project_path), None);
    assert_eq!(status, 200);
    assert_eq!(project["ownerEmail"], EMAIL_SENTINEL);
    let tasks = project["checklists"][0]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), notes.len());
    for (task, (id, text)) in tasks.iter().zip(&notes) {
        assert_eq!(task["id"], id.as_str());
        assert_eq!(task["notes"], text.as_str());
    }
}

#[test]
fn rewrap_hands_the_data_key_to_a_new_identity_and_the_old_one_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let old = dir.path().join("old.age");
    let new = dir.path().join("new.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[old.to_str().unwrap()],
    );
    let init = String::from_utf8(
        run(
            &["keys", "init", "--identity"],
            &data,
            &[new.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    let recipient = init
        .lines()
        .find_map(|l| l.strip_prefix("public key (recipient): "))
        .unwrap()
        .to_owned();
    let server = spawn_binary(&data, &[("LAUNCHPAD_IDENTITY_FILE", old.to_str().unwrap())]);
    let (project_path, _) = seed(&server, 2);
    let (_, before) = http("GET", &server.url(&project_path), None);

    let rewrapped = run(
        &["keys", "rewrap", "--to", &recipient],
        &data,
        &["--identity", old.to_str().unwrap()],
    );

    assert!(
        rewrapped.status.success(),
        "{}",
        String::from_utf8_lossy(&rewrapped.stderr)
    );
    stop(server);
    let refused = run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--identity",
            old.to_str().unwrap(),
        ],
        &data,
        &[],
    );
    assert_eq!(refused.status.code(), Some(1));
    let server = spawn_binary(&data, &[("LAUNCHPAD_IDENTITY_FILE", new.to_str().unwrap())]);
    let (_, after) = http("GET", &server.url(&project_path), None);
    assert_eq!(after, before);
}

#[test]
fn keys_status_shows_fingerprint_age_recipient_and_every_field_class() {
    let dir = tempfile::tempdir().unwrap();
    stop(spawn_binary(dir.path(), &[]));

    let output = run(&["keys", "status"], dir.path(), &[]);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for needle in [
        "data key:    lpk1:",
        "(0 days ago)",
        "wrapped for: age1",
        "rotation:",
        "owner_email",
        "pii",
        "notes",
        "data_key_wrapped",
        "secret",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?}:\n{stdout}");
    }
}

#[test]
fn keys_init_never_overwrites_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id.age");
    assert!(
        run(
            &["keys", "init", "--identity"],
            dir.path(),
            &[path.to_str().unwrap()]
        )
        .status
        .success()
    );
    let before = std::fs::read(&path).unwrap();

    let again = run(
        &["keys", "init", "--identity"],
        dir.path(),
        &[path.to_str().unwrap()],
    );

    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn production_refuses_an_identity_inside_the_data_folder_or_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let outside = dir.path().join("id.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[outside.to_str().unwrap()],
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    let prod = |identity: &Path| {
        Command::new(binary())
            .args(["config", "check", "--data-dir"])
            .arg(&data)
            .arg("--identity")
            .arg(identity)
            .env_clear()
            .env("LAUNCHPAD_ENV", "production")
            .env("LAUNCHPAD_DEMO_DATA", "false")
            .output()
            .unwrap()
    };

    let too_open = prod(&outside);
    let inside = prod(&data.join("identity.age"));

    assert_eq!(too_open.status.code(), Some(78));
    assert!(
        String::from_utf8_lossy(&too_open.stderr).contains("chmod 600"),
        "{}",
        String::from_utf8_lossy(&too_open.stderr)
    );
    assert_eq!(inside.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&inside.stderr).contains("inside the data folder"));
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(prod(&outside).status.success());
}

#[test]
fn keys_init_works_in_production_where_the_identity_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("etc").join("identity.age");

    let output = Command::new(binary())
        .args(["keys", "init", "--identity"])
        .arg(&identity)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .env_clear()
        .env("LAUNCHPAD_ENV", "production")
        .env("LAUNCHPAD_DEMO_DATA", "false")
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(identity.exists());
}

#[test]
fn production_uses_the_systemd_credential_when_no_identity_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let data = dir.path().join("data");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[credentials.join("age-identity").to_str().unwrap()],
    );

    let output = Command::new(binary())
        .args(["config", "check", "--data-dir"])
        .arg(&data)
        .env_clear()
        .env("LAUNCHPAD_ENV", "production")
        .env("LAUNCHPAD_DEMO_DATA", "false")
        .env("CREDENTIALS_DIRECTORY", &credentials)
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn production_accepts_a_group_readable_systemd_credential_but_not_a_group_readable_file_elsewhere()
{
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let data = dir.path().join("data");
    let identity = credentials.join("age-identity");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    // Newer systemd hands credentials over as 0440 files with an ACL.
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o440)).unwrap();
    let check = |credentials_directory: Option<&std::path::Path>| {
        let mut command = Command::new(binary());
        command
            .args(["config", "check", "--data-dir"])
            .arg(&data)
            .env_clear()
            .env("LAUNCHPAD_ENV", "production")
            .env("LAUNCHPAD_DEMO_DATA", "false")
            .env("LAUNCHPAD_IDENTITY_FILE", &identity);
        if let Some(folder) = credentials_directory {
            command.env("CREDENTIALS_DIRECTORY", folder);
        }
        command.output().unwrap()
    };

    let as_credential = check(Some(&credentials));
    let as_plain_file = check(None);

    assert!(
        as_credential.status.success(),
        "{}",
        String::from_utf8_lossy(&as_credential.stderr)
    );
    assert_eq!(as_plain_file.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&as_plain_file.stderr).contains("chmod 600"));
}

#[test]
fn keys_status_reads_the_expected_key_in_production_even_when_the_identity_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    stop(spawn_binary(
        &data,
        &[("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap())],
    ));
    std::fs::remove_file(&identity).unwrap();

    let output = Command::new(binary())
        .args(["keys", "status", "--identity"])
        .arg(&identity)
        .arg("--data-dir")
        .arg(&data)
        .env_clear()
        .env("LAUNCHPAD_ENV", "production")
        .env("LAUNCHPAD_DEMO_DATA", "false")
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("data key:    lpk1:"));
}
