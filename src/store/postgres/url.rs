//! The PostgreSQL connection URL: parsed once, with its password kept out of
//! every report.
//!
//! A URL such as `postgres://launchpad:s3cret@db.internal:5432/launchpad`
//! carries the database password, and the URL is what an operator, a log
//! line or an error message most wants to show. [`mask`] is the one way it
//! is shown: the password between `user:` and `@` and any `password=`
//! parameter become `***`. It works on text that does not parse, so a bad
//! value in a configuration report is masked too, and it masks too much
//! rather than too little when the text is ambiguous (an unencoded `@` in a
//! password).
//!
//! `sslmode` follows libpq's names. `verify-ca` and `verify-full` are
//! accepted and mean `require`, which here always verifies the server's
//! certificate chain and name (stricter than libpq's `require`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// What shows in place of a password.
const HIDDEN: &str = "***";

/// A URL fit to print: the password is gone.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedUrl(String);

impl MaskedUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// `text` with every password it may hold replaced by `***`; text that is
/// not a `postgres://` URL is hidden whole, since it may be a libpq
/// `key=value` string with a password anywhere in it.
pub fn mask(text: &str) -> MaskedUrl {
    let Some((scheme, rest)) = split_scheme(text) else {
        return MaskedUrl(HIDDEN.to_owned());
    };
    // The credentials end at an `@`. tokio-postgres takes the first one;
    // the last one hides everything a stray `@` in a password could expose.
    let (credentials, after) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    if let Some(credentials) = credentials {
        match credentials.split_once(':') {
            Some((user, _password)) => out.push_str(&format!("{user}:{HIDDEN}@")),
            None => out.push_str(&format!("{credentials}@")),
        }
    }
    match after.split_once('?') {
        Some((target, query)) => {
            out.push_str(target);
            out.push('?');
            out.push_str(&mask_query(query));
        }
        None => out.push_str(after),
    }
    MaskedUrl(out)
}

/// The query with the value of every `password` parameter hidden.
fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if decode(key).eq_ignore_ascii_case("password") => {
                format!("{key}={HIDDEN}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-decoding for parameter names, lossy: only compared, never used.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_scheme(text: &str) -> Option<(&str, &str)> {
    ["postgresql", "postgres"]
        .into_iter()
        .find_map(|scheme| Some((scheme, text.strip_prefix(scheme)?.strip_prefix("://")?)))
}

/// How the connection is protected, from the URL's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `sslmode=disable`: plain TCP.
    Disable,
    /// `sslmode=prefer` or no `sslmode` (libpq's default): TLS when the
    /// server offers it, unverified, as libpq does; plain otherwise.
    Prefer,
    /// `sslmode=require`, `verify-ca` or `verify-full`: TLS or no
    /// connection, the certificate verified against the system's roots and
    /// `store.postgres_ca_file`.
    Require,
}

/// Why a URL cannot be used; never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("is not a postgres:// or postgresql:// URL")]
    NotAUrl,
    #[error("sslmode must be disable, prefer, require, verify-ca or verify-full, not {0:?}")]
    SslMode(String),
    #[error(
        "the URL's sslrootcert is not read; name the CA bundle in store.postgres_ca_file instead"
    )]
    RootCertInUrl,
    #[error("names no host; add one, e.g. postgres://user@db.internal:5432/launchpad")]
    NoHost,
    #[error("has an `@` in its password or user name; percent-encode it as %40")]
    UnencodedAt,
    /// tokio-postgres's reason, which names the parameter but not its value.
    #[error("cannot be parsed: {0}")]
    Invalid(String),
}

/// A parsed connection URL. Debug and Display show it masked.
#[derive(Clone)]
pub struct PostgresUrl {
    config: tokio_postgres::Config,
    tls: TlsMode,
    masked: MaskedUrl,
}

impl PostgresUrl {
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let written = text.trim();
        let (_, rest) = split_scheme(written).ok_or(UrlError::NotAUrl)?;
        let (tls, text) = take_sslmode(written, rest)?;
        let config = tokio_postgres::Config::from_str(&text).map_err(|e| {
            // The error's source says which parameter; its Display alone does not.
            let why =
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
            UrlError::Invalid(why)
        })?;
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            return Err(UrlError::NoHost);
        }
        let stray_at = config.get_hosts().iter().any(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.contains('@'),
            _ => false,
        });
        if stray_at {
            return Err(UrlError::UnencodedAt);
        }
        Ok(PostgresUrl {
            config,
            tls,
            masked: mask(written),
        })
    }

    pub fn masked(&self) -> &MaskedUrl {
        &self.masked
    }

    pub fn tls(&self) -> TlsMode {
        self.tls
    }

    /// The parsed settings, password included; for connecting only.
    pub(super) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Whether every address this URL connects to is on this machine: a
    /// unix socket, `localhost`, 127.0.0.0/8 or ::1. Traffic to those never
    /// crosses a network, so it may go without TLS.
    pub fn is_local(&self) -> bool {
        use tokio_postgres::config::Host;
        let hosts = self.config.get_hosts();
        let addrs = self.config.get_hostaddrs();
        // tokio-postgres connects to hostaddr[i] when it is given, else host[i].
        (0..hosts.len().max(addrs.len())).all(|i| match (addrs.get(i), hosts.get(i)) {
            (Some(addr), _) => addr.is_loopback(),
            (None, Some(Host::Tcp(name))) => {
                name.eq_ignore_ascii_case("localhost")
                    || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            (None, Some(Host::Unix(_))) => true,
            (None, None) => false,
        })
    }
}

/// The URL's `sslmode`, and the URL as tokio-postgres accepts it (libpq's
/// `verify-*` modes become `require`, which verifies anyway).
fn take_sslmode(text: &str, rest: &str) -> Result<(TlsMode, String), UrlError> {
    // Parameters start at the first `?` after the credentials, which end at
    // the first `@` (as tokio-postgres reads them).
    let start = text.len() - rest.len() + rest.find('@').map_or(0, |at| at + 1);
    let Some(query_at) = text[start..].find('?').map(|q| start + q) else {
        return Ok((TlsMode::Prefer, text.to_owned()));
    };
    let mut mode = TlsMode::Prefer;
    let mut pairs = Vec::new();
    for pair in text[query_at + 1..].split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key).as_str() {
            "sslmode" => {
                mode = match decode(value).as_str() {
                    "disable" => TlsMode::Disable,
                    "prefer" => TlsMode::Prefer,
                    "require" | "verify-ca" | "verify-full" => TlsMode::Require,
                    other => return Err(UrlError::SslMode(other.to_owned())),
                };
                let value = match mode {
                    TlsMode::Disable => "disable",
                    TlsMode::Prefer => "prefer",
                    TlsMode::Require => "require",
                };
                pairs.push(format!("sslmode={value}"));
            }
            "sslrootcert" => return Err(UrlError::RootCertInUrl),
            _ => pairs.push(pair.to_owned()),
        }
    }
    Ok((mode, format!("{}?{}", &text[..query_at], pairs.join("&"))))
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.masked.fmt(f)
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("url", &self.masked)
            .field("tls", &self.tls)
            .finish()
    }
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
