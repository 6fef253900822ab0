//! The top-level keys, which say what this instance is: development or
//! production, the address it serves on, the data folder, the age identity
//! that unwraps its data key, and whether a new store gets demo data.
//!
//! Under systemd the data folder and identity default to what the unit
//! provides (`StateDirectory=`, `LoadCredential=`); production then insists
//! on an identity of its own, kept outside the data folder.

use super::keys;
use super::parser::Parser;
use super::{Environment, Problem, Settings};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

/// The top-level values, before they take their place in [`Settings`].
pub(super) struct Instance {
    pub(super) env: Environment,
    pub(super) listen: SocketAddr,
    pub(super) data_dir: PathBuf,
    pub(super) identity: IdentitySource,
    pub(super) demo_data: bool,
}

/// `env`, `listen`, `data_dir`, `identity_file` and `demo_data`; `env` is
/// the process environment, which holds systemd's folders.
pub(super) fn parse(parser: &mut Parser, env: &BTreeMap<String, String>) -> Instance {
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
    Instance {
        env: env_mode,
        listen,
        data_dir,
        identity,
        demo_data,
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

impl Settings {
    /// Production needs its own identity: outside the data folder, present,
    /// and readable by the service user alone.
    pub(super) fn identity_problems(&self) -> Vec<Problem> {
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
}
