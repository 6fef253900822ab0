//! Typed settings, parsed once and validated before anything starts.
//!
//! Values come from [`sources`] (defaults < TOML file < environment <
//! flags). Every problem is collected and reported together, each naming the
//! key, where the bad value came from (secrets masked) and how to fix it; the
//! caller exits with status 78 (`EX_CONFIG`).

pub mod keys;
mod sources;

use keys::Key;
pub use sources::{Drift, Origin};
use sources::{Layers, Raw};
use std::collections::BTreeMap;
use std::fmt;
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
}

/// Everything LaunchPad reads from its configuration, valid by construction.
#[derive(Debug, Clone)]
pub struct Settings {
    pub env: Environment,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub demo_data: bool,
    pub http: HttpSettings,
    pub store: StoreSettings,
    pub log: LogSettings,
    /// The file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Where each key's value came from, in [`keys::ALL`] order.
    pub origins: Vec<(&'static Key, Origin, String)>,
    /// Unknown or deprecated keys and variables.
    pub drift: Vec<Drift>,
}

/// What the command line contributes: the file to read and flag values.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub origin: Option<Origin>,
    /// The offending value as written, masked for secrets.
    pub value: Option<String>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        if let Some(origin) = &self.origin {
            write!(f, " (from {origin})")?;
        }
        write!(f, ": {}\n    fix: {}", self.message, self.fix)
    }
}

/// Every problem found, reported together.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "the configuration has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        write!(
            f,
            "nothing was started; run `launchpad config check` after fixing"
        )
    }
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
        let demo_data = parser.boolean(&keys::DEMO_DATA, true);
        let body_limit = parser.number(&keys::BODY_LIMIT, 64 * 1024, 1024..=16 * 1024 * 1024);
        let cors_allowed_origins = parser.list(&keys::CORS_ORIGINS, valid_origin);
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

        let settings = Settings {
            env: env_mode,
            listen,
            data_dir,
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
            log: LogSettings { level, format },
            config_file: file.map(|(path, _)| path),
            origins: parser.origins,
            drift: parser.layers.drift.clone(),
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
        problems
    }

    fn origin_of(&self, name: &str) -> Option<Origin> {
        self.origins
            .iter()
            .find(|(k, _, _)| k.name == name)
            .map(|(_, o, _)| o.clone())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
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

/// Types raw values key by key, collecting problems instead of stopping.
#[derive(Default)]
struct Parser {
    layers: Layers,
    problems: Vec<Problem>,
    origins: Vec<(&'static Key, Origin, String)>,
}

impl Parser {
    fn read_file(&mut self, overrides: &Overrides) -> Option<(PathBuf, toml::Table)> {
        let (path, explicit) = match &overrides.config_file {
            Some(path) => (path.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        if !explicit && !path.exists() {
            return None;
        }
        let problem = |message: String, fix: &str| Problem {
            key: "config file".into(),
            origin: Some(Origin::File(path.clone())),
            value: None,
            message,
            fix: fix.to_owned(),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match text.parse::<toml::Table>() {
                Ok(table) => Some((path, table)),
                Err(e) => {
                    self.problems.push(problem(
                        format!("is not valid TOML: {}", e.message()),
                        "correct the TOML syntax at the position shown",
                    ));
                    None
                }
            },
            Err(e) => {
                self.problems.push(problem(
                    format!("cannot be read: {e}"),
                    "pass an existing, readable file with --config or LAUNCHPAD_CONFIG",
                ));
                None
            }
        }
    }

    /// Looks up `key` and types it with `convert`, recording a problem when it fails.
    fn typed<T>(
        &mut self,
        key: &'static Key,
        default: T,
        expected: &str,
        convert: impl FnOnce(&Raw) -> Option<T>,
    ) -> T {
        let Some((raw, origin)) = self.layers.lookup(key) else {
            self.origins
                .push((key, Origin::Default, key.default.to_owned()));
            return default;
        };
        let shown = if key.secret {
            "\"********\"".to_owned()
        } else {
            raw.to_string()
        };
        match convert(&raw) {
            Some(value) => {
                self.origins.push((key, origin, shown));
                value
            }
            None => {
                let place = match &origin {
                    Origin::Env(var) => format!("set {var}"),
                    Origin::Flag(flag) => format!("pass {flag}"),
                    _ => format!("set `{}`", key.name),
                };
                self.problems.push(Problem {
                    key: key.name.to_owned(),
                    origin: Some(origin.clone()),
                    value: Some(shown.clone()),
                    message: format!("must be {expected}"),
                    fix: format!(
                        "{place} to {expected}, or remove it to use the default ({})",
                        key.default
                    ),
                });
                self.origins.push((key, origin, shown));
                default
            }
        }
    }

    fn parse<T>(
        &mut self,
        key: &'static Key,
        default: T,
        expected: &str,
        from_text: impl FnOnce(&str) -> Option<T>,
    ) -> T {
        self.typed(key, default, expected, |raw| match raw {
            Raw::Text(s) => from_text(s),
            Raw::Toml(toml::Value::String(s)) => from_text(s),
            Raw::Toml(_) => None,
        })
    }

    fn boolean(&mut self, key: &'static Key, default: bool) -> bool {
        self.typed(key, default, "true or false", |raw| match raw {
            Raw::Toml(toml::Value::Boolean(b)) => Some(*b),
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            },
            Raw::Toml(_) => None,
        })
    }

    fn number(
        &mut self,
        key: &'static Key,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> u64 {
        let expected = format!("a whole number from {} to {}", range.start(), range.end());
        self.typed(key, default, &expected, |raw| {
            let n = match raw {
                Raw::Toml(toml::Value::Integer(i)) => u64::try_from(*i).ok(),
                Raw::Text(s) => s.trim().parse().ok(),
                Raw::Toml(_) => None,
            }?;
            range.contains(&n).then_some(n)
        })
    }

    fn choice<T: Copy>(&mut self, key: &'static Key, options: &[(&str, T)], default: T) -> T {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let expected = format!("one of {}", names.join(", "));
        self.parse(key, default, &expected, |s| {
            options
                .iter()
                .find(|(n, _)| *n == s.trim())
                .map(|(_, v)| *v)
        })
    }

    fn list(&mut self, key: &'static Key, valid: fn(&str) -> bool) -> Vec<String> {
        self.typed(
            key,
            Vec::new(),
            "a list of origins such as https://app.example.com (scheme and host, no path)",
            |raw| {
                let items: Vec<String> = match raw {
                    Raw::Text(s) => s
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    Raw::Toml(toml::Value::Array(values)) => values
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<_>>()?,
                    Raw::Toml(_) => return None,
                };
                items.iter().all(|i| valid(i)).then_some(items)
            },
        )
    }
}

/// Resolves `path` against the current folder, for reports.
pub fn display_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}
