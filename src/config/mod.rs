//! Typed settings, parsed once and validated before anything starts.
//!
//! Values come from [`sources`] (defaults < TOML file < environment <
//! flags). Every problem is collected and reported together, each naming the
//! key, where the bad value came from (secrets masked) and how to fix it; the
//! caller exits with status 78 (`EX_CONFIG`).

pub mod keys;
mod ops;
mod parser;
mod problem;
mod sources;

use crate::domain::Role;
use keys::Key;
pub use ops::{MetricsAuth, OpsSettings};
use parser::Parser;
pub use problem::{ConfigError, Problem};
use sources::Layers;
pub use sources::{Drift, Origin};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/launchpad/launchpad.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Json,
    Text,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub body_limit: usize,
    pub cors_allowed_origins: Vec<String>,
    /// 0 means one per CPU.
    pub workers: usize,
    pub shutdown_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub cache_size_mb: usize,
    pub quick_repair: bool,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
    /// Daily-rolling files with this path as folder and name prefix;
    /// `None` logs to stdout.
    pub file: Option<PathBuf>,
    pub retention_days: usize,
}

/// Who may do what, and how hard the door is.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The role of requests without credentials; `None` refuses them.
    pub anonymous_role: Option<Role>,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub cookie_secure: bool,
    pub login_per_minute: u32,
    pub api_per_second: u32,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub hsts_max_age_secs: u64,
}

/// Where the age identity was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityOrigin {
    /// `identity_file`, `--identity` or `LAUNCHPAD_IDENTITY_FILE`.
    Configured,
    /// systemd's `LoadCredential=age-identity:…`.
    Credential,
    /// Development only: `<data_dir>/identity.age`, created on first start.
    DevelopmentDefault,
}

#[derive(Debug, Clone)]
pub struct IdentitySource {
    pub path: PathBuf,
    pub origin: IdentityOrigin,
}

/// Everything LaunchPad reads from its configuration, valid by construction.
#[derive(Debug, Clone)]
pub struct Settings {
    pub env: Environment,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub identity: IdentitySource,
    pub demo_data: bool,
    pub http: HttpSettings,
    pub store: StoreSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub ops: OpsSettings,
    /// The file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Where each key's value came from, in [`keys::ALL`] order.
    pub origins: Vec<(&'static Key, Origin, String)>,
    /// Unknown or deprecated keys and variables.
    pub drift: Vec<Drift>,
    identity_not_needed: bool,
}

/// What the command line contributes: the file to read and flag values.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub identity: Option<PathBuf>,
    /// The command does not unwrap the data key (`keys init` creates the
    /// identity, `keys status` only reads public facts): do not require the
    /// identity file to exist.
    pub identity_not_needed: bool,
}

