//! In-process figures the HTTP benchmark cannot separate: what sealing a
//! field costs, and durable write throughput through the group commit with
//! and without 1 KB notes (sealing, journaling and the larger rows together).
//!
//! `cargo bench --bench store` runs the full measurement; under `cargo test`
//! it runs a few iterations only, to prove it still works.

use launchpad::crypto::{DataKey, Keyring, binding};
use launchpad::domain::{
    ChecklistName, NewChecklist, NewProject, NewTask, ProjectName, TaskNotes, TaskTitle,
};
use launchpad::store::{IdentityOptions, Store, StoreOptions};
use std::time::Instant;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full { 1 } else { 100 };
    sealing(200_000 / scale);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for writers in [1, 8, 64] {
        for notes in [false, true] {
            runtime.block_on(writes(writers, 20_000 / scale, notes));
        }
    }
}

fn sealing(rounds: usize) {
    let ring = Keyring::new(DataKey::generate());
    for size in [100, 1024] {
        let plain = vec![b'x'; size];
        let aad = binding("tasks", 42, "notes");
        let started = Instant::now();
        let mut sealed = Vec::new();
        for _ in 0..rounds {
            sealed = ring.seal(&aad, &plain);
        }
        let seal = started.elapsed().as_secs_f64() / rounds as f64;
        let started = Instant::now();
        for _ in 0..rounds {
            ring.open(&aad, &sealed).unwrap();
        }
        let open = started.elapsed().as_secs_f64() / rounds as f64;
        println!(
            "seal {size:>5} B: {:>6.2} µs   open: {:>6.2} µs   overhead {} B",
            seal * 1e6,
            open * 1e6,
            sealed.len() - size
        );
    }
}

async fn writes(writers: usize, total: usize, notes: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreOptions {
        data_dir: dir.path().to_owned(),
        identity: IdentityOptions {
            path: dir.path().join("identity.age"),
            may_create: true,
            require_private: false,
        },
        cache_bytes: 16 << 20,
        quick_repair: true,
        demo_data: false,
        postgres: None,
    })
    .await
    .unwrap();
    let project = store
        .create_project(NewProject {
            name: ProjectName::parse("Bench").unwrap(),
            description: None,
            owner_email: None,
        })
        .await
        .unwrap();
    let checklist = store
        .create_checklist(
            project.id,
            NewChecklist {
                name: ChecklistName::parse("Bench").unwrap(),
            },
        )
        .await
        .unwrap();
    let text = TaskNotes::parse(&"n".repeat(1024)).unwrap();
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let text = text.clone();
        let (project, checklist) = (project.id, checklist.id);
        handles.push(tokio::spawn(async move {
            for i in 0..total / writers {
                let task = NewTask {
                    title: TaskTitle::parse(&format!("Task {w}-{i}")).unwrap(),
                    notes: notes.then(|| text.clone()),
                    due_date: None,
                    pillar: None,
                    required: false,
                };
                store.create_task(project, checklist, task).await.unwrap();
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let rate = (total / writers * writers) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{writers:>3} writers, {}: {rate:>8.0} durable creates/s",
        if notes { "1 KB notes" } else { "no notes  " }
    );
    store.close().await;
}
