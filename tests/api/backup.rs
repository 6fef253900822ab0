//! Backup, verify, restore and point-in-time recovery, including the faults
//! an operator meets: every fault ends with a clear error, no file under the
//! final name, and the live store untouched.

use crate::helpers::{RunningBinary, binary, http, run, seed, sha, spawn_binary, stop};
use launchpad::backup::format;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The path `backup` printed.
/// Asserts the command failed with exit code 1 and said `reason` on stderr.
pub fn failed_saying(output: &std::process::Output, reason: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    assert!(stderr(output).contains(reason), "{}", stderr(output));
}

pub fn written(output: &std::process::Output) -> PathBuf {
    let text = stdout(output);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("backup written: "))
        .unwrap_or_else(|| panic!("no backup path in {text}\n{}", stderr(output)));
    PathBuf::from(line)
}

/// Every project as the API shows it, following `Link` headers.
fn everything(server: &RunningBinary) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some("/api/v1/projects?limit=200".to_owned());
    while let Some(path) = next {
        let output = Command::new("curl")
            .args(["-s", "-D", "-", &server.url(&path)])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        next = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("link:"))
            .and_then(|l| Some(l[l.find('<')? + 1..l.find('>')?].to_owned()));
        out.extend(serde_json::from_str::<Vec<Value>>(body).unwrap());
    }
    out
}