impl Settings {
    /// Loads settings from the process environment and the given overrides.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_sources(overrides, &env)
    }

    /// Loads settings from explicit sources, for tests and for [`Settings::load`].
    pub fn from_sources(
        overrides: &Overrides,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut parser = Parser::default();
        let file = parser.read_file(overrides);
        let mut flags = BTreeMap::new();
        if let Some(dir) = &overrides.data_dir {
            flags.insert(keys::DATA_DIR.name, dir.display().to_string());
        }
        if let Some(listen) = &overrides.listen {
            flags.insert(keys::LISTEN.name, listen.clone());
        }
        if let Some(identity) = &overrides.identity {
            flags.insert(keys::IDENTITY_FILE.name, identity.display().to_string());
        }
        let layers = Layers::new(
            file.as_ref().map(|(p, t)| (p.as_path(), t.clone())),
            env,
            flags,
        );
        parser.layers = layers;

        let env_mode = parser.choice(
            &keys::ENV,
            &[
                ("development", Environment::Development),
                ("production", Environment::Production),
            ],
            Environment::Development,
        );
        let listen = parser.parse(
            &keys::LISTEN,
            "127.0.0.1:8080".parse().expect("valid"),
            "an IP address and port such as 127.0.0.1:8080 or [::]:8080",
            |s| s.parse::<SocketAddr>().ok(),
        );
        let default_dir = default_data_dir(env);
        let data_dir = parser.parse(&keys::DATA_DIR, default_dir, "a folder path", |s| {
            (!s.trim().is_empty()).then(|| PathBuf::from(s))
        });
        let configured_identity = parser.parse(&keys::IDENTITY_FILE, None, "a file path", |s| {
            (!s.trim().is_empty()).then(|| Some(PathBuf::from(s)))
        });
        let identity = resolve_identity(configured_identity, env, &data_dir);
        let demo_data = parser.boolean(&keys::DEMO_DATA, true);
        let body_limit = parser.number(&keys::BODY_LIMIT, 64 * 1024, 1024..=16 * 1024 * 1024);
        let cors_allowed_origins = parser.list(
            &keys::CORS_ORIGINS,
            "a list of origins such as https://app.example.com (scheme and host, no path)",
            valid_origin,
        );
        let workers = parser.number(&keys::WORKERS, 0, 0..=64);
        let shutdown = parser.number(&keys::SHUTDOWN_TIMEOUT, 30, 1..=600);
        let cache_size_mb = parser.number(&keys::CACHE_SIZE, 16, 1..=4096);
        let quick_repair = parser.boolean(&keys::QUICK_REPAIR, true);
        let level = parser.parse(
            &keys::LOG_LEVEL,
            "info".to_owned(),
            "a tracing filter such as info or launchpad=debug",
            |s| {
                tracing_subscriber::EnvFilter::try_new(s)
                    .ok()
                    .map(|_| s.to_owned())
            },
        );
        let format = parser.choice(
            &keys::LOG_FORMAT,
            &[
                ("auto", LogFormat::Auto),
                ("json", LogFormat::Json),
                ("text", LogFormat::Text),
            ],
            LogFormat::Auto,
        );
        let trusted_proxies = parser
            .list(
                &keys::TRUSTED_PROXIES,
                "a list of IP addresses such as 10.0.0.5",
                |s| s.parse::<std::net::IpAddr>().is_ok(),
            )
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        let hsts_max_age_secs = parser.number(&keys::HSTS, 0, 0..=63_072_000);
        let anonymous_role = parser.choice(
            &keys::ANONYMOUS_ROLE,
            &[
                ("none", None),
                ("viewer", Some(Role::Viewer)),
                ("editor", Some(Role::Editor)),
                ("admin", Some(Role::Admin)),
            ],
            None,
        );
        let session_idle = parser.number(&keys::SESSION_IDLE, 3600, 1..=604_800);
        let session_max = parser.number(&keys::SESSION_MAX, 86_400, 1..=2_592_000);
        let cookie_secure = parser.boolean(&keys::COOKIE_SECURE, false);
        let login_per_minute = parser.number(&keys::LOGIN_RATE, 10, 1..=1000);
        let api_per_second = parser.number(&keys::API_RATE, 100, 1..=100_000);
        let log_file = parser.parse(&keys::LOG_FILE, None, "a file path", |s| {
            let path = PathBuf::from(s.trim());
            path.file_name().is_some().then_some(Some(path))
        });
        let retention_days = parser.number(&keys::LOG_RETENTION, 14, 1..=3650);
        let ops = ops::parse(&mut parser, env_mode);

        let settings = Settings {
            env: env_mode,
            listen,
            data_dir,
            identity,
            demo_data,
            http: HttpSettings {
                body_limit: body_limit as usize,
                cors_allowed_origins,
                workers: workers as usize,
                shutdown_timeout: Duration::from_secs(shutdown),
            },
            store: StoreSettings {
                cache_size_mb: cache_size_mb as usize,
                quick_repair,
            },
            log: LogSettings {
                level,
                format,
                file: log_file,
                retention_days: retention_days as usize,
            },
            auth: AuthSettings {
                anonymous_role,
                session_idle: Duration::from_secs(session_idle),
                session_max: Duration::from_secs(session_max),
                cookie_secure,
                login_per_minute: login_per_minute as u32,
                api_per_second: api_per_second as u32,
                trusted_proxies,
                hsts_max_age_secs,
            },
            ops,
            config_file: file.map(|(path, _)| path),
            origins: parser.origins,
            drift: parser.layers.drift.clone(),
            identity_not_needed: overrides.identity_not_needed,
        };
        let mut problems = parser.problems;
        if settings.env == Environment::Production {
            problems.extend(settings.production_problems());
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Unsafe-in-production settings, each with the setting that fixes it.
    fn production_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut refuse = |key: &Key, message: &str, fix: String| {
            problems.push(Problem {
                key: key.name.to_owned(),
                origin: self.origin_of(key.name),
                value: None,
                message: message.to_owned(),
                fix,
            });
        };
        if self.demo_data {
            refuse(
                &keys::DEMO_DATA,
                "demo data is on in production",
                format!(
                    "set `demo_data = false` in the config file or {}=false",
                    keys::DEMO_DATA.env_var()
                ),
            );
        }
        if self.http.cors_allowed_origins.iter().any(|o| o == "*") {
            refuse(
                &keys::CORS_ORIGINS,
                "a wildcard CORS origin lets any website call the API",
                format!(
                    "list the exact origins, e.g. {}=https://launchpad.example.com",
                    keys::CORS_ORIGINS.env_var()
                ),
            );
        }
        if self.data_dir.is_relative() {
            refuse(
                &keys::DATA_DIR,
                "a relative data folder depends on the directory the service starts in",
                format!(
                    "set an absolute path with --data-dir or {} (systemd's StateDirectory= sets $STATE_DIRECTORY)",
                    keys::DATA_DIR.env_var()
                ),
            );
        }
        problems.extend(self.identity_problems());
        problems
    }

    /// Production needs its own identity: outside the data folder, present,
    /// and readable by the service user alone.
    fn identity_problems(&self) -> Vec<Problem> {
        let key = &keys::IDENTITY_FILE;
        let problem = |message: String, fix: String| Problem {
            key: key.name.to_owned(),
            origin: self.origin_of(key.name),
            value: Some(self.identity.path.display().to_string()),
            message,
            fix,
        };
        let create = format!(
            "create one with `launchpad keys init --identity /etc/launchpad/age-identity` and set {} (or use systemd's LoadCredential=age-identity:…)",
            key.env_var()
        );
        if self.identity.origin == IdentityOrigin::DevelopmentDefault {
            return vec![problem("production needs an explicit age identity; the development default lives inside the data folder".into(), create)];
        }
        let inside = std::path::absolute(&self.identity.path)
            .ok()
            .zip(std::path::absolute(&self.data_dir).ok())
            .is_some_and(|(identity, data)| identity.starts_with(data));
        if inside {
            return vec![problem("the identity is inside the data folder, so one copy of the folder exposes everything".into(), "keep the identity outside the data folder, e.g. /etc/launchpad/age-identity".into())];
        }
        if self.identity_not_needed {
            return Vec::new();
        }
        if !self.identity.path.exists() {
            return vec![problem("the identity file does not exist".into(), create)];
        }
        match crate::crypto::Identity::check_private(&self.identity.path) {
            Ok(()) => Vec::new(),
            Err(e) => vec![problem(
                e.to_string(),
                format!("chmod 600 {}", self.identity.path.display()),
            )],
        }
    }

    /// How the store is opened with these settings.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            data_dir: self.data_dir.clone(),
            identity: crate::store::IdentityOptions {
                path: self.identity.path.clone(),
                may_create: self.identity.origin == IdentityOrigin::DevelopmentDefault,
                require_private: self.is_production(),
            },
            cache_bytes: self.store.cache_size_mb * 1024 * 1024,
            quick_repair: self.store.quick_repair,
            demo_data: self.demo_data,
        }
    }

    fn origin_of(&self, name: &str) -> Option<Origin> {
        self.origins
            .iter()
            .find(|(k, _, _)| k.name == name)
            .map(|(_, o, _)| o.clone())
    }

    /// Settings that are allowed but worth a second look.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.is_production() && !self.auth.cookie_secure {
            warnings.push(format!(
                "auth.cookie_secure is false: the session cookie may travel over plain HTTP; set {}=true once TLS terminates in front",
                keys::COOKIE_SECURE.env_var()
            ));
        }
        if self.auth.anonymous_role.is_some_and(|r| r >= Role::Editor) && self.is_production() {
            warnings.push("auth.anonymous_role lets requests without credentials change data; keep the service on a private network".into());
        }
        warnings
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

