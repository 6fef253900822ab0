//! Several LaunchPad instances on one PostgreSQL database, as behind a load
//! balancer: what one answers the other sees, a session or token from one
//! works on the other, a brute force spread over both is stopped at the
//! count one instance would stop it at, and a database that crashes under
//! write load costs clean 503s and no acknowledged write. Also `store copy`
//! in both directions, through the binary.
//!
//! These need the throwaway server (`scripts/pg-test-server.sh`); the
//! crash test starts a server of its own, so it disturbs no other test.

use crate::auth::support::{PASSWORD, sign_in, with_bearer, with_session};
use crate::backend::{TestServer, test_server};
use crate::helpers::{
    RunningBinary, TestApp, binary, blocking, problem, spawn_app_in, spawn_binary,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tempfile::TempDir;

/// The settings that put an instance on `url`, with the identity at
/// `identity` (every instance must share it) and no anonymous access
/// unless `anonymous` names a role.
fn instance_env(
    server: &TestServer,
    url: &str,
    identity: &Path,
    anonymous: &str,
) -> Vec<(String, String)> {
    let mut env = server.store_env(url);
    env.push((
        "LAUNCHPAD_IDENTITY_FILE".into(),
        identity.display().to_string(),
    ));
    env.push(("LAUNCHPAD_ANONYMOUS_ROLE".into(), anonymous.into()));
    env.push(("LAUNCHPAD_DEMO_DATA".into(), "false".into()));
    env
}

/// A new identity at `dir/identity.age`, as `launchpad keys init` makes one.
fn new_identity(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("identity.age");
    let output = Command::new(binary())
        .args(["keys", "init", "--identity"])
        .arg(&path)
        .env_clear()
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `launchpad user add` on the store `env` names, with [`PASSWORD`].
fn add_user(env: &[(String, String)], email: &str, role: &str) {
    let cli = TempDir::new().unwrap();
    let output = Command::new(binary())
        .args(["user", "add", "--email", email, "--role", role])
        .arg("--data-dir")
        .arg(cli.path())
        .env_clear()
        .envs(env.iter().cloned())
        .env("LAUNCHPAD_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Two in-process instances on one new database, each with its own data
/// folder; the first creates the identity, the second is given it.
async fn pair(anonymous: &str) -> (TestApp, TestApp, Vec<(String, String)>) {
    let server = test_server();
    let url = server.fresh_database();
    let shared = TempDir::new().unwrap();
    let identity = new_identity(shared.path());
    let env = instance_env(&server, &url, &identity, anonymous);
    let a = spawn_app_in(TempDir::new().unwrap(), &borrowed(&env)).await;
    let b = spawn_app_in(TempDir::new().unwrap(), &borrowed(&env)).await;
    // The identity's folder lives as long as the test.
    std::mem::forget(shared);
    (a, b, env)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_answered_by_one_instance_is_read_by_the_other_at_once() {
    let (a, b, _) = pair("editor").await;
    // B's list is read (and cached) before A writes.
    assert!(b.all_projects().await.is_empty());
    let project = a.create_project("Written on A").await;
    let id = project["id"].as_str().unwrap();
    let seen: Vec<String> = b
        .all_projects()
        .await
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, [id]);

    // And back: B renames it, A's next read has the new name.
    let path = format!("/api/v1/projects/{id}");
    let first = a.get(&path).await;
    assert_eq!(first.status(), StatusCode::OK);
    let renamed = b
        .patch_json(&path, &json!({ "name": "Renamed on B" }))
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let again: Value = a.get(&path).await.json().await.unwrap();
    assert_eq!(again["name"], "Renamed on B");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_and_a_token_from_one_instance_work_on_the_other() {
    let (a, b, env) = pair("none").await;
    // A user added from the command line, on the same database.
    add_user(&env, "ops@example.com", "editor");

    let cookie = sign_in(&a, "ops@example.com", PASSWORD).await;
    let on_b = with_session(b.client.get(b.url("/api/v1/projects")), &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), StatusCode::OK);

    let created = with_session(b.client.post(b.url("/api/v1/tokens")), &cookie)
        .json(&json!({ "name": "ci" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let token: Value = created.json().await.unwrap();
    let secret = token["token"].as_str().unwrap();
    let with_token = with_bearer(a.client.get(a.url("/api/v1/projects")), secret)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);

    // Signing out on B ends the session on A too.
    let out = with_session(b.client.post(b.url("/api/v1/auth/logout")), &cookie)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success());
    let after = with_session(a.client.get(a.url("/api/v1/projects")), &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

/// Wrong passwords for one account, sent in turn to `apps`, until one is
/// refused with 429; how many were answered 401 first.
async fn wrong_passwords_until_refused(apps: &[&TestApp], email: &str) -> usize {
    for attempt in 0..100 {
        let app = apps[attempt % apps.len()];
        let response = app
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": format!("guess {attempt} xxxxxxxx") }),
            )
            .await;
        match response.status() {
            StatusCode::UNAUTHORIZED => continue,
            StatusCode::TOO_MANY_REQUESTS => {
                problem(response, StatusCode::TOO_MANY_REQUESTS).await;
                return attempt;
            }
            other => panic!("attempt {attempt}: unexpected {other}"),
        }
    }
    panic!("100 wrong passwords were never refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brute_force_spread_over_two_instances_is_stopped_at_the_count_of_one() {
    let victim = "victim@example.com";
    let (one, unused, env) = pair("none").await;
    unused.stop().await;
    add_user(&env, victim, "viewer");
    let alone = wrong_passwords_until_refused(&[&one], victim).await;

    let (a, b, env) = pair("none").await;
    add_user(&env, victim, "viewer");
    let spread = wrong_passwords_until_refused(&[&a, &b], victim).await;

    assert_eq!(
        spread, alone,
        "two instances let more guesses through than one"
    );
    // The lockout holds on both, even for the right password.
    for app in [&a, &b] {
        let right = app
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": victim, "password": PASSWORD }),
            )
            .await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

/// A PostgreSQL server of the test's own, which it may crash.
struct OwnServer {
    state: TempDir,
}

impl OwnServer {
    fn script(&self, command: &str) -> String {
        let output = Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/pg-test-server.sh"
        ))
        .arg(command)
        .env("LAUNCHPAD_PG_STATE", self.state.path().join("pg.env"))
        .output()
        .expect("the script runs");
        assert!(
            output.status.success(),
            "pg-test-server.sh {command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn start() -> Self {
        let own = Self {
            state: TempDir::new().unwrap(),
        };
        own.script("start");
        own
    }

    fn test_server(&self) -> TestServer {
        TestServer {
            url: self.script("url"),
            ca: self.script("ca").into(),
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/pg-test-server.sh"
        ))
        .arg("stop")
        .env("LAUNCHPAD_PG_STATE", self.state.path().join("pg.env"))
        .output();
    }
}

/// POSTs projects until `stop`; the ids answered 201, and every other
/// answer's status (an answer that never came is a test failure).
fn write_until(server: &RunningBinary, stop: &AtomicBool) -> (Vec<String>, Vec<u16>) {
    let client = blocking::with_timeout(std::time::Duration::from_secs(30));
    let url = server.url("/api/v1/projects");
    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    let mut n = 0;
    while !stop.load(Ordering::Acquire) {
        n += 1;
        let answer = client
            .send("POST", &url, Some(&json!({ "name": format!("write {n}") })))
            .unwrap_or_else(|e| panic!("write {n} got no answer: {e}"));
        match answer.status {
            201 => acked.push(answer.body["id"].as_str().unwrap().to_owned()),
            status => {
                assert_eq!(
                    answer.content_type, "application/problem+json",
                    "write {n}: {status} {}",
                    answer.body
                );
                refused.push(status);
            }
        }
    }
    (acked, refused)
}

/// Asks `/ready` every 100 ms, up to 30 s, until it answers `status`; the
/// last status it answered (0: no answer).
fn ready_turns(app: &RunningBinary, status: u16) -> u16 {
    let mut last = 0;
    for _ in 0..300 {
        last = blocking::client()
            .send("GET", &app.url("/ready"), None)
            .map_or(0, |a| a.status);
        if last == status {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    last
}

#[test]
fn a_database_crashed_under_write_load_costs_503s_and_no_acknowledged_write() {
    let own = OwnServer::start();
    let server = own.test_server();
    let url = server.fresh_database();
    let data = TempDir::new().unwrap();
    let mut env = instance_env(&server, &url, &new_identity(data.path()), "editor");
    // Four writers as fast as they go, from one address: not a budget test.
    env.push((
        "LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND".into(),
        "100000".into(),
    ));
    let app = Arc::new(spawn_binary(data.path(), &borrowed(&env)));

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
            std::thread::spawn(move || write_until(&app, &stop))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    own.script("crash");
    // While it is down, readiness says so, and writes are refused.
    assert_eq!(
        ready_turns(&app, 503),
        503,
        "/ready while the database is down"
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    own.script("resume");
    // Back by itself: no restart of LaunchPad.
    assert_eq!(
        ready_turns(&app, 200),
        200,
        "/ready after the database is back"
    );
    std::thread::sleep(std::time::Duration::from_millis(1000));
    stop.store(true, Ordering::Release);

    let (mut acked, mut refused) = (Vec::new(), Vec::new());
    for writer in writers {
        let (a, r) = writer.join().expect("a writer thread");
        acked.extend(a);
        refused.extend(r);
    }
    assert!(
        !refused.is_empty(),
        "no write was refused while the database was down"
    );
    let other: Vec<&u16> = refused.iter().filter(|&&s| s != 503).collect();
    assert!(
        other.is_empty(),
        "{} refusals other than 503, the first {:?}",
        other.len(),
        other.first()
    );
    let stored = blocking::client().all_ids(&app.url("/api/v1/projects?limit=200"));
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost",
        lost.len(),
        acked.len()
    );
}

/// `launchpad store copy` with the test server's CA.
fn store_copy(server: &TestServer, from: &str, to: &str, force: bool) -> std::process::Output {
    let mut command = Command::new(binary());
    command
        .args(["store", "copy", "--from", from, "--to", to])
        .env_clear()
        .env("LAUNCHPAD_STORE_POSTGRES_CA_FILE", &server.ca);
    if force {
        command.arg("--force");
    }
    command.output().unwrap()
}

#[test]
fn store_copy_moves_a_store_to_postgres_and_back_and_the_copies_serve_the_same_data() {
    let server = test_server();
    let folder = TempDir::new().unwrap();
    let redb_env = [
        ("LAUNCHPAD_STORE_BACKEND", "redb"),
        ("LAUNCHPAD_DEMO_DATA", "true"),
    ];
    let original = spawn_binary(folder.path(), &redb_env);
    let (project_path, _) = crate::helpers::seed(&original, 20);
    let everything =
        |app: &RunningBinary| crate::helpers::http("GET", &app.url(&project_path), None);
    let before = everything(&original);
    // A served folder is refused: its file must be quiet.
    let url = server.fresh_database();
    let busy = store_copy(&server, folder.path().to_str().unwrap(), &url, false);
    assert_eq!(busy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&busy.stderr).contains("stop it first"));
    crate::helpers::stop(original);

    let to_postgres = store_copy(&server, folder.path().to_str().unwrap(), &url, false);
    assert!(
        to_postgres.status.success(),
        "{}",
        String::from_utf8_lossy(&to_postgres.stderr)
    );
    let said = String::from_utf8_lossy(&to_postgres.stdout).into_owned();
    assert!(said.contains("sha256:"), "{said}");
    assert!(
        !said.contains(server.password()),
        "the password shows: {said}"
    );

    // Again without --force: refused, the database unchanged.
    let again = store_copy(&server, folder.path().to_str().unwrap(), &url, false);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    // The PostgreSQL copy serves the same data with the same identity.
    let identity = folder.path().join("identity.age");
    let on_postgres = instance_env(&server, &url, &identity, "editor");
    let elsewhere = TempDir::new().unwrap();
    let served = spawn_binary(elsewhere.path(), &borrowed(&on_postgres));
    assert_eq!(everything(&served), before);
    crate::helpers::stop(served);

    // And back to a new folder.
    let back = TempDir::new().unwrap();
    let home = back.path().join("data");
    let to_redb = store_copy(&server, &url, home.to_str().unwrap(), false);
    assert!(
        to_redb.status.success(),
        "{}",
        String::from_utf8_lossy(&to_redb.stderr)
    );
    std::fs::copy(&identity, home.join("identity.age")).unwrap();
    let served = spawn_binary(&home, &[("LAUNCHPAD_STORE_BACKEND", "redb")]);
    assert_eq!(everything(&served), before);
    crate::helpers::stop(served);
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_commits_a_write_and_metrics_show_the_pool_and_the_round_trips() {
    let (a, b, env) = pair("editor").await;
    b.stop().await;
    let url = env
        .iter()
        .find(|(k, _)| k == "LAUNCHPAD_STORE_POSTGRES_URL")
        .map(|(_, v)| v.replace("sslmode=require&", ""))
        .unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let ready: Value = a.get("/ready").await.json().await.unwrap();
    let store = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store")
        .unwrap();
    assert_eq!(store["ok"], true, "{ready}");
    assert!(
        store["detail"].as_str().unwrap().contains("PostgreSQL"),
        "{store}"
    );
    // The probe's write is in the database: this instance's row, fresh.
    let fresh: bool = client
        .query_one(
            "SELECT count(*) = 1 AND max(at) > now() - interval '1 minute' FROM lp_probe",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(fresh, "/ready wrote no row in lp_probe");

    let metrics = a.get("/metrics").await.text().await.unwrap();
    for name in [
        "launchpad_db_pool_connections{state=\"in_use\"}",
        "launchpad_db_pool_connections{state=\"idle\"}",
        "launchpad_db_pool_waiting",
        "launchpad_db_query_duration_seconds_count",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}");
    }
    let round_trips: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("launchpad_db_query_duration_seconds_count "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(round_trips > 0.0);
}
