//! Every configuration key, its environment variable, default and meaning.
//!
//! This table is the single source for parsing, for `launchpad config check`
//! (unknown keys are those not listed here) and for the README's reference.
//! A key's variable is always `LAUNCHPAD_` + the key in upper case with dots
//! turned into underscores.

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Dotted TOML path, e.g. `http.body_limit_bytes`.
    pub name: &'static str,
    /// The default as an operator would write it.
    pub default: &'static str,
    /// The command-line flag that also sets it, if any.
    pub flag: Option<&'static str>,
    pub help: &'static str,
    /// How the value shows in reports.
    pub shown: Shown,
    /// A variable name that does not follow the derivation rule.
    pub env: Option<&'static str>,
}

/// How a key's value shows in `config check`, problems and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// As written.
    Plain,
    /// Never: `"********"`.
    Hidden,
    /// As written with the password masked (`postgres://user:***@host/db`).
    UrlPassword,
}

impl Key {
    pub fn env_var(&self) -> String {
        match self.env {
            Some(name) => name.to_owned(),
            None => format!(
                "LAUNCHPAD_{}",
                self.name.replace('.', "_").to_ascii_uppercase()
            ),
        }
    }
}

const fn key(name: &'static str, default: &'static str, help: &'static str) -> Key {
    Key {
        name,
        default,
        flag: None,
        help,
        shown: Shown::Plain,
        env: None,
    }
}

pub const ENV: Key = key(
    "env",
    "development",
    "`development` or `production`; production refuses unsafe settings",
);
pub const LISTEN: Key = Key {
    flag: Some("--listen"),
    ..key(
        "listen",
        "127.0.0.1:8080",
        "address and port to serve HTTP on",
    )
};
pub const DATA_DIR: Key = Key {
    flag: Some("--data-dir"),
    ..key(
        "data_dir",
        "./launchpad-data ($STATE_DIRECTORY under systemd)",
        "folder holding the store; created with mode 0700",
    )
};
pub const IDENTITY_FILE: Key = Key {
    flag: Some("--identity"),
    ..key(
        "identity_file",
        "$CREDENTIALS_DIRECTORY/age-identity under systemd, else <data_dir>/identity.age (development only)",
        "age X25519 identity that unwraps the data key; production needs one outside the data folder with mode 0600",
    )
};
pub const DEMO_DATA: Key = key(
    "demo_data",
    "true",
    "load the demo project into a new, empty store",
);
pub const BODY_LIMIT: Key = key(
    "http.body_limit_bytes",
    "65536",
    "largest request body accepted (1024–16777216)",
);
pub const CORS_ORIGINS: Key = key(
    "http.cors_allowed_origins",
    "[] (none)",
    "origins allowed to call the API from a browser; comma-separated in the variable",
);
pub const WORKERS: Key = key(
    "http.workers",
    "0 (one per CPU)",
    "HTTP worker threads (0–64)",
);
pub const UNPAGED_LIST_MAX: Key = key(
    "http.unpaged_list_max",
    "10000",
    "most projects GET /api/v1/projects sends without ?limit= (1–1000000); above it the client must page",
);
pub const REQUIRE_IF_MATCH: Key = key(
    "http.require_if_match",
    "false",
    "refuse a PATCH or DELETE of a project, checklist or task without If-Match (428)",
);
pub const SHUTDOWN_TIMEOUT: Key = key(
    "http.shutdown_timeout_secs",
    "30",
    "how long a stopping server lets in-flight requests finish (1–600)",
);
pub const CACHE_SIZE: Key = key(
    "store.cache_size_mb",
    "16",
    "redb page cache in MiB (1–4096)",
);
pub const QUICK_REPAIR: Key = key(
    "store.quick_repair",
    "true",
    "a second fsync per commit that makes recovery after a crash near-instant",
);
pub const STORE_BACKEND: Key = key(
    "store.backend",
    "redb",
    "`redb` (one file in the data folder) or `postgres` (the database at store.postgres_url)",
);
pub const POSTGRES_URL: Key = Key {
    shown: Shown::UrlPassword,
    ..key(
        "store.postgres_url",
        "none",
        "PostgreSQL URL, e.g. postgres://launchpad@db.internal:5432/launchpad?sslmode=require; its password is masked in every report; production needs sslmode=require unless the host is local",
    )
};
pub const POSTGRES_URL_FILE: Key = key(
    "store.postgres_url_file",
    "$CREDENTIALS_DIRECTORY/postgres-url under systemd, when present",
    "a file holding the PostgreSQL URL (e.g. a systemd credential), so the password stays out of the config; instead of store.postgres_url",
);
pub const POSTGRES_POOL_SIZE: Key = key(
    "store.postgres_pool_size",
    "16",
    "most connections to PostgreSQL this instance holds open at once (1–256)",
);
pub const POSTGRES_CONNECT_TIMEOUT: Key = key(
    "store.postgres_connect_timeout_secs",
    "5",
    "how long connecting to PostgreSQL (TCP, TLS, login) or waiting for a free pooled connection may take (1–300)",
);
pub const POSTGRES_CA_FILE: Key = key(
    "store.postgres_ca_file",
    "none (the system's CA certificates)",
    "PEM CA bundle trusted for the server's certificate besides the system's, e.g. the RDS bundle",
);
pub const LOG_LEVEL: Key = key(
    "log.level",
    "info",
    "tracing filter, e.g. `info` or `launchpad=debug,actix_web=warn`",
);
pub const LOG_FORMAT: Key = key(
    "log.format",
    "auto",
    "`json`, `text`, or `auto` (JSON unless stdout is a terminal)",
);