/// A stopped store with some data and a backup of it: (folder, data dir, backup file).
pub fn store_with_backup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    seed(&server, 20);
    stop(server);
    let output = run(&["backup", "--out"], &data, &[dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let file = written(&output);
    (dir, data, file)
}

pub fn live(data: &Path) -> PathBuf {
    data.join("launchpad.redb")
}

/// One backed-up row: table id, key, value.
pub type Row = (u8, Vec<u8>, Vec<u8>);

/// A backup's manifest and every row, read through the library.
pub fn rows_of(file: &Path) -> (format::Manifest, Vec<Row>) {
    let backup = format::open(file, None).unwrap();
    let mut rows = Vec::new();
    backup
        .frames(|f| {
            rows.push((f.table, f.key.to_vec(), f.value.to_vec()));
            Ok::<_, format::FormatError>(())
        })
        .unwrap();
    (backup.manifest, rows)
}

/// The data key a backup of the store in `data` is signed with, unwrapped
/// by the store's (development) identity, as a legitimate tool would.
pub fn data_key(data: &Path, manifest: &format::Manifest) -> launchpad::crypto::DataKey {
    launchpad::crypto::Identity::load(&data.join("identity.age"))
        .unwrap()
        .unwrap_key(&manifest.wrapped_key().expect("a format-2 manifest"))
        .unwrap()
}

#[test]
fn a_backup_of_a_running_server_goes_through_it_while_writes_continue() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let (project_path, _) = seed(&server, 200);
    let url = server.url(&format!("{project_path}/checklists"));
    let writer = std::thread::spawn(move || {
        (0..100)
            .filter(|i| {
                http(
                    "POST",
                    &url,
                    Some(&json!({ "name": format!("During backup {i}") })),
                )
                .0 == 201
            })
            .count()
    });

    let output = run(
        &["backup", "--out"],
        &data,
        &[dir.path().join("b.lpbackup").to_str().unwrap()],
    );

    let created_during = writer.join().unwrap();
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(created_during, 100, "writes were blocked by the backup");
    for needle in [
        "backup written:",
        "size:",
        "sha256:",
        "projects 2",
        "tasks 204",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    let file = written(&output);
    let sha = text
        .lines()
        .find_map(|l| l.strip_prefix("sha256:  "))
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        sha,
        format!("{:x}", sha2::Sha256::digest(std::fs::read(&file).unwrap()))
    );
    assert!(
        run(&["verify"], &data, &[file.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn a_backup_without_a_server_opens_the_store_itself_and_is_recorded() {
    let (_dir, data, file) = store_with_backup();

    let verified = run(&["verify"], &data, &[file.to_str().unwrap()]);

    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("sealed fields opened"),
        "{}",
        stdout(&verified)
    );
    let db = launchpad::store::open_read_only_for(&live(&data)).unwrap();
    let last = launchpad::store::meta::read_last_backup(&db)
        .unwrap()
        .expect("the backup was recorded");
    assert_eq!(last.path, file);
    assert!(last.size > 0);
}

#[test]
fn an_encrypted_backup_needs_its_identity_to_verify() {
    let (dir, data, _) = store_with_backup();
    let backup_id = dir.path().join("backup-id.age");
    let init = run(
        &["keys", "init", "--identity"],
        &data,
        &[backup_id.to_str().unwrap()],
    );
    let recipient = stdout(&init)
        .lines()
        .find_map(|l| l.strip_prefix("public key (recipient): "))
        .unwrap()
        .to_owned();
    let stranger = dir.path().join("stranger.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[stranger.to_str().unwrap()],
    );

    let output = run(
        &["backup", "--encrypt-to", &recipient, "--out"],
        &data,
        &[dir.path().join("enc.lpbackup").to_str().unwrap()],
    );
    let file = written(&output);

    assert!(
        !std::fs::read(&file).unwrap().starts_with(format::MAGIC),
        "the file is not encrypted"
    );
    let without = run(&["verify"], &data, &[file.to_str().unwrap()]);
    failed_saying(&without, "--decrypt-with");
    let wrong = run(
        &["verify", "--decrypt-with", stranger.to_str().unwrap()],
        &data,
        &[file.to_str().unwrap()],
    );
    failed_saying(&wrong, "cannot decrypt");
    let right = run(
        &["verify", "--decrypt-with", backup_id.to_str().unwrap()],
        &data,
        &[file.to_str().unwrap()],
    );
    assert!(right.status.success(), "{}", stderr(&right));
}

#[test]
fn keep_prunes_older_dated_backups_in_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stop(spawn_binary(&data, &[]));
    let folder = dir.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    for old in [
        "launchpad-20200101T000000Z.lpbackup",
        "launchpad-20200102T000000Z.lpbackup",
        "launchpad-20200103T000000Z.lpbackup",
    ] {
        std::fs::write(folder.join(old), b"old").unwrap();
    }
    std::fs::write(folder.join("notes.txt"), b"not a backup").unwrap();

    let output = run(
        &["backup", "--keep", "2", "--out"],
        &data,
        &[folder.to_str().unwrap()],
    );

    assert!(output.status.success(), "{}", stderr(&output));
    let mut left: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(left[0], "launchpad-20200103T000000Z.lpbackup");
    assert!(left.contains(&"notes.txt".to_owned()));
}

#[test]
fn a_backup_whose_key_the_identity_cannot_unwrap_is_refused_by_restore() {
    let (dir, data, file) = store_with_backup();
    let other = dir.path().join("other.age");
    run(
        &["keys", "init", "--identity"],
        &data,
        &[other.to_str().unwrap()],
    );
    let before = sha(&live(&data));

    let restore = run(
        &["restore", "--force", "--identity", other.to_str().unwrap()],
        &data,
        &[file.to_str().unwrap()],
    );

    failed_saying(&restore, "cannot unwrap");
    assert_eq!(sha(&live(&data)), before);
}

#[test]
fn restore_refuses_while_a_server_holds_the_store_and_says_how_to_stop_it() {
    let (_dir, data, file) = store_with_backup();
    let _server = spawn_binary(&data, &[]);

    let restore = run(&["restore", "--force"], &data, &[file.to_str().unwrap()]);

    failed_saying(&restore, "stop it first");
}

#[test]
fn restore_without_force_refuses_to_replace_and_dry_run_changes_nothing() {
    let (_dir, data, file) = store_with_backup();
    let before = sha(&live(&data));

    let plain = run(&["restore"], &data, &[file.to_str().unwrap()]);
    let dry = run(&["restore", "--dry-run"], &data, &[file.to_str().unwrap()]);

    assert_eq!(plain.status.code(), Some(1));
    assert!(stderr(&plain).contains("--force"), "{}", stderr(&plain));
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("dry run: nothing was changed"),
        "{}",
        stdout(&dry)
    );
    assert!(stdout(&dry).contains("store now:"));
    assert_eq!(sha(&live(&data)), before);
}

#[test]
fn restore_replaces_the_store_and_keeps_the_old_one_as_a_dated_copy() {
    let (_dir, data, file) = store_with_backup();
    let server = spawn_binary(&data, &[]);
    let at_backup = everything(&server);
    http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "After the backup" })),
    );
    let after_backup = everything(&server);
    stop(server);

    let restore = run(&["restore", "--force"], &data, &[file.to_str().unwrap()]);

    assert!(restore.status.success(), "{}", stderr(&restore));
    let kept = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".pre-restore-"))
        .expect("a .pre-restore copy");
    let server = spawn_binary(&data, &[]);
    assert_eq!(everything(&server), at_backup);
    stop(server);
    std::fs::rename(&kept, live(&data)).unwrap();
    let server = spawn_binary(&data, &[]);
    assert_eq!(
        everything(&server),
        after_backup,
        "the kept copy is the old store"
    );
}