/// The configured identity, else systemd's credential, else the development default.
fn resolve_identity(
    configured: Option<PathBuf>,
    env: &BTreeMap<String, String>,
    data_dir: &Path,
) -> IdentitySource {
    if let Some(path) = configured {
        return IdentitySource {
            path,
            origin: IdentityOrigin::Configured,
        };
    }
    let credential = env
        .get("CREDENTIALS_DIRECTORY")
        .map(|dir| Path::new(dir).join("age-identity"))
        .filter(|path| path.exists());
    match credential {
        Some(path) => IdentitySource {
            path,
            origin: IdentityOrigin::Credential,
        },
        None => IdentitySource {
            path: data_dir.join("identity.age"),
            origin: IdentityOrigin::DevelopmentDefault,
        },
    }
}

/// `$STATE_DIRECTORY` (set by systemd's `StateDirectory=`) or `./launchpad-data`.
fn default_data_dir(env: &BTreeMap<String, String>) -> PathBuf {
    env.get("STATE_DIRECTORY")
        .and_then(|dirs| dirs.split(':').next())
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("launchpad-data"), PathBuf::from)
}

fn valid_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains('/')
        && !rest.contains(char::is_whitespace)
}

/// Resolves `path` against the current folder, for reports.
pub fn display_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_sources(&Overrides::default(), &env)
    }

    #[test]
    fn every_parsed_key_is_in_the_registry_in_order() {
        let settings = load(&[]).unwrap();
        let parsed: Vec<&str> = settings.origins.iter().map(|(k, _, _)| k.name).collect();
        let registered: Vec<&str> = keys::ALL.iter().map(|k| k.name).collect();
        assert_eq!(parsed, registered);
    }

    #[test]
    fn every_key_can_be_set_through_its_variable() {
        for key in keys::ALL {
            let settings = load(&[(&key.env_var(), "x")]);
            let origin = match &settings {
                Ok(s) => s
                    .origins
                    .iter()
                    .find(|(k, _, _)| k.name == key.name)
                    .map(|(_, o, _)| o.clone()),
                Err(e) => e
                    .problems
                    .iter()
                    .find(|p| p.key == key.name)
                    .and_then(|p| p.origin.clone()),
            };
            assert_eq!(
                origin,
                Some(Origin::Env(key.env_var())),
                "{} is not read from {}",
                key.name,
                key.env_var()
            );
        }
    }

    #[test]
    fn the_embedded_default_is_valid_and_development() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.env, Environment::Development);
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("launchpad-data"));
        assert_eq!(settings.identity.origin, IdentityOrigin::DevelopmentDefault);
        assert!(settings.demo_data);
    }

    #[test]
    fn systemd_state_directory_is_the_default_data_folder() {
        let settings = load(&[("STATE_DIRECTORY", "/var/lib/launchpad")]).unwrap();
        assert_eq!(settings.data_dir, PathBuf::from("/var/lib/launchpad"));
    }
}