pub const TRUSTED_PROXIES: Key = key(
    "http.trusted_proxies",
    "[] (none)",
    "IP addresses of load balancers whose X-Forwarded-For names the client; comma-separated in the variable",
);
pub const HSTS: Key = key(
    "http.hsts_max_age_secs",
    "0 (off)",
    "send Strict-Transport-Security with this max-age (0–63072000)",
);
pub const ANONYMOUS_ROLE: Key = Key {
    env: Some("LAUNCHPAD_ANONYMOUS_ROLE"),
    ..key(
        "auth.anonymous_role",
        "none",
        "role of requests without credentials: none, viewer, editor or admin",
    )
};
pub const SESSION_IDLE: Key = key(
    "auth.session_idle_secs",
    "3600",
    "a session ends after this much inactivity (1–604800)",
);
pub const SESSION_MAX: Key = key(
    "auth.session_max_secs",
    "86400",
    "a session ends this long after login, active or not (1–2592000)",
);
pub const COOKIE_SECURE: Key = key(
    "auth.cookie_secure",
    "false",
    "mark the session cookie Secure (set it when TLS terminates in front)",
);
pub const LOGIN_RATE: Key = key(
    "auth.login_attempts_per_minute",
    "10",
    "login attempts allowed per client IP and per account (1–1000)",
);
pub const API_RATE: Key = key(
    "auth.api_requests_per_second",
    "100",
    "API budget per token, user or anonymous client IP; bursts of twice that (1–1000000)",
);
pub const LOG_FILE: Key = key(
    "log.file",
    "none (stdout)",
    "write JSON lines to daily-rolling files with this path and name prefix, e.g. /var/log/launchpad/launchpad.log",
);
pub const LOG_RETENTION: Key = key(
    "log.retention_days",
    "14",
    "how many daily log files `log.file` keeps (1–3650)",
);
pub const METRICS_NETWORKS: Key = key(
    "metrics.allowed_networks",
    "[\"127.0.0.0/8\", \"::1/128\"] (loopback)",
    "networks (CIDR) that may read /metrics; others get 404; comma-separated in the variable",
);
pub const METRICS_USERNAME: Key = key(
    "metrics.username",
    "none",
    "when set with metrics.password, /metrics also needs HTTP basic auth",
);
pub const METRICS_PASSWORD: Key = Key {
    shown: Shown::Hidden,
    ..key(
        "metrics.password",
        "none",
        "the basic-auth password for /metrics (at least 16 characters)",
    )
};
pub const MIN_FREE_DISK: Key = key(
    "ready.min_free_disk_mb",
    "512",
    "/ready fails when the data folder's filesystem has less free space than this, in MiB (0–1048576)",
);
pub const BACKUP_MAX_AGE: Key = key(
    "backup.max_age_hours",
    "26 in production, 0 (off) in development",
    "/ready fails and diagnose is critical when the last backup is older than this (0 turns the check off; 0–8760)",
);
pub const KEY_ROTATION_DAYS: Key = key(
    "keys.rotation_days",
    "90",
    "rotation policy: diagnose warns when the data key is older than this (1–3650)",
);
pub const OTLP_ENDPOINT: Key = key(
    "tracing.otlp_endpoint",
    "none (off)",
    "OTLP/HTTP receiver to export traces to, e.g. http://127.0.0.1:4318 (/v1/traces is added); unset, nothing is exported",
);
pub const SERVICE_NAME: Key = key(
    "tracing.service_name",
    "launchpad",
    "the service.name exported spans carry",
);
pub const SAMPLING_RATIO: Key = key(
    "tracing.sampling_ratio",
    "1.0",
    "share of traces started here that are exported (0.0–1.0); a caller's sampling decision is followed",
);

