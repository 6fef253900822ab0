//! The store section: which backend holds the data, and how to use it.
//!
//! redb, the default, is one file in the data folder: how much memory its
//! page cache may use, and whether each commit pays a second fsync so
//! recovery after a crash is near-instant. PostgreSQL is reached through a
//! URL, given in the config or, to keep its password out of it, in a file
//! (by default systemd's credential `postgres-url`), with a pool size, a
//! connect timeout and an extra CA bundle for the server's certificate.
//!
//! The URL's password never shows: its key masks it in every report, and
//! the problems below print it through [`postgres::mask`]. Production
//! refuses a URL that would send it, and every record, over a network in
//! the clear.

use super::keys::{self, Key};
use super::parser::Parser;
use super::{Origin, Problem, Settings};
use crate::store::postgres::{self, PostgresOptions, PostgresUrl, TlsMode};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Redb,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub backend: Backend,
    pub cache_size_mb: usize,
    pub quick_repair: bool,
    /// Set whenever a PostgreSQL URL is configured, whatever the backend
    /// (a store copy may use it); `backend = postgres` guarantees it.
    pub postgres: Option<PostgresOptions>,
    /// `store.postgres_ca_file`, also for URLs given on the command line.
    pub postgres_ca_file: Option<PathBuf>,
    /// `store.postgres_connect_timeout_secs`.
    pub postgres_connect_timeout: Duration,
    /// The key the URL came from: `store.postgres_url` or the file's.
    url_key: Option<&'static Key>,
}

/// The systemd credential read when no URL is configured.
const CREDENTIAL: &str = "postgres-url";

/// Every `store.*` key; `env` is the process environment, which holds
/// systemd's credentials folder.
pub(super) fn parse(parser: &mut Parser, env: &BTreeMap<String, String>) -> StoreSettings {
    let cache_size_mb = parser.number(&keys::CACHE_SIZE, 16, 1..=4096);
    let quick_repair = parser.boolean(&keys::QUICK_REPAIR, true);
    let backend = parser.choice(
        &keys::STORE_BACKEND,
        &[("redb", Backend::Redb), ("postgres", Backend::Postgres)],
        Backend::Redb,
    );
    let text = parser.parse(&keys::POSTGRES_URL, None, "a postgres:// URL", |s| {
        (!s.trim().is_empty()).then(|| Some(s.trim().to_owned()))
    });
    let configured_file = parser.parse(&keys::POSTGRES_URL_FILE, None, "a file path", |s| {
        (!s.trim().is_empty()).then(|| Some(PathBuf::from(s.trim())))
    });
    let pool_size = parser.number(&keys::POSTGRES_POOL_SIZE, 16, 1..=256);
    let timeout = parser.number(&keys::POSTGRES_CONNECT_TIMEOUT, 5, 1..=300);
    let ca_file = parser.parse(&keys::POSTGRES_CA_FILE, None, "a file path", |s| {
        (!s.trim().is_empty()).then(|| Some(PathBuf::from(s.trim())))
    });

    let credential = env
        .get("CREDENTIALS_DIRECTORY")
        .map(|dir| Path::new(dir).join(CREDENTIAL))
        .filter(|path| text.is_none() && path.exists());
    let before = parser.problems.len();
    let url = match (text, configured_file.or(credential)) {
        (Some(_), Some(_)) => {
            let both = problem(
                parser,
                &keys::POSTGRES_URL_FILE,
                None,
                "store.postgres_url and store.postgres_url_file are both set",
                "keep one; the file (e.g. a systemd credential) keeps the password out of the config",
            );
            parser.problems.push(both);
            None
        }
        (Some(text), None) => {
            url_from(parser, &keys::POSTGRES_URL, &text, None).map(|url| (url, &keys::POSTGRES_URL))
        }
        (None, Some(path)) => {
            read_url_file(parser, &path).map(|url| (url, &keys::POSTGRES_URL_FILE))
        }
        (None, None) => None,
    };
    if backend == Backend::Postgres && url.is_none() && parser.problems.len() == before {
        let none = problem(
            parser,
            &keys::STORE_BACKEND,
            Some("\"postgres\"".into()),
            "store.backend is postgres but no database URL is set",
            &format!(
                "set store.postgres_url ({}) or store.postgres_url_file ({}), e.g. systemd's LoadCredential={CREDENTIAL}:…",
                keys::POSTGRES_URL.env_var(),
                keys::POSTGRES_URL_FILE.env_var()
            ),
        );
        parser.problems.push(none);
    }
    let ca_ok = ca_file
        .as_deref()
        .is_none_or(|path| match postgres::read_ca_file(path) {
            Ok(_) => true,
            Err(e) => {
                let bad = problem(
                    parser,
                    &keys::POSTGRES_CA_FILE,
                    Some(path.display().to_string()),
                    &e.to_string(),
                    "name a readable PEM file of CA certificates, e.g. the RDS global bundle",
                );
                parser.problems.push(bad);
                false
            }
        });
    let (url, url_key) = match url.filter(|_| ca_ok) {
        Some((url, key)) => (Some(url), Some(key)),
        None => (None, None),
    };
    StoreSettings {
        backend,
        cache_size_mb: cache_size_mb as usize,
        quick_repair,
        postgres: url.map(|url| PostgresOptions {
            url,
            pool_size: pool_size as usize,
            connect_timeout: Duration::from_secs(timeout),
            ca_file: ca_file.clone(),
        }),
        postgres_ca_file: ca_file,
        postgres_connect_timeout: Duration::from_secs(timeout),
        url_key,
    }
}

