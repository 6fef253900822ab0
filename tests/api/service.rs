//! The service under systemd: notify messages on a real `NOTIFY_SOCKET`,
//! the watchdog fed while the store's writer answers (a full disk included,
//! with the outage in the status line), and rolling log files.

use crate::helpers::{
    EMAIL_SENTINEL, NOTES_SENTINEL, RunningBinary, binary, http, seed, spawn_binary,
};
use crate::readiness::FailingDisk;
use serde_json::json;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// A notify socket like systemd's, in its own folder.
struct Notify {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    socket: UnixDatagram,
}

impl Notify {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        Self {
            _dir: dir,
            path,
            socket,
        }
    }

    fn env(&self) -> [(&str, &str); 2] {
        [
            ("NOTIFY_SOCKET", self.path.to_str().unwrap()),
            // 200 ms: pings every 100 ms.
            ("WATCHDOG_USEC", "200000"),
        ]
    }

    /// Messages received within `window`.
    fn during(&self, window: Duration) -> Vec<String> {
        let until = Instant::now() + window;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < until {
            if let Ok(n) = self.socket.recv(&mut buf) {
                out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        out
    }

    /// Messages up to and including the first containing `wanted`.
    fn until(&self, wanted: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut out = Vec::new();
        while Instant::now() < deadline {
            out.extend(self.during(Duration::from_millis(100)));
            if let Some(i) = out.iter().position(|m| m.contains(wanted)) {
                out.truncate(i + 1);
                return out;
            }
        }
        panic!("no {wanted} within 20 s; got {out:?}");
    }
}

fn pings(messages: &[String]) -> usize {
    messages
        .iter()
        .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        .count()
}

#[test]
fn systemd_hears_extend_timeout_during_migrations_then_ready_watchdog_and_stopping() {
    let notify = Notify::new();
    let dir = tempfile::tempdir().unwrap();

    let server = spawn_binary(&dir.path().join("data"), &notify.env());
    let before_ready = notify.until("READY=1");

    let ready = before_ready.last().unwrap();
    let extend = before_ready
        .iter()
        .position(|m| m.contains("EXTEND_TIMEOUT_USEC="))
        .expect("a fresh store migrates and asks for more time first");
    assert!(extend < before_ready.len() - 1);
    assert!(
        ready.contains(&format!("STATUS=serving on port {}", server.port)),
        "{ready}"
    );
    assert_eq!(http("GET", &server.url("/health"), None).0, 200);
    assert!(
        pings(&notify.during(Duration::from_millis(800))) >= 3,
        "the watchdog is fed every 100 ms"
    );
    server.signal("TERM");
    notify.until("STOPPING=1");
}

#[test]
fn the_watchdog_stays_fed_on_a_full_disk_and_systemd_hears_the_outage_and_the_recovery() {
    let notify = Notify::new();
    let disk = FailingDisk::new();
    if !disk.fills_up() {
        eprintln!("skipped: filling a disk needs a tmpfs, which needs root");
        return;
    }
    let data = disk.dir.path().join("data");
    let server = spawn_binary(
        &data,
        &[
            notify.env()[0],
            notify.env()[1],
            ("LAUNCHPAD_READY_MIN_FREE_DISK_MB", "0"),
        ],
    );
    notify.until("READY=1");

    disk.fail(&data);
    // A write meets the full disk, and the writer turns to refusing.
    http(
        "POST",
        &server.url("/api/v1/projects"),
        Some(&json!({ "name": "Full" })),
    );
    let outage = notify.until("STATUS=not ready: the disk holding the store is full");
    let while_full = pings(&notify.during(Duration::from_secs(1)));
    disk.heal(&data);
    let recovered = notify.until(&format!("STATUS=serving on port {}", server.port));

    assert!(
        pings(&outage) + while_full >= 3,
        "a writer that answers \"disk full\" is alive: the watchdog is fed, so systemd does not restart it into a full disk"
    );
    assert!(!recovered.is_empty());
    drop(server);
}

const ADDED_PASSWORD: &str = "added-user-password-sentinel-5e7a";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` logging to files only, so readiness is found by polling.
fn serve_logging_to(data: &std::path::Path, log_file: &std::path::Path) -> RunningBinary {
    let port = free_port();
    let child = std::process::Command::new(binary())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .env_clear()
        .envs(crate::backend::store_env(data))
        .env("LAUNCHPAD_ANONYMOUS_ROLE", "editor")
        .env("LAUNCHPAD_LOG_FILE", log_file)
        .env("LAUNCHPAD_LOG_RETENTION_DAYS", "7")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let server = RunningBinary {
        child,
        port,
        lines: Default::default(),
        stdout_closed: std::sync::Arc::new(true.into()),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while http("GET", &server.url("/health"), None).0 != 200 {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[test]
fn log_file_holds_every_request_as_json_and_no_personal_data_or_password() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let mut server = serve_logging_to(&dir.path().join("data"), &logs.join("launchpad.log"));
    seed(&server, 20);
    // Through the admin socket, whose requests carry an email and a password.
    let added = std::process::Command::new(binary())
        .args([
            "user",
            "add",
            "--email",
            EMAIL_SENTINEL,
            "--role",
            "viewer",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env_clear()
        .env("LAUNCHPAD_PASSWORD", ADDED_PASSWORD)
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let password = "wrong-password-sentinel-93c1";
    http(
        "POST",
        &server.url("/api/v1/auth/login"),
        Some(&serde_json::json!({ "email": "admin@localhost", "password": password })),
    );
    for _ in 0..200 {
        http("GET", &server.url("/api/v1/projects"), None);
    }

    server.signal("TERM");
    assert!(server.wait_exit(30).success());

    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("launchpad.") && name.ends_with(".log") && name.len() == 24,
        "dated daily file: {name}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let listed = events
        .iter()
        .filter(|e| {
            e["fields"]["message"] == "request completed"
                && e["span"]["route"] == "/api/v1/projects"
                && e["span"]["method"] == "GET"
        })
        .count();
    assert_eq!(listed, 200, "every request line reached the file");
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "stopped; the store is closed")
    );
    assert!(
        events.iter().any(|e| e["fields"]["op"] == "user_add"),
        "the admin request is logged by its operation"
    );
    for secret in [EMAIL_SENTINEL, NOTES_SENTINEL, password, ADDED_PASSWORD] {
        assert!(!text.contains(secret), "{secret} leaked into the log file");
    }
}