#[test]
fn restore_migrates_an_older_schema_forward() {
    let (dir, data, file) = store_with_backup();
    let (mut manifest, rows) = rows_of(&file);
    manifest.schema_version = 2;
    manifest.counts.remove("journal");
    let older = dir.path().join("v2.lpbackup");
    format::write(
        &older,
        &manifest,
        None,
        &data_key(&data, &manifest),
        |frames| {
            for (table, key, value) in &rows {
                match (*table, key.as_slice()) {
                    (5, _) => {}
                    (1, b"schema_version") => frames.push(1, key, &2u32.to_be_bytes())?,
                    _ => frames.push(*table, key, value)?,
                }
            }
            Ok(())
        },
    )
    .unwrap();

    let restore = run(&["restore", "--force"], &data, &[older.to_str().unwrap()]);

    assert!(restore.status.success(), "{}", stderr(&restore));
    assert!(
        stdout(&restore).contains("migrated from schema 2"),
        "{}",
        stdout(&restore)
    );
    let plan = run(&["migrate", "--plan"], &data, &[]);
    assert!(
        stdout(&plan).contains("no pending migrations"),
        "{}",
        stdout(&plan)
    );
    let server = spawn_binary(&data, &[]);
    assert_eq!(everything(&server).len(), 2);
}

#[test]
fn the_disk_filling_during_a_backup_leaves_no_file_and_the_server_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let (project_path, _) = seed(&server, 300);
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());

    let output = if mounted {
        run(&["backup", "--out"], &data, &[small.to_str().unwrap()])
    } else {
        // No tmpfs without privileges: cap the file size instead (the same
        // failed write, EFBIG instead of ENOSPC), with the server stopped.
        stop(spawn_binary(&data, &[]));
        let script = format!(
            "trap '' XFSZ; ulimit -f 16; exec {} backup --out {} --data-dir {}",
            binary().display(),
            small.display(),
            data.display()
        );
        Command::new("bash").args(["-c", &script]).output().unwrap()
    };
    let files: Vec<_> = std::fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    if mounted {
        let _ = Command::new("umount").arg(&small).status();
    }

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).to_lowercase().contains("space") || stderr(&output).contains("too large"),
        "{}",
        stderr(&output)
    );
    assert!(files.is_empty(), "left behind: {files:?}");
    let (status, project) = http("GET", &server.url(&project_path), None);
    assert_eq!(status, 200, "the server stopped serving");
    assert_eq!(
        project["checklists"][0]["tasks"].as_array().unwrap().len(),
        300
    );
}