/// Every key, in the order reports list them.
pub const ALL: &[Key] = &[
    ENV,
    LISTEN,
    DATA_DIR,
    IDENTITY_FILE,
    DEMO_DATA,
    BODY_LIMIT,
    CORS_ORIGINS,
    WORKERS,
    SHUTDOWN_TIMEOUT,
    UNPAGED_LIST_MAX,
    REQUIRE_IF_MATCH,
    CACHE_SIZE,
    QUICK_REPAIR,
    STORE_BACKEND,
    POSTGRES_URL,
    POSTGRES_URL_FILE,
    POSTGRES_POOL_SIZE,
    POSTGRES_CONNECT_TIMEOUT,
    POSTGRES_CA_FILE,
    LOG_LEVEL,
    LOG_FORMAT,
    TRUSTED_PROXIES,
    HSTS,
    ANONYMOUS_ROLE,
    SESSION_IDLE,
    SESSION_MAX,
    COOKIE_SECURE,
    LOGIN_RATE,
    API_RATE,
    LOG_FILE,
    LOG_RETENTION,
    METRICS_NETWORKS,
    METRICS_USERNAME,
    METRICS_PASSWORD,
    MIN_FREE_DISK,
    BACKUP_MAX_AGE,
    KEY_ROTATION_DAYS,
    OTLP_ENDPOINT,
    SERVICE_NAME,
    SAMPLING_RATIO,
];

/// Keys that used to exist: `(old name, what to do instead)`. Still read
/// nowhere; reported as drift so an operator can clean up.
pub const DEPRECATED: &[(&str, &str)] = &[];

/// `LAUNCHPAD_*` variables that are not configuration keys but are known:
/// the config file and a password for the CLI, and what the release, upgrade
/// and CI scripts read (they may be set in the shell that runs a command).
pub const OTHER_VARIABLES: &[&str] = &[
    "LAUNCHPAD_CONFIG",
    "LAUNCHPAD_PASSWORD",
    "LAUNCHPAD_ADVISORY_DB",
    "LAUNCHPAD_BUILD_DIR",
    "LAUNCHPAD_DEB_MAINTAINER",
    "LAUNCHPAD_GIT_COMMIT",
    "LAUNCHPAD_SERVICE_CMD",
    "LAUNCHPAD_TEST_POSTGRES_URL",
    "LAUNCHPAD_TEST_POSTGRES_CA",
];

pub fn find(name: &str) -> Option<&'static Key> {
    ALL.iter().find(|k| k.name == name)
}

/// The closest known key, for "did you mean" hints.
pub fn closest(name: &str) -> Option<&'static str> {
    ALL.iter()
        .map(|k| (strsim::levenshtein(name, k.name), k.name))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_derived_from_key_names() {
        assert_eq!(BODY_LIMIT.env_var(), "LAUNCHPAD_HTTP_BODY_LIMIT_BYTES");
        assert_eq!(DATA_DIR.env_var(), "LAUNCHPAD_DATA_DIR");
    }

    #[test]
    fn key_names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|k| k.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn typos_suggest_the_nearest_key() {
        assert_eq!(
            closest("http.body_limit_byte"),
            Some("http.body_limit_bytes")
        );
        assert_eq!(closest("demo-data"), Some("demo_data"));
        assert_eq!(closest("completely.different"), None);
    }
}
