//! Settings an operator tunes for running the service: who may scrape
//! `/metrics`, what `/ready` holds the deployment to, and the policies
//! `launchpad diagnose` audits against.

use super::keys::{self, Key};
use super::parser::Parser;
use super::{Environment, Problem};
use crate::domain::Millis;
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;

/// Basic-auth credentials for `/metrics`.
#[derive(Clone)]
pub struct MetricsAuth {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for MetricsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAuth")
            .field("username", &self.username)
            .field("password", &"********")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct OpsSettings {
    /// Networks that may read `/metrics`; loopback unless configured.
    pub metrics_networks: Vec<IpNet>,
    pub metrics_auth: Option<MetricsAuth>,
    /// `/ready` fails below this much free space on the data folder's filesystem.
    pub min_free_disk_bytes: u64,
    /// `None` when the backup-freshness check is off.
    pub backup_max_age: Option<Duration>,
    pub key_rotation: Duration,
}

impl OpsSettings {
    /// Whether a client at `ip` may read `/metrics` (credentials aside).
    pub fn metrics_allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        self.metrics_networks.iter().any(|net| net.contains(&ip))
    }

    /// Whether a backup taken at `last` (`None`: never) meets the policy at `now`.
    pub fn backup_fresh(&self, last: Option<Millis>, now: Millis) -> bool {
        match (self.backup_max_age, last) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(limit), Some(at)) => now.saturating_sub(at) <= limit.as_millis() as Millis,
        }
    }
}

const DAY: u64 = 86_400;
const LOOPBACK: [&str; 2] = ["127.0.0.0/8", "::1/128"];

pub(super) fn parse(parser: &mut Parser, env: Environment) -> OpsSettings {
    let mut metrics_networks: Vec<IpNet> = parser
        .list(
            &keys::METRICS_NETWORKS,
            "a list of networks in CIDR form such as 10.0.0.0/16",
            |s| s.parse::<IpNet>().is_ok(),
        )
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    if metrics_networks.is_empty() {
        metrics_networks = LOOPBACK
            .iter()
            .map(|n| n.parse().expect("valid networks"))
            .collect();
    }
    let text = |parser: &mut Parser, key: &'static Key| {
        parser.parse(key, None, "a non-empty value", |s| {
            (!s.trim().is_empty()).then(|| Some(s.to_owned()))
        })
    };
    let username = text(parser, &keys::METRICS_USERNAME);
    let password = text(parser, &keys::METRICS_PASSWORD);
    let username_set = username.is_some();
    let metrics_auth = match (username, password) {
        (None, None) => None,
        (Some(username), Some(password)) if password.chars().count() >= 16 => {
            Some(MetricsAuth { username, password })
        }
        (Some(_), Some(_)) => {
            let short = problem(
                &keys::METRICS_PASSWORD,
                "is shorter than 16 characters",
                "use a long random password, e.g. `openssl rand -base64 24`",
            );
            parser.problems.push(with_origin(parser, short));
            None
        }
        (Some(_), None) | (None, Some(_)) => {
            // Named by the half that was set, so the report says where it came from.
            let set = if username_set {
                &keys::METRICS_USERNAME
            } else {
                &keys::METRICS_PASSWORD
            };
            let alone = problem(
                set,
                "metrics.username and metrics.password must be set together",
                "set both for basic auth on /metrics, or neither",
            );
            parser.problems.push(with_origin(parser, alone));
            None
        }
    };
    let min_free_mb = parser.number(&keys::MIN_FREE_DISK, 512, 0..=1_048_576);
    let backup_default = if env == Environment::Production {
        26
    } else {
        0
    };
    let backup_hours = parser.number(&keys::BACKUP_MAX_AGE, backup_default, 0..=8760);
    let rotation_days = parser.number(&keys::KEY_ROTATION_DAYS, 90, 1..=3650);
    OpsSettings {
        metrics_networks,
        metrics_auth,
        min_free_disk_bytes: min_free_mb * 1024 * 1024,
        backup_max_age: (backup_hours > 0).then(|| Duration::from_secs(backup_hours * 3600)),
        key_rotation: Duration::from_secs(rotation_days * DAY),
    }
}

/// The problem with the origin of its key's value, when it has one.
fn with_origin(parser: &Parser, mut problem: Problem) -> Problem {
    problem.origin = parser
        .origins
        .iter()
        .find(|(k, _, _)| k.name == problem.key)
        .map(|(_, o, _)| o.clone());
    problem
}

fn problem(key: &Key, message: &str, fix: &str) -> Problem {
    Problem {
        key: key.name.to_owned(),
        origin: None,
        value: None,
        message: message.to_owned(),
        fix: fix.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_networks(nets: &[&str]) -> OpsSettings {
        OpsSettings {
            metrics_networks: nets.iter().map(|n| n.parse().unwrap()).collect(),
            metrics_auth: None,
            min_free_disk_bytes: 0,
            backup_max_age: None,
            key_rotation: Duration::from_secs(90 * DAY),
        }
    }

    #[test]
    fn metrics_are_allowed_to_the_listed_networks_only() {
        let ops = with_networks(&["10.0.0.0/16"]);
        for allowed in ["10.0.3.4", "::ffff:10.0.0.1"] {
            assert!(ops.metrics_allowed(allowed.parse().unwrap()), "{allowed}");
        }
        for refused in ["127.0.0.1", "10.1.0.1", "192.168.1.1", "2001:db8::1"] {
            assert!(!ops.metrics_allowed(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn the_default_metrics_networks_are_loopback_over_ipv4_ipv6_and_mapped() {
        let ops = with_networks(&LOOPBACK);
        for allowed in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(ops.metrics_allowed(allowed.parse().unwrap()), "{allowed}");
        }
        assert!(!ops.metrics_allowed("10.0.0.1".parse().unwrap()));
    }
}
