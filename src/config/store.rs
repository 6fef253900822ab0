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
#[path = "store_tests.rs"]
mod tests;
