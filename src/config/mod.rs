//! Typed settings, parsed once and validated before anything starts.
//!
//! Values come from [`sources`] (defaults < TOML file < environment <
//! flags). Each section of the file has its own module that types its keys;
//! this one assembles them into [`Settings`] and adds the checks that span
//! sections, such as what production refuses. Every problem is collected
//! and reported together, each naming the key, where the bad value came from
//! (secrets masked) and how to fix it; the caller exits with status 78
//! (`EX_CONFIG`).

mod auth;
mod http;
mod instance;
pub mod keys;
mod log;
mod ops;
mod parser;
mod problem;
mod sources;
mod store;
mod traces;

use crate::domain::Role;
pub use auth::AuthSettings;
pub use http::{Contract, HttpSettings};
pub use instance::{IdentityOrigin, IdentitySource};
use keys::Key;
pub use log::{LogFormat, LogSettings};
pub use ops::{MetricsAuth, OpsSettings};
use parser::Parser;
pub use problem::{ConfigError, Problem};
use sources::Layers;
pub use sources::{Drift, Origin};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
pub use store::{Backend, StoreSettings};
pub use traces::TraceSettings;

/// The config file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/launchpad/launchpad.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
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
    pub tracing: TraceSettings,
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

impl Overrides {
    /// The flag layer: the values given on the command line, by key.
    fn flags(&self) -> BTreeMap<&'static str, String> {
        let mut flags = BTreeMap::new();
        if let Some(dir) = &self.data_dir {
            flags.insert(keys::DATA_DIR.name, dir.display().to_string());
        }
        if let Some(listen) = &self.listen {
            flags.insert(keys::LISTEN.name, listen.clone());
        }
        if let Some(identity) = &self.identity {
            flags.insert(keys::IDENTITY_FILE.name, identity.display().to_string());
        }
        flags
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
        parser.layers = Layers::new(
            file.as_ref().map(|(p, t)| (p.as_path(), t.clone())),
            env,
            overrides.flags(),
        );

        // Keys are parsed in `keys::ALL` order, the order reports list values
        // and problems in, which puts the auth keys between the two halves
        // of the log section.
        let instance = instance::parse(&mut parser, env);
        let http = http::parse(&mut parser);
        let store = store::parse(&mut parser, env);
        let log_style = log::parse_style(&mut parser);
        let auth = auth::parse(&mut parser);
        let log = log::parse_destination(&mut parser, log_style);
        let ops = ops::parse(&mut parser, instance.env);
        let tracing = traces::parse(&mut parser);

        let settings = Settings {
            env: instance.env,
            listen: instance.listen,
            data_dir: instance.data_dir,
            identity: instance.identity,
            demo_data: instance.demo_data,
            http,
            store,
            log,
            auth,
            ops,
            tracing,
            config_file: file.map(|(path, _)| path),
            origins: parser.origins,
            drift: parser.layers.drift.clone(),
            identity_not_needed: overrides.identity_not_needed,
        };
        settings.validated(parser.problems)
    }

    /// The settings, unless parsing or the production checks found problems.
    fn validated(self, mut problems: Vec<Problem>) -> Result<Self, ConfigError> {
        if self.env == Environment::Production {
            problems.extend(self.production_problems());
        }
        if problems.is_empty() {
            Ok(self)
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
        problems.extend(self.postgres_problems());
        problems
    }

    /// How the store is opened with these settings.
    /// How to open the store. On PostgreSQL this builds the connection
    /// pool (no connection is made yet); it fails only when the TLS setup
    /// cannot work, e.g. an unreadable `store.postgres_ca_file`.
    pub fn store_options(
        &self,
    ) -> Result<crate::store::StoreOptions, crate::store::postgres::ConnectError> {
        let postgres = match (self.store.backend, &self.store.postgres) {
            (store::Backend::Postgres, Some(options)) => {
                Some(crate::store::postgres::pool(options)?)
            }
            _ => None,
        };
        Ok(crate::store::StoreOptions {
            data_dir: self.data_dir.clone(),
            identity: crate::store::IdentityOptions {
                path: self.identity.path.clone(),
                may_create: self.identity.origin == IdentityOrigin::DevelopmentDefault,
                require_private: self.is_production(),
            },
            cache_bytes: self.store.cache_size_mb * 1024 * 1024,
            quick_repair: self.store.quick_repair,
            demo_data: self.demo_data,
            postgres,
        })
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
        warnings.extend(self.store_warnings());
        warnings
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

/// Resolves `path` against the current folder, for reports.
pub fn display_path(path: &Path) -> String {
    crate::fsutil::display_path(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings from these variables alone, as the service reads them.
    pub(crate) fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
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