/// The URL in `text`, or a problem on `key` saying what is wrong with it.
fn url_from(
    parser: &mut Parser,
    key: &'static Key,
    text: &str,
    file: Option<&Path>,
) -> Option<PostgresUrl> {
    match PostgresUrl::parse(text) {
        Ok(url) => Some(url),
        Err(e) => {
            let (value, message) = match file {
                Some(path) => (
                    Some(path.display().to_string()),
                    format!("holds {}, which {e}", postgres::mask(text)),
                ),
                None => (
                    Some(format!("{:?}", postgres::mask(text).as_str())),
                    e.to_string(),
                ),
            };
            let bad = problem(
                parser,
                key,
                value,
                &message,
                "write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require, special characters in the password percent-encoded",
            );
            parser.problems.push(bad);
            None
        }
    }
}

fn read_url_file(parser: &mut Parser, path: &Path) -> Option<PostgresUrl> {
    let key = &keys::POSTGRES_URL_FILE;
    match std::fs::read_to_string(path) {
        Ok(text) => url_from(parser, key, text.trim(), Some(path)),
        Err(e) => {
            let unreadable = problem(
                parser,
                key,
                Some(path.display().to_string()),
                &format!("cannot be read: {e}"),
                "name a readable file holding one postgres:// URL",
            );
            parser.problems.push(unreadable);
            None
        }
    }
}

fn problem(
    parser: &Parser,
    key: &'static Key,
    value: Option<String>,
    message: &str,
    fix: &str,
) -> Problem {
    Problem {
        key: key.name.to_owned(),
        origin: parser.origin_of(key).filter(|o| *o != Origin::Default),
        value,
        message: message.to_owned(),
        fix: fix.to_owned(),
    }
}

impl Settings {
    /// Production sends nothing to a database in the clear: a URL to a
    /// host off this machine needs `sslmode=require`.
    pub(super) fn postgres_problems(&self) -> Vec<Problem> {
        let (Some(options), Some(key)) = (&self.store.postgres, self.store.url_key) else {
            return Vec::new();
        };
        let url = &options.url;
        if url.tls() == TlsMode::Require || url.is_local() {
            return Vec::new();
        }
        let mode = match url.tls() {
            TlsMode::Disable => "sslmode=disable",
            _ => {
                "sslmode=prefer, the default, which neither insists on TLS nor verifies the server"
            }
        };
        vec![Problem {
            key: key.name.to_owned(),
            origin: self.origin_of(key.name),
            value: Some(format!("{:?}", url.masked().as_str())),
            message: format!(
                "production refuses a PostgreSQL URL without TLS to a host off this machine ({mode}): the password and every record would cross the network readable"
            ),
            fix: "add sslmode=require to the URL (and set store.postgres_ca_file to a private CA's bundle, e.g. RDS's), or connect through localhost or a unix socket".into(),
        }]
    }

