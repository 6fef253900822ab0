//! The typing half of configuration: looks each key up through the layers,
//! converts it to the type its section needs, and records where the value
//! came from. A bad value becomes a [`Problem`] and the default is used, so
//! parsing carries on and every problem is reported at once.

use super::keys::{Key, Shown};
use super::sources::{Layers, Raw};
use super::{DEFAULT_CONFIG_FILE, Origin, Overrides, Problem};
use std::path::PathBuf;

/// Types raw values key by key, collecting problems instead of stopping.
#[derive(Default)]
pub(super) struct Parser {
    pub(super) layers: Layers,
    pub(super) problems: Vec<Problem>,
    pub(super) origins: Vec<(&'static Key, Origin, String)>,
}

impl Parser {
    /// Reads `--config`, or the default file when there is one; a file that
    /// cannot be read or is not TOML is a problem, and parsing goes on
    /// without it.
    pub(super) fn read_file(&mut self, overrides: &Overrides) -> Option<(PathBuf, toml::Table)> {
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
        let shown = shown(key, &raw);
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

    /// The origin of `key`'s value, once it has been looked up.
    pub(super) fn origin_of(&self, key: &Key) -> Option<Origin> {
        self.origins
            .iter()
            .find(|(k, _, _)| k.name == key.name)
            .map(|(_, o, _)| o.clone())
    }

    pub(super) fn parse<T>(
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

    pub(super) fn boolean(&mut self, key: &'static Key, default: bool) -> bool {
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

    pub(super) fn number(
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

    /// A decimal number within `range`, written as a TOML float or integer,
    /// or as text in a variable.
    pub(super) fn decimal(
        &mut self,
        key: &'static Key,
        default: f64,
        range: std::ops::RangeInclusive<f64>,
    ) -> f64 {
        let expected = format!("a number from {:?} to {:?}", range.start(), range.end());
        self.typed(key, default, &expected, |raw| {
            let n = match raw {
                Raw::Toml(toml::Value::Float(f)) => Some(*f),
                Raw::Toml(toml::Value::Integer(i)) => Some(*i as f64),
                Raw::Text(s) => s.trim().parse().ok(),
                Raw::Toml(_) => None,
            }?;
            range.contains(&n).then_some(n)
        })
    }

    pub(super) fn choice<T: Copy>(
        &mut self,
        key: &'static Key,
        options: &[(&str, T)],
        default: T,
    ) -> T {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let expected = format!("one of {}", names.join(", "));
        self.parse(key, default, &expected, |s| {
            options
                .iter()
                .find(|(n, _)| *n == s.trim())
                .map(|(_, v)| *v)
        })
    }

    pub(super) fn list(
        &mut self,
        key: &'static Key,
        expected: &str,
        valid: fn(&str) -> bool,
    ) -> Vec<String> {
        self.typed(key, Vec::new(), expected, |raw| {
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
        })
    }
}

/// A raw value as reports show it: masked as its key says.
fn shown(key: &Key, raw: &Raw) -> String {
    let text = match raw {
        Raw::Text(s) | Raw::Toml(toml::Value::String(s)) => Some(s),
        Raw::Toml(_) => None,
    };
    match (key.shown, text) {
        (Shown::Plain, _) => raw.to_string(),
        (Shown::UrlPassword, Some(url)) => {
            format!("{:?}", crate::store::postgres::mask(url).as_str())
        }
        (Shown::Hidden, _) | (Shown::UrlPassword, None) => "\"********\"".to_owned(),
    }
}
