//! Safe retries: a `POST` sent again with the same `Idempotency-Key` gets
//! the first answer back and changes nothing more, whatever happened to
//! that first answer (a cut connection, a killed server), a reused key with
//! another body is a 422, a key in flight a 409, and keys belong to their
//! caller.

use crate::auth::support::{ADMIN, EDITOR, cli_token, folder_with_team, serve};
use crate::backup::{stderr, written};
use crate::helpers::{TestApp, error_fields, problem, run, spawn_binary, spawn_empty_app};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;

/// POSTs `body` to `path` with `Idempotency-Key: key` and, when given, a bearer token.
async fn keyed(
    app: &TestApp,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = crate::helpers::client()
        .post(app.url(path))
        .header("idempotency-key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

fn replayed(response: &Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

async fn names(app: &TestApp) -> Vec<String> {
    app.all_projects()
        .await
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_first_answer_and_makes_one_project() {
    let app = spawn_empty_app().await;
    let body = json!({ "name": "Checkout", "ownerEmail": "ada@example.com" });

    let first = keyed(&app, "/api/v1/projects", "retry-1", None, &body).await;
    let (first_location, first_etag) = (
        first.headers()["location"].clone(),
        first.headers()["etag"].clone(),
    );
    assert!(!replayed(&first));
    let first: Value = first.json().await.unwrap();
    // The same JSON spelled differently is the same request.
    let again = crate::helpers::client()
        .post(app.url("/api/v1/projects"))
        .header("idempotency-key", "retry-1")
        .header("content-type", "application/json")
        .body(r#"{ "ownerEmail": "ada@example.com",   "name": "Checkout" }"#)
        .send()
        .await
        .unwrap();

    assert_eq!(again.status(), StatusCode::CREATED);
    assert!(replayed(&again), "{:?}", again.headers());
    assert_eq!(again.headers()["location"], first_location);
    assert_eq!(again.headers()["etag"], first_etag);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(names(&app).await, ["Checkout"]);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_naming_the_key_and_changes_nothing() {
    let app = spawn_empty_app().await;
    keyed(
        &app,
        "/api/v1/projects",
        "k",
        None,
        &json!({ "name": "First" }),
    )
    .await;

    let reused = keyed(
        &app,
        "/api/v1/projects",
        "k",
        None,
        &json!({ "name": "Second" }),
    )
    .await;
    let elsewhere = keyed(
        &app,
        &format!(
            "/api/v1/projects/{}/checklists",
            app.all_projects().await[0]["id"].as_str().unwrap()
        ),
        "k",
        None,
        &json!({ "name": "First" }),
    )
    .await;

    let body = problem(reused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["Idempotency-Key"], "{body}");
    assert_eq!(elsewhere.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(names(&app).await, ["First"]);
}

#[tokio::test]
async fn a_refused_body_is_not_kept_so_a_corrected_retry_under_the_same_key_runs() {
    let app = spawn_empty_app().await;

    let refused = keyed(
        &app,
        "/api/v1/projects",
        "fix-me",
        None,
        &json!({ "name": "x" }),
    )
    .await;
    let corrected = keyed(
        &app,
        "/api/v1/projects",
        "fix-me",
        None,
        &json!({ "name": "Fixed" }),
    )
    .await;

    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(corrected.status(), StatusCode::CREATED);
    assert!(!replayed(&corrected));
    assert_eq!(names(&app).await, ["Fixed"]);
}

#[tokio::test]
async fn a_key_that_is_empty_too_long_or_not_visible_ascii_is_a_400_naming_it() {
    let app = spawn_empty_app().await;

    for key in ["", &"k".repeat(256), "two words"] {
        let response = keyed(
            &app,
            "/api/v1/projects",
            key,
            None,
            &json!({ "name": "Never" }),
        )
        .await;
        let body = problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(error_fields(&body), ["Idempotency-Key"], "{key:?}: {body}");
    }
    assert!(names(&app).await.is_empty());
}

/// Sends a keyed project POST over a raw connection, its body cut short
/// after `sent` bytes; the connection is returned open.
fn start_keyed_post(port: u16, key: &str, body: &str, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /api/v1/projects HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nidempotency-key: {key}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..sent]).unwrap();
    stream.flush().unwrap();
    stream
}

fn port_of(app: &TestApp) -> u16 {
    app.url("").rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_retry_while_the_first_request_is_still_in_flight_is_a_409_then_replays() {
    let app = spawn_empty_app().await;
    let body = r#"{"name":"In flight"}"#;
    let mut first = start_keyed_post(port_of(&app), "flight", body, 5);
    // The first request's head is in; its body is still arriving.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let during = keyed(
        &app,
        "/api/v1/projects",
        "flight",
        None,
        &serde_json::from_str(body).unwrap(),
    )
    .await;
    first.write_all(&body.as_bytes()[5..]).unwrap();
    let mut answer = [0u8; 12];
    first.read_exact(&mut answer).unwrap();
    let after = keyed(
        &app,
        "/api/v1/projects",
        "flight",
        None,
        &serde_json::from_str(body).unwrap(),
    )
    .await;

    assert_eq!(during.headers()["retry-after"], "1");
    problem(during, StatusCode::CONFLICT).await;
    assert_eq!(&answer, b"HTTP/1.1 201");
    assert!(replayed(&after));
    assert_eq!(names(&app).await, ["In flight"]);
}

#[tokio::test]
async fn a_retry_after_the_connection_was_cut_makes_exactly_one_project() {
    let app = spawn_empty_app().await;
    let body = r#"{"name":"Cut off"}"#;
    drop(start_keyed_post(port_of(&app), "cut", body, body.len()));

    // As a client would: while the first is still being answered (409),
    // wait as Retry-After says and send it again.
    let mut retry;
    loop {
        retry = keyed(
            &app,
            "/api/v1/projects",
            "cut",
            None,
            &serde_json::from_str(body).unwrap(),
        )
        .await;
        if retry.status() != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }

    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(names(&app).await, ["Cut off"]);
}

#[tokio::test]
async fn keys_belong_to_their_caller_so_two_callers_sharing_one_key_each_get_their_own() {
    let dir = folder_with_team();
    let editor = cli_token(dir.path(), EDITOR, "retry");
    let admin = cli_token(dir.path(), ADMIN, "retry");
    let app = serve(
        dir,
        &[
            ("LAUNCHPAD_ANONYMOUS_ROLE", "none"),
            ("LAUNCHPAD_DEMO_DATA", "false"),
        ],
    )
    .await;
    let body = json!({ "name": "Shared key" });

    let mine = keyed(&app, "/api/v1/projects", "same", Some(&editor), &body).await;
    let theirs = keyed(&app, "/api/v1/projects", "same", Some(&admin), &body).await;

    assert_eq!(mine.status(), StatusCode::CREATED);
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert!(!replayed(&theirs), "another caller's key is not mine");
    let mine: Value = mine.json().await.unwrap();
    let theirs: Value = theirs.json().await.unwrap();
    assert_ne!(mine["id"], theirs["id"]);
}

#[tokio::test]
async fn every_kind_of_created_record_is_replayed_with_its_first_answer() {
    let app = spawn_empty_app().await;
    let project = app.create_project("Replays").await;
    let p = project["id"].as_str().unwrap();
    let checklist = app.create_checklist(p, "Launch").await;
    let c = checklist["id"].as_str().unwrap();
    let cases = [
        (
            format!("/api/v1/projects/{p}/checklists"),
            json!({ "name": "Second list" }),
        ),
        (
            format!("/api/v1/projects/{p}/checklists/{c}/tasks"),
            json!({ "title": "Page the on-call" }),
        ),
        (
            format!("/api/v1/projects/{p}/assessments"),
            crate::scorecards::body([2, 2, 2, 2]),
        ),
        (
            format!("/api/v1/projects/{p}/stakeholders"),
            json!({ "role": "Sponsor" }),
        ),
        (
            format!("/api/v1/projects/{p}/north-star/rows"),
            json!({ "goal": "Ship daily" }),
        ),
        (
            format!("/api/v1/projects/{p}/compliance/triggers"),
            json!({ "standard": "gdpr", "status": "open" }),
        ),
        (
            "/api/v1/templates".to_owned(),
            json!({ "projectId": p, "checklistId": c, "name": "Our launch" }),
        ),
    ];

    for (i, (path, body)) in cases.iter().enumerate() {
        let key = format!("case-{i}");
        let first = keyed(&app, path, &key, None, body).await;
        assert_eq!(first.status(), StatusCode::CREATED, "{path}");
        let location = first.headers().get("location").cloned();
        let first: Value = first.json().await.unwrap();
        let again = keyed(&app, path, &key, None, body).await;
        assert!(replayed(&again), "{path}");
        assert_eq!(again.status(), StatusCode::CREATED, "{path}");
        assert_eq!(again.headers().get("location").cloned(), location, "{path}");
        assert_eq!(again.json::<Value>().await.unwrap(), first, "{path}");
    }
    let lists: Vec<Value> = app
        .get(&format!("/api/v1/projects/{p}"))
        .await
        .json::<Value>()
        .await
        .unwrap()["checklists"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(lists.len(), 2, "one checklist added, not two");
}

#[tokio::test]
async fn a_retried_token_creation_names_the_token_it_made_and_never_shows_its_secret_again() {
    let dir = folder_with_team();
    let editor = cli_token(dir.path(), EDITOR, "first");
    let app = serve(dir, &[("LAUNCHPAD_ANONYMOUS_ROLE", "none")]).await;
    let body = json!({ "name": "ci" });

    let first = keyed(&app, "/api/v1/tokens", "tok", Some(&editor), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = keyed(&app, "/api/v1/tokens", "tok", Some(&editor), &body).await;
    assert!(replayed(&again));
    let again = problem(again, StatusCode::CONFLICT).await;
    let listed: Vec<Value> = crate::helpers::client()
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let secret = first["token"].as_str().unwrap();
    assert!(
        again["detail"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap()),
        "{again}"
    );
    assert!(
        !again.to_string().contains(secret),
        "the secret is never kept"
    );
    assert_eq!(listed.iter().filter(|t| t["name"] == "ci").count(), 1);
}

/// POSTs with a key to a running binary with curl; status, replayed, body.
fn keyed_curl(url: &str, key: &str, body: &Value) -> (u16, bool, Value) {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-i",
            "-X",
            "POST",
            url,
            "-H",
            "content-type: application/json",
        ])
        .args([
            "-H",
            &format!("idempotency-key: {key}"),
            "--data-binary",
            &body.to_string(),
        ])
        .output()
        .expect("curl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let replayed = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("idempotent-replayed: true"));
    (
        status,
        replayed,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn project_names(server: &crate::helpers::RunningBinary) -> Vec<String> {
    let (_, projects) = crate::helpers::http("GET", &server.url("/api/v1/projects"), None);
    projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

const OWNER: &str = "retry.owner.sentinel.9d2e@example.com";

#[test]
fn a_server_killed_after_answering_replays_that_answer_once_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_binary(dir.path(), &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let body = json!({ "name": "Survivor", "ownerEmail": OWNER });
    let (status, _, first) = keyed_curl(&server.url("/api/v1/projects"), "killed", &body);
    assert_eq!(status, 201);
    server.signal("KILL");
    drop(server);

    let server = spawn_binary(dir.path(), &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let (status, replayed, again) = keyed_curl(&server.url("/api/v1/projects"), "killed", &body);

    assert_eq!(status, 201);
    assert!(replayed);
    assert_eq!(again, first);
    assert_eq!(project_names(&server), ["Survivor"]);
    for file in crate::readiness_records::every_file(dir.path()) {
        if !file.metadata().unwrap().is_file() {
            continue; // the admin socket a killed server leaves behind
        }
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(OWNER.len()).any(|w| w == OWNER.as_bytes()),
            "{} holds the kept answer's owner in plain text",
            file.display()
        );
    }
}

#[test]
fn kept_answers_come_back_with_a_restore_a_journal_replay_and_a_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = spawn_binary(&data, &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let empty = written(&run(
        &["backup", "--out"],
        &data,
        &[dir.path().join("empty.lpbk").to_str().unwrap()],
    ));
    let body = json!({ "name": "Kept answer", "ownerEmail": OWNER });
    let url = server.url("/api/v1/projects");
    let (_, _, first) = keyed_curl(&url, "kept", &body);
    let full = run(
        &["backup", "--out"],
        &data,
        &[dir.path().join("full.lpbk").to_str().unwrap()],
    );
    assert!(full.status.success(), "{}", stderr(&full));
    let full = written(&full);
    let journal = dir.path().join("journal.jsonl");
    run(
        &["journal", "export", "--out"],
        &data,
        &[journal.to_str().unwrap()],
    );
    crate::helpers::stop(server);

    let retry_after = |data: &std::path::Path| {
        let server = spawn_binary(data, &[("LAUNCHPAD_DEMO_DATA", "false")]);
        let answer = keyed_curl(&server.url("/api/v1/projects"), "kept", &body);
        let names = project_names(&server);
        crate::helpers::stop(server);
        (answer, names)
    };
    type Change<'a> = Box<dyn Fn() + 'a>;
    let checks: [(&str, Change); 3] = [
        (
            "a restore",
            Box::new(|| {
                let restore = run(&["restore", "--force"], &data, &[full.to_str().unwrap()]);
                assert!(restore.status.success(), "{}", stderr(&restore));
            }),
        ),
        (
            "a journal replay onto an older snapshot",
            Box::new(|| {
                let restore = run(&["restore", "--force"], &data, &[empty.to_str().unwrap()]);
                assert!(restore.status.success(), "{}", stderr(&restore));
                let replay = run(&["journal", "replay"], &data, &[journal.to_str().unwrap()]);
                assert!(replay.status.success(), "{}", stderr(&replay));
            }),
        ),
        (
            "a key rotation",
            Box::new(|| {
                let rotate = run(&["keys", "rotate"], &data, &[]);
                assert!(rotate.status.success(), "{}", stderr(&rotate));
            }),
        ),
    ];
    for (after, change) in checks {
        change();
        let ((status, replayed, again), names) = retry_after(&data);
        assert_eq!(status, 201, "after {after}");
        assert!(replayed, "after {after}");
        assert_eq!(again, first, "after {after}");
        assert_eq!(names, ["Kept answer"], "after {after}");
    }
}

#[tokio::test]
async fn answers_older_than_the_retention_are_pruned_and_the_key_runs_afresh() {
    use launchpad::domain::{NewProject, Project, ProjectName};
    use launchpad::store::Store;
    use launchpad::store::idempotency::{Answer, Claim, Found, answering};
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::settings_for(dir.path(), &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let store = Store::open(&settings.store_options().unwrap())
        .await
        .unwrap();
    let claim = Claim {
        scope: "user:test".into(),
        key: "old".into(),
        fingerprint: "f".into(),
    };
    let kept = Answer {
        status: 201,
        headers: Vec::new(),
        body: "{}".into(),
    };
    let keep = kept.clone();
    let new = NewProject {
        name: ProjectName::parse("Pruned").unwrap(),
        description: None,
        owner_email: None,
    };
    answering(
        Some(claim.clone()),
        move |_: &Project| Some(keep),
        store.create_project(new),
    )
    .await
    .unwrap();
    let found = store.idempotent_answer(&claim).unwrap();

    let recent = store
        .prune_idempotency(launchpad::store::idempotency::KEPT_FOR)
        .await
        .unwrap();
    let all = store.prune_idempotency(0).await.unwrap();
    let after = store.idempotent_answer(&claim).unwrap();
    store.close().await;

    assert_eq!(found, Found::Same(kept));
    assert_eq!(recent, 0, "a fresh answer is kept");
    assert_eq!(all, 1);
    assert_eq!(after, Found::Nothing);
}
