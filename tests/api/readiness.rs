//! `/ready`: every check, each made to fail through the real surface, with
//! its 503 and its reason.

use crate::helpers::{TestApp, binary, failing_checks, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;

const CHECKS: [&str; 6] = ["store", "disk", "data_key", "backup", "config", "admin"];

async fn ready(app: &TestApp) -> (StatusCode, Value) {
    let response = app.get("/ready").await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {body}"))
}

/// Asserts a 503 in which exactly `name` fails, with `reason` in its detail.
async fn only_failing(app: &TestApp, name: &str, reason: &str) -> Value {
    let (status, body) = ready(app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(failing_checks(&body), [name], "{body}");
    let detail = check(&body, name)["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(reason), "{name}: {detail}");
    body
}

#[tokio::test]
async fn ready_passes_every_check_on_a_development_store() {
    let app = spawn_app_with(&[]).await;

    let (status, body) = ready(&app).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, CHECKS);
    assert!(
        check(&body, "backup")["detail"]
            .as_str()
            .unwrap()
            .contains("no freshness policy")
    );
}

#[tokio::test]
async fn ready_fails_the_disk_check_when_free_space_is_below_the_threshold() {
    let app = spawn_app_with(&[("LAUNCHPAD_READY_MIN_FREE_DISK_MB", "1048576")]).await;

    only_failing(&app, "disk", "the minimum is 1048576 MiB").await;
}

#[tokio::test]
async fn ready_fails_the_data_key_check_when_the_identity_disappears_under_a_running_server() {
    let app = spawn_app_with(&[]).await;
    let identity = app.data_dir.path().join("identity.age");
    assert_eq!(ready(&app).await.0, StatusCode::OK);

    std::fs::remove_file(&identity).unwrap();

    only_failing(&app, "data_key", "identity.age").await;
}

#[tokio::test]
async fn ready_fails_the_config_check_on_drift_and_names_the_unknown_variable() {
    let app = spawn_app_with(&[("LAUNCHPAD_LOG_LEVLE", "debug")]).await;

    only_failing(&app, "config", "LAUNCHPAD_LOG_LEVLE").await;
}

#[tokio::test]
async fn ready_fails_the_backup_check_until_a_backup_meets_the_policy() {
    let app = spawn_app_with(&[
        ("LAUNCHPAD_BACKUP_MAX_AGE_HOURS", "1"),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "admin"),
    ])
    .await;
    only_failing(&app, "backup", "no backup has been taken").await;
    let out = app.data_dir.path().join("backups");
    std::fs::create_dir(&out).unwrap();

    let data = app.data_dir.path().to_owned();
    // Off the test's runtime, which must keep serving the admin socket.
    let backup = tokio::task::spawn_blocking(move || {
        Command::new(binary())
            .args(["backup", "--out"])
            .arg(&out)
            .arg("--data-dir")
            .arg(&data)
            .env_clear()
            .envs(crate::backend::store_env(&data))
            .output()
            .unwrap()
    })
    .await
    .unwrap();

    assert!(backup.status.success(), "{backup:?}");
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        check(&body, "backup")["detail"]
            .as_str()
            .unwrap()
            .contains("within 1 h")
    );
    let backups: Value = app
        .get("/api/v1/backups/status")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(backups["fresh"], true, "{backups}");
    assert!(backups["lastBackup"]["sizeBytes"].as_u64().unwrap() > 0);
}

/// A data folder whose filesystem can be made to refuse writes: a small
/// tmpfs filled up (as root), or a folder made read-only (otherwise).
pub struct FailingDisk {
    pub dir: tempfile::TempDir,
    mounted: bool,
}

impl FailingDisk {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        assert!(
            mounted || !root,
            "as root this test needs to mount a tmpfs to fill it; run it where mount is allowed"
        );
        Self { dir, mounted }
    }

    /// Whether [`fail`](Self::fail) really fills a disk (a tmpfs as root)
    /// rather than taking a folder's write permission.
    pub fn fills_up(&self) -> bool {
        self.mounted
    }

    /// Takes every free byte (or the write permission of `data`).
    pub fn fail(&self, data: &std::path::Path) {
        if self.mounted {
            // Large blocks first, then small ones for the last bytes.
            for (i, block) in ["64k", "512"].iter().enumerate() {
                let filler = self.dir.path().join(format!("filler-{i}"));
                let _ = Command::new("dd")
                    .args(["if=/dev/zero", &format!("bs={block}")])
                    .arg(format!("of={}", filler.display()))
                    .output();
            }
        } else {
            set_mode(data, 0o500);
        }
    }

    pub fn heal(&self, data: &std::path::Path) {
        if self.mounted {
            for i in 0..2 {
                std::fs::remove_file(self.dir.path().join(format!("filler-{i}"))).unwrap();
            }
        } else {
            set_mode(data, 0o700);
        }
    }
}

impl Drop for FailingDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn ready_fails_the_store_check_when_the_data_folder_refuses_writes_and_recovers() {
    let disk = FailingDisk::new();
    let data = tempfile::TempDir::new_in(disk.dir.path()).unwrap();
    let app =
        crate::helpers::spawn_app_in(data, &[("LAUNCHPAD_READY_MIN_FREE_DISK_MB", "0")]).await;
    assert_eq!(ready(&app).await.0, StatusCode::OK);

    disk.fail(app.data_dir.path());
    let (status, body) = ready(&app).await;
    disk.heal(app.data_dir.path());

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let store = check(&body, "store");
    assert_eq!(store["ok"], false, "{body}");
    let detail = store["detail"].as_str().unwrap();
    assert!(
        detail.contains("cannot write in the data folder") || detail.contains("space"),
        "{store}"
    );
    assert_eq!(ready(&app).await.0, StatusCode::OK, "it recovers");
}

#[tokio::test]
async fn readiness_probes_do_not_invalidate_cached_api_responses() {
    let app = spawn_app_with(&[]).await;
    let first = app.get("/api/v1/projects").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();

    for _ in 0..3 {
        assert_eq!(ready(&app).await.0, StatusCode::OK);
    }
    let again = app.get_if_none_match("/api/v1/projects", &etag).await;

    assert_eq!(
        again.status(),
        StatusCode::NOT_MODIFIED,
        "a probe changed the ETag"
    );
}
