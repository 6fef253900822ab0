//! The auth section: the role of requests without credentials, how long a
//! session lives, how the session cookie is marked, the login and API rate
//! limits, and the two HTTP keys that decide who the client is and whether
//! browsers must keep to HTTPS (`http.trusted_proxies`, `http.hsts_max_age_secs`).

use super::keys;
use super::parser::Parser;
use crate::domain::Role;
use std::time::Duration;

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

/// `http.trusted_proxies`, `http.hsts_max_age_secs` and every `auth.*` key.
pub(super) fn parse(parser: &mut Parser) -> AuthSettings {
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
    let api_per_second = parser.number(&keys::API_RATE, 100, 1..=1_000_000);
    AuthSettings {
        anonymous_role,
        session_idle: Duration::from_secs(session_idle),
        session_max: Duration::from_secs(session_max),
        cookie_secure,
        login_per_minute: login_per_minute as u32,
        api_per_second: api_per_second as u32,
        trusted_proxies,
        hsts_max_age_secs,
    }
}
