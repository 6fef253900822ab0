//! The layers a setting can come from, later ones winning: built-in
//! defaults, the TOML file, `LAUNCHPAD_*` variables, command-line flags.

use super::keys::{self, Key};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a value came from, for reports and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(var) => f.write_str(var),
            Origin::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A value before typing: TOML keeps its types, variables and flags are text.
#[derive(Debug, Clone)]
pub enum Raw {
    Toml(toml::Value),
    Text(String),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Toml(value) => write!(f, "{value}"),
            Raw::Text(text) => write!(f, "{text:?}"),
        }
    }
}

/// A key or variable nobody reads: a typo or a leftover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub name: String,
    pub origin: Origin,
    pub hint: String,
}

/// All layers, gathered before any value is typed.
#[derive(Debug, Default)]
pub struct Layers {
    file: BTreeMap<String, toml::Value>,
    file_path: Option<PathBuf>,
    env: BTreeMap<String, String>,
    flags: BTreeMap<&'static str, String>,
    pub drift: Vec<Drift>,
}

impl Layers {
    pub fn new(
        file: Option<(&Path, toml::Table)>,
        env: &BTreeMap<String, String>,
        flags: BTreeMap<&'static str, String>,
    ) -> Self {
        let mut layers = Layers {
            flags,
            ..Default::default()
        };
        if let Some((path, table)) = file {
            layers.file_path = Some(path.to_owned());
            flatten("", table, &mut layers.file);
            for name in layers.file.keys() {
                if keys::find(name).is_none() {
                    layers.drift.push(Drift {
                        name: name.clone(),
                        origin: Origin::File(path.to_owned()),
                        hint: hint_for(name),
                    });
                }
            }
        }
        let known: Vec<String> = keys::ALL.iter().map(Key::env_var).collect();
        for (var, value) in env {
            if !var.starts_with("LAUNCHPAD_") {
                continue;
            }
            if known.contains(var) {
                layers.env.insert(var.clone(), value.clone());
            } else if !keys::OTHER_VARIABLES.contains(&var.as_str()) {
                let as_key = var.trim_start_matches("LAUNCHPAD_").to_ascii_lowercase();
                layers.drift.push(Drift {
                    name: var.clone(),
                    origin: Origin::Env(var.clone()),
                    hint: hint_for(&as_key),
                });
            }
        }
        layers
    }

    /// The winning raw value for `key` and where it came from.
    pub fn lookup(&self, key: &Key) -> Option<(Raw, Origin)> {
        if let Some(flag) = key.flag
            && let Some(value) = self.flags.get(key.name)
        {
            return Some((Raw::Text(value.clone()), Origin::Flag(flag)));
        }
        let var = key.env_var();
        if let Some(value) = self.env.get(&var) {
            return Some((Raw::Text(value.clone()), Origin::Env(var)));
        }
        let path = self.file_path.clone().unwrap_or_default();
        self.file
            .get(key.name)
            .map(|value| (Raw::Toml(value.clone()), Origin::File(path)))
    }
}

fn hint_for(name: &str) -> String {
    if let Some((_, instead)) = keys::DEPRECATED.iter().find(|(old, _)| *old == name) {
        return format!("deprecated: {instead}");
    }
    match keys::closest(name) {
        Some(near) => format!("unknown key; did you mean `{near}`?"),
        None => "unknown key; see `launchpad config check --help` for the list".to_owned(),
    }
}

/// `[http] body_limit_bytes = 1` becomes `http.body_limit_bytes = 1`.
fn flatten(prefix: &str, table: toml::Table, out: &mut BTreeMap<String, toml::Value>) {
    for (name, value) in table {
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::Table(inner) if keys::find(&full).is_none() => flatten(&full, inner, out),
            other => {
                out.insert(full, other);
            }
        }
    }
}
