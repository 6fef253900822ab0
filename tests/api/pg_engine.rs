//! The store over PostgreSQL, driven through its own handle: the engine
//! seam keeps redb's promises on a real server.

use launchpad::domain::{NewProject, ProjectName};
use launchpad::store::postgres::{self, Pool, PostgresOptions, PostgresUrl};
use launchpad::store::{Store, StoreOptions};

/// A new, empty database on the test server, and a pool of connections to it.
pub async fn fresh_database() -> Pool {
    let server = crate::backend::test_server();
    let url = server.fresh_database();
    postgres::pool(&PostgresOptions {
        url: PostgresUrl::parse(&url).expect("a valid URL"),
        pool_size: 8,
        connect_timeout: std::time::Duration::from_secs(5),
        ca_file: Some(server.ca.clone()),
    })
    .expect("a pool")
}

fn options(dir: &std::path::Path, pool: Pool) -> StoreOptions {
    StoreOptions {
        postgres: Some(pool),
        ..crate::helpers::settings_for(
            dir,
            &[
                ("LAUNCHPAD_DEMO_DATA", "true"),
                ("LAUNCHPAD_STORE_BACKEND", "redb"),
            ],
        )
        .store_options()
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_on_postgres_keeps_what_it_was_given_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let pool = fresh_database().await;
    let store = Store::open(&options(dir.path(), pool.clone()))
        .await
        .unwrap();
    let created = store
        .create_project(NewProject {
            name: ProjectName::parse("On PostgreSQL").unwrap(),
            description: None,
            owner_email: None,
        })
        .await
        .unwrap();
    let page = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.list_projects(None, 50).map(|p| p.projects))
            .await
            .unwrap()
            .unwrap()
    };
    store.close().await;

    let store = Store::open(&options(dir.path(), pool)).await.unwrap();
    let again = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.get_project(created.id))
            .await
            .unwrap()
            .unwrap()
    };
    store.close().await;

    assert_eq!(page.len(), 2, "the demo project and the new one");
    assert_eq!(page[1].name.as_str(), "On PostgreSQL");
    assert_eq!(again.name.as_str(), "On PostgreSQL");
}

/// Every project as the store shows it, read on a blocking thread.
async fn every_project(store: &Store) -> Vec<launchpad::domain::Project> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.list_projects(None, 1000).map(|p| p.projects))
        .await
        .unwrap()
        .unwrap()
}

fn shown(projects: &[launchpad::domain::Project]) -> String {
    serde_json::to_string(projects).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_of_a_postgres_store_restores_into_another_database_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&options(dir.path(), fresh_database().await))
        .await
        .unwrap();
    let before = every_project(&store).await;
    let (db, ring) = (store.database().unwrap(), store.keyring());
    let file = dir.path().join("pg.lpbackup");
    let out = file.clone();
    tokio::task::spawn_blocking(move || {
        let ring = ring.read().unwrap();
        launchpad::backup::take(&db, &ring, &out, None, None, &|_, _| {})
    })
    .await
    .unwrap()
    .unwrap();
    store.close().await;

    let target = fresh_database().await;
    let identity = launchpad::crypto::Identity::load(&dir.path().join("identity.age")).unwrap();
    let restored_into = target.clone();
    let report = tokio::task::spawn_blocking(move || {
        let db = launchpad::store::engine::Db::Postgres(std::sync::Arc::new(
            launchpad::store::engine::pg::PgDb::new(restored_into).unwrap(),
        ));
        launchpad::store::engine::schema::migrate(db.postgres().unwrap()).unwrap();
        launchpad::backup::restore_into(
            &db,
            "the target",
            &file,
            None,
            &identity,
            Default::default(),
        )
    });
    let report = report.await.unwrap().unwrap();
    let restored = Store::open(&options(dir.path(), target)).await.unwrap();
    let after = every_project(&restored).await;
    restored.close().await;

    assert!(report.replacing.is_none(), "an empty database");
    assert_eq!(shown(&after), shown(&before));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_copies_from_redb_to_postgres_and_back_verified_record_by_record() {
    use launchpad::store::engine::{Db, pg::PgDb, schema};
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::settings_for(dir.path(), &[("LAUNCHPAD_STORE_BACKEND", "redb")]);
    let store = Store::open(&settings.store_options().unwrap())
        .await
        .unwrap();
    let before = every_project(&store).await;
    store.close().await;
    let pool = fresh_database().await;
    let back = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("identity.age"),
        back.path().join("identity.age"),
    )
    .unwrap();

    let (there, home) = {
        let (file, pool, back_file) = (
            dir.path().join("launchpad.redb"),
            pool.clone(),
            back.path().join("launchpad.redb"),
        );
        tokio::task::spawn_blocking(move || {
            let redb = launchpad::store::open_read_only_for(&file).unwrap();
            let pg = Db::Postgres(std::sync::Arc::new(PgDb::new(pool).unwrap()));
            schema::migrate(pg.postgres().unwrap()).unwrap();
            let there = launchpad::backup::copy(&redb, &pg, false).unwrap();
            let fresh = launchpad::store::create_private_store(&back_file, 1 << 20).unwrap();
            let home =
                launchpad::backup::copy(&pg, &Db::Redb(std::sync::Arc::new(fresh)), false).unwrap();
            (there, home)
        })
        .await
        .unwrap()
    };
    let on_postgres = Store::open(&options(dir.path(), pool)).await.unwrap();
    let copied = every_project(&on_postgres).await;
    on_postgres.close().await;
    let back_settings =
        crate::helpers::settings_for(back.path(), &[("LAUNCHPAD_STORE_BACKEND", "redb")]);
    let home_again = Store::open(&back_settings.store_options().unwrap())
        .await
        .unwrap();
    let round_trip = every_project(&home_again).await;
    home_again.close().await;

    assert_eq!(there, home, "the same rows and checksum both ways");
    assert!(there.counts["projects"] >= 1);
    assert_eq!(shown(&copied), shown(&before));
    assert_eq!(shown(&round_trip), shown(&before));
}
