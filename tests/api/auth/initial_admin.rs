//! The initial admin: the first development start prints a one-time admin
//! password that signs in, never logs it and never makes a second one;
//! production makes none, and its first admin comes from `user add`.

use super::support::{ADMIN, PASSWORD, both, json_of, launchpad};
use crate::helpers::{RunningBinary, run, spawn_binary, stop};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Collects the binary's stderr on a thread; join it after the process ends.
fn collect_stderr(server: &mut RunningBinary) -> std::thread::JoinHandle<String> {
    let mut stderr = server.child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    })
}

/// Waits for a stderr line starting with `prefix`, reading as it comes.
fn stderr_line(
    server: &mut RunningBinary,
    prefix: &'static str,
) -> (Option<String>, std::thread::JoinHandle<String>) {
    use std::io::BufRead;
    let stderr = server.child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains(prefix) {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (rx.recv_timeout(Duration::from_secs(10)).ok(), reader)
}

#[tokio::test]
async fn the_first_development_start_prints_an_initial_admin_password_that_signs_in_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_binary(dir.path(), &[]);
    let (line, reader) = stderr_line(&mut server, "initial admin:");
    let line = line.expect("no `initial admin:` line on stderr");
    let password = line
        .split("password:")
        .nth(1)
        .expect("the line names the password")
        .trim()
        .to_owned();
    let client = crate::helpers::client();

    let response = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@localhost", "password": password }))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    let logs = stop(server).join("\n");
    let _ = reader.join();
    let mut again = spawn_binary(dir.path(), &[]);
    let second = collect_stderr(&mut again);
    stop(again);
    let second = second.join().unwrap();

    assert!(line.contains("admin@localhost"), "{line}");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["role"], "admin", "{body}");
    assert!(
        !logs.contains(&password),
        "the initial password reached the logs"
    );
    assert!(
        !second.contains("initial admin"),
        "a second start made another admin: {second}"
    );
}

#[tokio::test]
async fn production_creates_no_initial_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let identity = dir.path().join("identity.age");
    let init = run(
        &["keys", "init", "--identity"],
        &data,
        &[identity.to_str().unwrap()],
    );
    assert!(init.status.success(), "{}", both(&init));
    let env = [
        ("LAUNCHPAD_ENV", "production"),
        ("LAUNCHPAD_DEMO_DATA", "false"),
        ("LAUNCHPAD_ANONYMOUS_ROLE", "none"),
        ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
    ];
    assert!(data.is_absolute());
    let mut server = spawn_binary(&data, &env);
    let stderr = collect_stderr(&mut server);
    let client = crate::helpers::client();

    let guessed = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@localhost", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let users = client
        .get(server.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    let bootstrap = launchpad(
        &data,
        &["user", "add", "--email", ADMIN, "--role", "admin"],
        &[
            ("LAUNCHPAD_PASSWORD", PASSWORD),
            ("LAUNCHPAD_ENV", "production"),
            ("LAUNCHPAD_DEMO_DATA", "false"),
            ("LAUNCHPAD_IDENTITY_FILE", identity.to_str().unwrap()),
        ],
    );
    let operator = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": ADMIN, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    stop(server);
    let stderr = stderr.join().unwrap();

    assert_eq!(guessed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(users.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !stderr.contains("initial admin"),
        "production printed an initial admin: {stderr}"
    );
    assert!(bootstrap.status.success(), "{}", both(&bootstrap));
    assert_eq!(
        operator.status(),
        StatusCode::OK,
        "the admin added with `user add` cannot sign in"
    );
}