    /// Store settings that are allowed but probably not meant.
    pub(super) fn store_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.store.backend == Backend::Redb && self.store.url_key.is_some() {
            warnings.push("a PostgreSQL URL is set but store.backend is redb: the URL is not used; set store.backend = \"postgres\" to use it".into());
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigError, Overrides};
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_sources(&Overrides::default(), &env)
    }

    fn problems_of(env: &[(&str, &str)], key: &Key) -> Vec<Problem> {
        load(env)
            .err()
            .map(|e| e.problems)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.key == key.name)
            .collect()
    }

    const URL: &str = "LAUNCHPAD_STORE_POSTGRES_URL";
    const PRODUCTION: (&str, &str) = ("LAUNCHPAD_ENV", "production");

    #[test]
    fn redb_is_the_default_and_needs_no_url() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.store.backend, Backend::Redb);
        assert!(settings.store.postgres.is_none());
    }

    #[test]
    fn the_postgres_backend_without_a_url_names_both_keys() {
        let problems = problems_of(
            &[("LAUNCHPAD_STORE_BACKEND", "postgres")],
            &keys::STORE_BACKEND,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].fix.contains("store.postgres_url ("));
        assert!(problems[0].fix.contains("store.postgres_url_file ("));
    }

    #[test]
    fn the_url_and_its_settings_reach_the_pool_options() {
        let settings = load(&[
            ("LAUNCHPAD_STORE_BACKEND", "postgres"),
            (URL, "postgres://lp:s3cret@db.internal/lp?sslmode=require"),
            ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "4"),
            ("LAUNCHPAD_STORE_POSTGRES_CONNECT_TIMEOUT_SECS", "2"),
        ])
        .unwrap();
        let options = settings.store.postgres.unwrap();
        assert_eq!(options.pool_size, 4);
        assert_eq!(options.connect_timeout, Duration::from_secs(2));
        assert_eq!(options.url.tls(), TlsMode::Require);
    }

    #[test]
    fn reports_show_the_url_with_its_password_masked() {
        let settings = load(&[(URL, "postgres://lp:s3cret@db.internal/lp")]).unwrap();
        let (_, _, shown) = settings
            .origins
            .iter()
            .find(|(k, _, _)| k.name == keys::POSTGRES_URL.name)
            .unwrap();
        assert_eq!(shown, "\"postgres://lp:***@db.internal/lp\"");
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn a_bad_url_is_a_problem_that_shows_it_masked() {
        let problems = problems_of(
            &[(URL, "postgres://lp:s3cret@db/lp?sslmode=always")],
            &keys::POSTGRES_URL,
        );
        assert_eq!(problems.len(), 1);
        let text = problems[0].to_string();
        assert!(text.contains("sslmode must be"), "{text}");
        assert!(text.contains("postgres://lp:***@db"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn out_of_range_pool_sizes_and_timeouts_are_refused() {
        for (var, value) in [
            ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "0"),
            ("LAUNCHPAD_STORE_POSTGRES_POOL_SIZE", "257"),
            ("LAUNCHPAD_STORE_POSTGRES_CONNECT_TIMEOUT_SECS", "0"),
        ] {
            assert!(load(&[(var, value)]).is_err(), "{var}={value}");
        }
    }

    #[test]
    fn the_url_comes_from_a_file_or_the_systemd_credential() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(CREDENTIAL);
        std::fs::write(&file, "postgres://lp:s3cret@127.0.0.1/lp\n").unwrap();
        let credentials = dir.path().to_str().unwrap();

        let from_file = load(&[("LAUNCHPAD_STORE_POSTGRES_URL_FILE", file.to_str().unwrap())]);
        let from_credential = load(&[("CREDENTIALS_DIRECTORY", credentials)]);

        for settings in [from_file.unwrap(), from_credential.unwrap()] {
            let options = settings.store.postgres.expect("the URL was read");
            assert_eq!(
                options.url.masked().as_str(),
                "postgres://lp:***@127.0.0.1/lp"
            );
        }
    }

    #[test]
    fn a_url_and_a_url_file_together_are_a_problem() {
        let problems = problems_of(
            &[
                (URL, "postgres://db/lp"),
                ("LAUNCHPAD_STORE_POSTGRES_URL_FILE", "/etc/launchpad/pg"),
            ],
            &keys::POSTGRES_URL_FILE,
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("both set"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();

        let problems = problems_of(
            &[("LAUNCHPAD_STORE_POSTGRES_CA_FILE", ca.to_str().unwrap())],
            &keys::POSTGRES_CA_FILE,
        );

        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("no PEM certificate"),
            "{problems:?}"
        );
    }

    #[test]
    fn production_refuses_a_remote_url_without_tls_and_says_how_to_fix_it() {
        for url in [
            "postgres://lp:s3cret@db.internal/lp",
            "postgres://lp:s3cret@db.internal/lp?sslmode=disable",
            "postgres://lp:s3cret@10.0.0.5/lp?sslmode=prefer",
        ] {
            let problems = problems_of(&[PRODUCTION, (URL, url)], &keys::POSTGRES_URL);
            assert_eq!(problems.len(), 1, "{url}: {problems:?}");
            let text = problems[0].to_string();
            assert!(text.contains("without TLS"), "{text}");
            assert!(text.contains("sslmode=require"), "{text}");
            assert!(
                text.contains(URL),
                "names where the value came from: {text}"
            );
            assert!(!text.contains("s3cret"), "{text}");
        }
    }

    #[test]
    fn production_accepts_tls_to_a_remote_host_and_plain_to_a_local_one() {
        for url in [
            "postgres://lp:p@db.internal/lp?sslmode=require",
            "postgres://lp:p@db.internal/lp?sslmode=verify-full",
            "postgres://lp:p@localhost/lp",
            "postgres://lp:p@127.0.0.1:5433/lp?sslmode=disable",
            "postgres://lp:p@[::1]/lp",
            "postgres://lp@%2Frun%2Fpostgresql/lp",
        ] {
            let problems = problems_of(&[PRODUCTION, (URL, url)], &keys::POSTGRES_URL);
            assert!(problems.is_empty(), "{url}: {problems:?}");
        }
    }

    #[test]
    fn a_url_unused_by_the_redb_backend_is_a_warning() {
        let settings = load(&[(URL, "postgres://db/lp")]).unwrap();
        assert!(
            settings.warnings().iter().any(|w| w.contains("not used")),
            "{:?}",
            settings.warnings()
        );
    }
}
