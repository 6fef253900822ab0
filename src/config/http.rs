//! The HTTP server section: how large a body it accepts, which browser
//! origins may call the API, how many workers serve it and how long a
//! stopping server waits for requests in flight.

use super::keys;
use super::parser::Parser;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub body_limit: usize,
    pub cors_allowed_origins: Vec<String>,
    /// 0 means one per CPU.
    pub workers: usize,
    pub shutdown_timeout: Duration,
    pub contract: Contract,
}

/// How strictly the API holds clients to its contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    /// The most projects an unpaged `GET /api/v1/projects` sends.
    pub unpaged_list_max: u64,
    /// Whether a `PATCH` or `DELETE` of a single resource needs `If-Match`.
    pub require_if_match: bool,
}

/// `http.body_limit_bytes`, `http.cors_allowed_origins`, `http.workers`,
/// `http.unpaged_list_max`, `http.require_if_match` and
/// `http.shutdown_timeout_secs`. The proxy and HSTS keys of the same table
/// guard the door, so [`super::auth`] reads them.
pub(super) fn parse(parser: &mut Parser) -> HttpSettings {
    let body_limit = parser.number(&keys::BODY_LIMIT, 64 * 1024, 1024..=16 * 1024 * 1024);
    let cors_allowed_origins = parser.list(
        &keys::CORS_ORIGINS,
        "a list of origins such as https://app.example.com (scheme and host, no path)",
        valid_origin,
    );
    let workers = parser.number(&keys::WORKERS, 0, 0..=64);
    let shutdown = parser.number(&keys::SHUTDOWN_TIMEOUT, 30, 1..=600);
    let contract = Contract {
        unpaged_list_max: parser.number(&keys::UNPAGED_LIST_MAX, 10_000, 1..=1_000_000),
        require_if_match: parser.boolean(&keys::REQUIRE_IF_MATCH, false),
    };
    HttpSettings {
        body_limit: body_limit as usize,
        cors_allowed_origins,
        workers: workers as usize,
        shutdown_timeout: Duration::from_secs(shutdown),
        contract,
    }
}

/// A scheme and host (and port), or `*`; production refuses `*` later.
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