#[test]
fn a_server_killed_mid_backup_leaves_no_file_under_the_final_name_and_restarts_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let (project_path, _) = seed(&server, 300);
    let (_, before) = http("GET", &server.url(&project_path), None);
    let target = dir.path().join("killed.lpbackup");

    let backup = Command::new(binary())
        .args(["backup", "--out"])
        .arg(&target)
        .arg("--data-dir")
        .arg(&data)
        .env_clear()
        .envs(crate::backend::store_env(&data))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    server.signal("KILL");
    drop(server);
    let outcome = backup.wait_with_output().unwrap();

    if target.exists() {
        // The backup won the race: then it must be whole.
        assert!(outcome.status.success());
        assert!(
            run(&["verify"], &data, &[target.to_str().unwrap()])
                .status
                .success()
        );
    } else {
        assert_eq!(outcome.status.code(), Some(1));
    }
    let server = spawn_binary(&data, &[]);
    let (_, after) = http("GET", &server.url(&project_path), None);
    assert_eq!(after, before);
}

#[test]
fn a_restore_killed_mid_swap_leaves_the_old_store_or_the_new_one_whole() {
    let (_dir, data, file) = store_with_backup();
    let server = spawn_binary(&data, &[]);
    let new_state = everything(&server);
    http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "Only in the old store" })),
    );
    let old_state = everything(&server);
    stop(server);
    let restore_and_extend = |delay_us: u64| {
        let mut child = Command::new(binary())
            .args(["restore", "--force"])
            .arg(&file)
            .arg("--data-dir")
            .arg(&data)
            .env_clear()
            .envs(crate::backend::store_env(&data))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(delay_us));
        let _ = child.kill();
        let _ = child.wait();
    };

    for delay in [0, 500, 2_000, 5_000, 10_000, 20_000, 40_000] {
        restore_and_extend(delay);
        let server = spawn_binary(&data, &[]);
        let state = everything(&server);
        assert!(
            state == old_state || state == new_state,
            "after a kill at {delay}µs the store is neither old nor new"
        );
        stop(server);
        if state == new_state {
            // Put the old store back so the next round can be told apart.
            let kept = std::fs::read_dir(&data)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().contains(".pre-restore-"))
                .max()
                .unwrap();
            std::fs::rename(kept, live(&data)).unwrap();
        }
    }
}

#[test]
fn point_in_time_recovery_restores_the_state_before_the_disaster_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    let (project_path, notes) = seed(&server, 5);
    let backup = run(&["backup", "--out"], &data, &[dir.path().to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let file = written(&backup);
    // Changes after the backup: a new project, edits, a delete.
    let (_, extra) = http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "After T1", "ownerEmail": "late@example.com" })),
    );
    let (_, project) = http("GET", &server.url(&project_path), None);
    let cid = project["checklists"][0]["id"].as_str().unwrap().to_owned();
    let task_path = |id: &str| server.url(&format!("{project_path}/checklists/{cid}/tasks/{id}"));
    http(
        "PATCH",
        &task_path(&notes[0].0),
        Some(&json!({ "status": "done", "notes": "edited after T1" })),
    );
    assert_eq!(http("DELETE", &task_path(&notes[1].0), None).0, 204);
    let before_disaster = everything(&server);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let cutoff = launchpad::domain::rfc3339::format(launchpad::domain::now_millis());
    std::thread::sleep(std::time::Duration::from_millis(20));
    // The disaster: everything deleted.
    for p in &before_disaster {
        http(
            "DELETE",
            &server.url(&format!("/api/v1/projects/{}", p["id"].as_str().unwrap())),
            None,
        );
    }
    let journal = dir.path().join("journal.jsonl");
    assert!(
        run(
            &["journal", "export", "--out"],
            &data,
            &[journal.to_str().unwrap()]
        )
        .status
        .success()
    );
    stop(server);

    let restore = run(&["restore", "--force"], &data, &[file.to_str().unwrap()]);
    let replay = run(
        &["journal", "replay", "--until", &cutoff],
        &data,
        &[journal.to_str().unwrap()],
    );
    let again = run(
        &["journal", "replay", "--until", &cutoff],
        &data,
        &[journal.to_str().unwrap()],
    );

    assert!(restore.status.success(), "{}", stderr(&restore));
    assert!(replay.status.success(), "{}", stderr(&replay));
    assert!(again.status.success(), "{}", stderr(&again));
    let server = spawn_binary(&data, &[]);
    let recovered = everything(&server);
    assert_eq!(recovered, before_disaster);
    assert!(
        recovered
            .iter()
            .any(|p| p["id"] == extra["id"] && p["ownerEmail"] == "late@example.com")
    );
    let (_, created) = http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "After recovery" })),
    );
    let all = everything(&server);
    assert_eq!(
        all.last().unwrap()["id"],
        created["id"],
        "new ids still sort after replayed ones"
    );
}

