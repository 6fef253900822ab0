//! The store over PostgreSQL, driven through its own handle: the engine
//! seam keeps redb's promises on a real server.

use launchpad::domain::{NewProject, ProjectName};
use launchpad::store::{Store, StoreOptions};

/// A new, empty database on the test server, and a pool of connections to it.
pub async fn fresh_database() -> deadpool_postgres::Pool {
    let admin = std::env::var("LAUNCHPAD_TEST_POSTGRES_URL").expect(
        "LAUNCHPAD_TEST_POSTGRES_URL names the test PostgreSQL server: start one with scripts/pg-test-server.sh start",
    );
    let name = format!("lp_test_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("the test server answers");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database is created");
    let mut config: tokio_postgres::Config = admin.parse().unwrap();
    config.dbname(&name);
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager)
        .max_size(8)
        .build()
        .unwrap()
}

fn options(dir: &std::path::Path, pool: deadpool_postgres::Pool) -> StoreOptions {
    StoreOptions {
        postgres: Some(pool),
        ..crate::helpers::settings_for(dir, &[("LAUNCHPAD_DEMO_DATA", "true")]).store_options()
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
