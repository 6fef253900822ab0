//! Durability: everything written survives a restart on the same folder,
//! ids keep sorting after one, parallel writes are all acknowledged and
//! present, and a SIGTERM under load loses no acknowledged write.

use crate::helpers::{blocking, spawn_app_in, spawn_binary, spawn_empty_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test]
async fn everything_written_survives_a_restart_on_the_same_folder() {
    let app = spawn_empty_app().await;
    let project = app.create_project("Durable").await;
    let pid = project["id"].as_str().unwrap().to_owned();
    let cid = app.create_checklist(&pid, "Kept").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/projects/{pid}/checklists/{cid}/tasks");
    let task: Value = app
        .post_json(
            &path,
            &json!({ "title": "Remembered", "notes": "n", "dueDate": "2027-03-01" }),
        )
        .await
        .json()
        .await
        .unwrap();
    app.patch_json(
        &format!("{path}/{}", task["id"].as_str().unwrap()),
        &json!({ "status": "done" }),
    )
    .await;
    let before = app.all_projects().await;

    let app = spawn_app_in(app.stop().await, &[("LAUNCHPAD_DEMO_DATA", "false")]).await;

    assert_eq!(app.all_projects().await, before);
    assert_eq!(before[0]["checklists"][0]["tasks"][0]["status"], "done");
}

#[tokio::test]
async fn ids_minted_after_a_restart_still_sort_after_earlier_ones() {
    let app = spawn_empty_app().await;
    app.create_project("Before restart").await;
    let app = spawn_app_in(app.stop().await, &[("LAUNCHPAD_DEMO_DATA", "false")]).await;

    app.create_project("After restart").await;

    let names: Vec<Value> = app
        .all_projects()
        .await
        .into_iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, ["Before restart", "After restart"]);
}

#[tokio::test]
async fn sixty_four_parallel_creates_are_all_acknowledged_and_present() {
    let app = spawn_empty_app().await;

    let mut requests = Vec::new();
    for i in 0..64 {
        let client = app.client.clone();
        let url = app.url("/api/v1/projects");
        requests.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .json(&json!({ "name": format!("Parallel {i:02}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut acknowledged = HashSet::new();
    for request in requests {
        acknowledged.insert(request.await.unwrap());
    }

    let stored: HashSet<String> = app
        .all_projects()
        .await
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(acknowledged.len(), 64);
    assert_eq!(stored, acknowledged);
}

#[tokio::test]
async fn parallel_creates_and_a_bad_request_in_the_same_moment_do_not_disturb_each_other() {
    let app = spawn_empty_app().await;

    let mut requests = Vec::new();
    for i in 0..32 {
        let client = app.client.clone();
        let url = app.url("/api/v1/projects");
        let name = if i % 8 == 0 {
            "x".to_owned()
        } else {
            format!("Mixed {i:02}")
        };
        requests.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({ "name": name }))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }

    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count(),
        4
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        28
    );
    assert_eq!(app.all_projects().await.len(), 28);
}

#[test]
fn sigterm_under_load_stops_cleanly_and_every_acknowledged_write_survives() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut server = spawn_binary(dir.path(), &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let url = server.url("/api/v1/projects");

    let writers: Vec<_> = (0..8)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = blocking::client();
                let mut acknowledged = Vec::new();
                for i in 0..10_000 {
                    match client.post(&url, &json!({ "name": format!("Load {w}-{i}") })) {
                        Some((201, body)) => {
                            acknowledged.push(body["id"].as_str().unwrap().to_owned())
                        }
                        _ => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    server.signal("TERM");
    let status = server.wait_exit(35);
    let acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    assert!(status.success(), "exit status {status:?}");
    assert!(
        server
            .output()
            .iter()
            .any(|l| l.contains("the store is closed"))
    );
    assert!(!acknowledged.is_empty());
    let restarted = spawn_binary(dir.path(), &[("LAUNCHPAD_DEMO_DATA", "false")]);
    let client = blocking::client();
    let stored = client.all_ids(&restarted.url("/api/v1/projects?limit=200"));
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged project {id} was lost");
    }
}