#[test]
fn a_tampered_journal_is_refused_and_nothing_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[]);
    seed(&server, 2);
    let journal = dir.path().join("journal.jsonl");
    assert!(
        run(
            &["journal", "export", "--out"],
            &data,
            &[journal.to_str().unwrap()]
        )
        .status
        .success()
    );
    http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "Kept as is" })),
    );
    stop(server);
    let before = sha(&live(&data));
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut event: Value = serde_json::from_str(&lines[1]).unwrap();
    // A new event (the store does not hold its id yet) with an invalid record.
    event["id"] = json!(uuid::Uuid::now_v7().to_string());
    event["record"]["name"] = json!("x");
    lines[1] = event.to_string();
    std::fs::write(&journal, lines.join("\n")).unwrap();

    let replay = run(&["journal", "replay"], &data, &[journal.to_str().unwrap()]);

    failed_saying(&replay, "nothing applied");
    assert_eq!(sha(&live(&data)), before);
}

#[test]
fn replaying_to_a_time_before_the_restored_snapshot_is_refused() {
    let (dir, data, file) = store_with_backup();
    let journal = dir.path().join("journal.jsonl");
    assert!(
        run(
            &["journal", "export", "--out"],
            &data,
            &[journal.to_str().unwrap()]
        )
        .status
        .success()
    );
    assert!(
        run(&["restore", "--force"], &data, &[file.to_str().unwrap()])
            .status
            .success()
    );
    let before = sha(&live(&data));

    let replay = run(
        &["journal", "replay", "--until", "2000-01-01T00:00:00Z"],
        &data,
        &[journal.to_str().unwrap()],
    );

    failed_saying(&replay, "before the snapshot");
    assert_eq!(sha(&live(&data)), before);
}

#[test]
fn a_dry_run_restore_works_while_the_server_runs() {
    let (_dir, data, file) = store_with_backup();
    let _server = spawn_binary(&data, &[]);

    let dry = run(&["restore", "--dry-run"], &data, &[file.to_str().unwrap()]);

    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("dry run: nothing was changed"));
}

#[test]
fn a_backup_carries_accounts_so_a_restored_store_keeps_its_users_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    stop(spawn_binary(&data, &[]));
    let add = Command::new(binary())
        .args([
            "user",
            "add",
            "--email",
            "keeper@example.com",
            "--role",
            "viewer",
            "--data-dir",
        ])
        .arg(&data)
        .env_clear()
        .envs(crate::backend::store_env(&data))
        .env("LAUNCHPAD_PASSWORD", "correct horse battery staple 42")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", stderr(&add));
    let token = run(
        &[
            "token",
            "create",
            "--email",
            "keeper@example.com",
            "--name",
            "kept",
        ],
        &data,
        &[],
    );
    let token = stdout(&token).trim().to_owned();
    let backup = run(&["backup", "--out"], &data, &[dir.path().to_str().unwrap()]);
    let file = written(&backup);
    std::fs::remove_file(live(&data)).unwrap();

    let restore = run(&["restore"], &data, &[file.to_str().unwrap()]);

    assert!(restore.status.success(), "{}", stderr(&restore));
    let server = spawn_binary(&data, &[("LAUNCHPAD_ANONYMOUS_ROLE", "none")]);
    let status = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("Authorization: Bearer {token}"),
            &server.url("/api/v1/projects"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "200");
}
