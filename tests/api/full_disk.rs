//! A full disk under a running server, on a real filesystem (a tmpfs, and a
//! small ext4 image where loop devices exist): every write is answered
//! promptly with a 503 that says the disk is full, `/ready` names the store,
//! no acknowledged write is lost, and once space returns the service
//! recovers by itself, without a restart; a stop while full is prompt.

use crate::helpers::blocking::{self, Answer, Blocking};
use crate::helpers::{failing_checks, spawn_binary};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// No request may take longer than this, full disk or not.
const PATIENCE: Duration = Duration::from_secs(20);

/// A small filesystem of its own, mounted on a temporary folder.
struct SmallDisk {
    mount: tempfile::TempDir,
    /// The ext4 image behind a loop mount.
    _image: Option<tempfile::TempDir>,
}

impl SmallDisk {
    /// A 16 MiB tmpfs; `None` where mounting is not allowed (not root).
    fn tmpfs() -> Option<Self> {
        let mount = tempfile::tempdir().unwrap();
        mount_ok(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
                .arg(mount.path()),
        )
        .then_some(Self {
            mount,
            _image: None,
        })
    }

    /// A 32 MiB ext4 image on a loop device; `None` without root, loop
    /// devices or mkfs.ext4.
    fn ext4() -> Option<Self> {
        let image_dir = tempfile::tempdir().unwrap();
        let image = image_dir.path().join("disk.ext4");
        std::fs::File::create(&image)
            .unwrap()
            .set_len(32 * 1024 * 1024)
            .unwrap();
        let formatted = mount_ok(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image));
        let mount = tempfile::tempdir().unwrap();
        (formatted
            && mount_ok(
                Command::new("mount")
                    .args(["-o", "loop"])
                    .arg(&image)
                    .arg(mount.path()),
            ))
        .then_some(Self {
            mount,
            _image: Some(image_dir),
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.mount.path().join("data")
    }

    /// Takes every free byte: large blocks first, then small ones.
    fn fill(&self) {
        for (i, block) in ["1M", "64k", "4k", "512"].iter().enumerate() {
            let _ = Command::new("dd")
                .args(["if=/dev/zero", &format!("bs={block}")])
                .arg(format!(
                    "of={}",
                    self.mount.path().join(format!("filler-{i}")).display()
                ))
                .output();
        }
    }

    fn free(&self) {
        for i in 0..4 {
            let _ = std::fs::remove_file(self.mount.path().join(format!("filler-{i}")));
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount.path())
            .status();
    }
}

fn mount_ok(command: &mut Command) -> bool {
    command.output().is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A full-disk refusal: 503 problem+json naming the full disk, with `Retry-After`.
fn assert_disk_full_refusal(answer: &Answer) {
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
    assert!(answer.retry_after.is_some(), "no Retry-After");
    assert_eq!(
        answer.body["type"], "urn:launchpad:problem:disk-full",
        "{}",
        answer.body
    );
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("disk holding the store is full"),
        "{}",
        answer.body
    );
}

/// Writers that create projects until told to stop, counting every answer.
struct Load {
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
    writers: Vec<std::thread::JoinHandle<Result<(), String>>>,
}

impl Load {
    fn start(url: String, writers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let writers = (0..writers)
            .map(|w| {
                let (url, stop) = (url.clone(), Arc::clone(&stop));
                let (acknowledged, refused) = (Arc::clone(&acknowledged), Arc::clone(&refused));
                std::thread::spawn(move || {
                    let client = blocking::with_timeout(PATIENCE);
                    let mut i = 0;
                    while !stop.load(Ordering::Acquire) {
                        i += 1;
                        let body = json!({ "name": format!("Load {w}-{i}") });
                        let answer = client
                            .send("POST", &url, Some(&body))
                            .map_err(|e| format!("a write got no answer: {e}"))?;
                        match answer.status {
                            201 => acknowledged
                                .lock()
                                .unwrap()
                                .push(answer.body["id"].as_str().unwrap().to_owned()),
                            503 => {
                                assert_disk_full_refusal(&answer);
                                refused.fetch_add(1, Ordering::AcqRel);
                                // What Retry-After asks, shortened to keep the test brisk.
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            other => return Err(format!("unexpected {other}: {}", answer.body)),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        Self {
            stop,
            acknowledged,
            refused,
            writers,
        }
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::Acquire)
    }

    /// Waits until `done` holds, failing with `what` after `limit`.
    fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what} did not happen within {limit:?} ({} acknowledged, {} refused)",
                self.acknowledged(),
                self.refused()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the writers and returns every acknowledged id.
    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Release);
        for writer in self.writers {
            writer.join().unwrap().unwrap();
        }
        Arc::try_unwrap(self.acknowledged)
            .unwrap()
            .into_inner()
            .unwrap()
    }
}

fn ready(client: &Blocking, base: &str) -> Answer {
    client
        .send("GET", &format!("{base}/ready"), None)
        .expect("/ready answers")
}

/// Polls `/ready` until it answers `status`, for at most `limit`.
fn ready_becomes(client: &Blocking, base: &str, status: u16, limit: Duration) -> Answer {
    let deadline = Instant::now() + limit;
    loop {
        let answer = ready(client, base);
        if answer.status == status || Instant::now() >= deadline {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_all_present(client: &Blocking, base: &str, ids: &[String], when: &str) {
    for id in ids {
        let answer = client
            .send("GET", &format!("{base}/api/v1/projects/{id}"), None)
            .unwrap();
        assert_eq!(
            answer.status, 200,
            "acknowledged project {id} is missing {when}"
        );
    }
}

const ENV: &[(&str, &str)] = &[
    ("LAUNCHPAD_DEMO_DATA", "false"),
    ("LAUNCHPAD_READY_MIN_FREE_DISK_MB", "0"),
    ("LAUNCHPAD_HTTP_SHUTDOWN_TIMEOUT_SECS", "5"),
    // The writers all come from one address; its budget must not be what stops them.
    ("LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND", "100000"),
];

/// The whole night: writes in flight, the disk fills, every write is
/// refused promptly, space is freed, the service recovers by itself, and
/// every acknowledged write is there, before and after a restart.
fn writes_survive_a_full_disk_and_resume_when_space_returns(disk: SmallDisk) {
    let data = disk.data_dir();
    let mut server = spawn_binary(&data, ENV);
    let base = server.url("");
    let client = blocking::with_timeout(PATIENCE);
    let load = Load::start(server.url("/api/v1/projects"), 8);
    load.wait_for("the first writes", PATIENCE, |l| l.acknowledged() >= 200);

    disk.fill();
    load.wait_for("refusals on the full disk", PATIENCE, |l| {
        l.refused() >= 100
    });
    let full = ready(&client, &base);
    assert_eq!(full.status, 503, "{}", full.body);
    assert!(
        failing_checks(&full.body).contains(&"store".to_owned()),
        "{}",
        full.body
    );
    let one = client
        .send(
            "POST",
            &server.url("/api/v1/projects"),
            Some(&json!({ "name": "While full" })),
        )
        .unwrap();
    assert_disk_full_refusal(&one);

    disk.free();
    let recovered = ready_becomes(&client, &base, 200, PATIENCE);
    assert_eq!(recovered.status, 200, "no recovery: {}", recovered.body);
    let before = load.acknowledged();
    load.wait_for("writes after recovery", PATIENCE, |l| {
        l.acknowledged() >= before + 200
    });
    let acknowledged = load.finish();

    assert_all_present(&client, &base, &acknowledged, "after the recovery");
    server.signal("TERM");
    assert!(server.wait_exit(30).success());
    let restarted = spawn_binary(&data, ENV);
    assert_all_present(
        &client,
        &restarted.url(""),
        &acknowledged,
        "after a restart",
    );
    assert_no_line_at_level(&restarted.output(), "PANIC");
}

fn assert_no_line_at_level(lines: &[String], level: &str) {
    assert!(
        !lines
            .iter()
            .any(|l| l.contains(&format!("\"level\":\"{level}\""))),
        "{lines:?}"
    );
}

/// A small tmpfs, which root must be able to mount; `None` (the test
/// skips) for anyone else.
fn tmpfs_or_skip() -> Option<SmallDisk> {
    let disk = SmallDisk::tmpfs();
    if disk.is_none() {
        assert!(
            !is_root(),
            "as root this test must be able to mount a tmpfs"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
    }
    disk
}

#[test]
fn on_a_full_tmpfs_writes_are_refused_promptly_and_resume_with_nothing_lost() {
    let Some(disk) = tmpfs_or_skip() else {
        return;
    };
    writes_survive_a_full_disk_and_resume_when_space_returns(disk);
}

#[test]
fn on_a_full_ext4_image_writes_are_refused_promptly_and_resume_with_nothing_lost() {
    let Some(disk) = SmallDisk::ext4() else {
        eprintln!("skipped: no loop device, mkfs.ext4 or root here");
        return;
    };
    writes_survive_a_full_disk_and_resume_when_space_returns(disk);
}

#[test]
fn a_stop_while_the_disk_is_full_ends_within_the_shutdown_timeout() {
    let Some(disk) = tmpfs_or_skip() else {
        return;
    };
    let mut server = spawn_binary(&disk.data_dir(), ENV);
    let load = Load::start(server.url("/api/v1/projects"), 4);
    disk.fill();
    load.wait_for("refusals on the full disk", PATIENCE, |l| l.refused() >= 20);

    server.signal("TERM");
    // The shutdown timeout is 5 s; a wedged writer used to take all of it and more.
    let status = server.wait_exit(15);
    load.stop.store(true, Ordering::Release);
    disk.free();

    assert!(status.success(), "{status:?}");
    assert!(
        server
            .output()
            .iter()
            .any(|l| l.contains("the store is closed")),
        "{:?}",
        server.output()
    );
}
