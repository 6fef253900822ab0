//! Which store the HTTP suite runs on. redb by default; with
//! `LAUNCHPAD_TEST_BACKEND=postgres` every app and every run of the binary
//! the helpers start gets a database of its own on the throwaway server
//! (`scripts/pg-test-server.sh`), over TLS verified against its CA, so the
//! same tests prove the same promises on both backends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Whether this run of the suite is on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("LAUNCHPAD_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The throwaway server: its admin URL (no sslmode) and its CA certificate.
pub struct TestServer {
    pub url: String,
    pub ca: PathBuf,
}

/// The server named by `LAUNCHPAD_TEST_POSTGRES_URL` and
/// `LAUNCHPAD_TEST_POSTGRES_CA`, else by the file the script writes.
/// Without one the test fails and says how to start it, rather than pass
/// without having run.
pub fn test_server() -> TestServer {
    let from_env = std::env::var("LAUNCHPAD_TEST_POSTGRES_URL")
        .ok()
        .zip(std::env::var("LAUNCHPAD_TEST_POSTGRES_CA").ok());
    let (url, ca) = from_env.or_else(from_state_file).unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server for the tests: run `scripts/pg-test-server.sh start` \
             (scripts/test.sh does), or set LAUNCHPAD_TEST_POSTGRES_URL and LAUNCHPAD_TEST_POSTGRES_CA"
        )
    });
    TestServer {
        url,
        ca: PathBuf::from(ca),
    }
}

fn from_state_file() -> Option<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/pg-test-server.env");
    let text = std::fs::read_to_string(path).ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    value("LAUNCHPAD_TEST_POSTGRES_URL").zip(value("LAUNCHPAD_TEST_POSTGRES_CA"))
}

impl TestServer {
    /// The admin URL with `params` added, e.g. `sslmode=require`.
    pub fn url_with(&self, params: &str) -> String {
        if params.is_empty() {
            self.url.clone()
        } else {
            format!("{}?{params}", self.url)
        }
    }

    /// The admin URL's password.
    pub fn password(&self) -> &str {
        let credentials = self
            .url
            .split_once("://")
            .unwrap()
            .1
            .split_once('@')
            .unwrap()
            .0;
        credentials.split_once(':').unwrap().1
    }

    /// A new, empty store on the server; its URL, with TLS required.
    ///
    /// Each is a schema of its own in the server's one database, named by
    /// the URL's `search_path`: LaunchPad's tables are unqualified, so it
    /// sees only that schema, and a schema costs a few pages where a
    /// database costs megabytes (the suite makes hundreds).
    pub fn fresh_database(&self) -> String {
        let name = format!("lp_test_{}", uuid::Uuid::new_v4().simple());
        let admin = self.url.clone();
        let statement = format!("CREATE SCHEMA {name}");
        // On a thread of its own: callers may be inside a runtime or not.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .expect("the test server answers");
                tokio::spawn(connection);
                client
                    .batch_execute(&statement)
                    .await
                    .expect("a test schema is created");
            })
        })
        .join()
        .expect("the schema is created");
        format!(
            "{}?sslmode=require&options=-c%20search_path%3D{name}",
            self.url
        )
    }

    /// The variables that put LaunchPad on the database at `url`.
    pub fn store_env(&self, url: &str) -> Vec<(String, String)> {
        vec![
            ("LAUNCHPAD_STORE_BACKEND".into(), "postgres".into()),
            ("LAUNCHPAD_STORE_POSTGRES_URL".into(), url.into()),
            (
                "LAUNCHPAD_STORE_POSTGRES_CA_FILE".into(),
                self.ca.display().to_string(),
            ),
        ]
    }
}

/// The store settings for an app on `data_dir`: none on redb; on
/// PostgreSQL, the database that belongs to that folder, created at its
/// first use, so a restart on the same folder finds the same data.
pub fn store_env(data_dir: &Path) -> Vec<(String, String)> {
    if !on_postgres() {
        return Vec::new();
    }
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let server = test_server();
    let url = DATABASES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap()
        .entry(data_dir.to_owned())
        .or_insert_with(|| server.fresh_database())
        .clone();
    server.store_env(&url)
}
