//! What can go wrong reaching PostgreSQL, said so an operator knows where
//! to look: the name did not resolve, nothing listens, the login was
//! refused, TLS failed (and why), or the server took too long.
//!
//! Every message names the URL masked; tokio-postgres's own errors never
//! carry the password, and are kept as the source so the cause chain shows
//! the details.

use super::url::MaskedUrl;
use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot use the CA bundle {} (store.postgres_ca_file): {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "sslmode=require for {url}, but there is no CA to verify the server against: install the system's CA certificates (Debian's ca-certificates) or set store.postgres_ca_file"
    )]
    NoTrustAnchors { url: MaskedUrl },
    #[error("cannot resolve the database host of {url}: check the host name and DNS")]
    Dns {
        url: MaskedUrl,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "the database at {url} refused the connection: is PostgreSQL running and listening on that address and port?"
    )]
    Refused {
        url: MaskedUrl,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "connecting to the database at {url} took longer than {} s (store.postgres_connect_timeout_secs): check the host, the port and any firewall between",
        after.as_secs()
    )]
    Timeout { url: MaskedUrl, after: Duration },
    #[error("the database at {url} refused the login ({reason}): check the user name and password")]
    Auth {
        url: MaskedUrl,
        reason: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("TLS to the database at {url} failed: {failure}")]
    Tls {
        url: MaskedUrl,
        failure: TlsFailure,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("the database at {url} answered with an error: {reason}")]
    Server {
        url: MaskedUrl,
        reason: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("talking to the database at {url} failed")]
    Failed {
        url: MaskedUrl,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "all {size} connections to the database at {url} stayed busy for {} s; raise store.postgres_pool_size or look for slow queries",
        after.as_secs()
    )]
    Exhausted {
        url: MaskedUrl,
        size: usize,
        after: Duration,
    },
    #[error("the connection pool for {url} gives no connection: {reason}")]
    Pool { url: MaskedUrl, reason: String },
}

/// Why a TLS connection failed, in the words an operator acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlsFailure {
    #[error(
        "the server's certificate is not signed by a trusted CA; name its CA bundle in store.postgres_ca_file (e.g. the RDS bundle)"
    )]
    UntrustedCertificate,
    #[error(
        "the server's certificate does not name the host in the URL; connect by a name the certificate lists"
    )]
    WrongName,
    #[error("the server's certificate has expired or is not valid yet")]
    Expired,
    #[error("the server's certificate is invalid")]
    BadCertificate,
    #[error(
        "the server does not offer TLS; enable ssl on the server or, for a local server only, set sslmode=disable"
    )]
    NotOffered,
    #[error("the TLS handshake failed")]
    Handshake,
}

impl ConnectError {
    /// Names what failed in `error`, a failure to connect or to query.
    pub(super) fn classify(
        url: &MaskedUrl,
        error: tokio_postgres::Error,
        timeout: Duration,
    ) -> Self {
        let url = url.clone();
        if let Some(db) = error.as_db_error() {
            let reason = db.message().to_owned();
            // Class 28: invalid authorization (a wrong password, no pg_hba.conf entry).
            return if db.code().code().starts_with("28") {
                ConnectError::Auth {
                    url,
                    reason,
                    source: error,
                }
            } else {
                ConnectError::Server {
                    url,
                    reason,
                    source: error,
                }
            };
        }
        let rustls = causes(&error)
            .find_map(|e| e.downcast_ref::<rustls::Error>())
            .map(TlsFailure::from_rustls);
        if let Some(failure) = rustls {
            return ConnectError::Tls {
                url,
                failure,
                source: error,
            };
        }
        // tokio-postgres says "error performing TLS handshake" for a server
        // that answers the TLS request with "no".
        if error
            .to_string()
            .starts_with("error performing TLS handshake")
        {
            let not_offered =
                causes(&error).any(|e| e.to_string().contains("does not support TLS"));
            let failure = if not_offered {
                TlsFailure::NotOffered
            } else {
                TlsFailure::Handshake
            };
            return ConnectError::Tls {
                url,
                failure,
                source: error,
            };
        }
        let io = causes(&error)
            .find_map(|e| e.downcast_ref::<io::Error>())
            .map(|io| (io.kind(), io.to_string()));
        match io {
            Some((io::ErrorKind::ConnectionRefused, _)) => {
                return ConnectError::Refused { url, source: error };
            }
            Some((io::ErrorKind::TimedOut, _)) => {
                return ConnectError::Timeout {
                    url,
                    after: timeout,
                };
            }
            // The standard library's words for a failed getaddrinfo.
            Some((_, text)) if text.contains("failed to lookup address") => {
                return ConnectError::Dns { url, source: error };
            }
            _ => {}
        }
        if error.to_string().starts_with("invalid configuration")
            && causes(&error).any(|e| e.to_string().contains("password missing"))
        {
            return ConnectError::Auth {
                url,
                reason: "the server asks for a password and the URL has none".into(),
                source: error,
            };
        }
        ConnectError::Failed { url, source: error }
    }
}

impl TlsFailure {
    fn from_rustls(error: &rustls::Error) -> Self {
        use rustls::CertificateError as Cert;
        match error {
            rustls::Error::InvalidCertificate(cert) => match cert {
                Cert::UnknownIssuer | Cert::BadSignature | Cert::UnhandledCriticalExtension => {
                    TlsFailure::UntrustedCertificate
                }
                Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
                    TlsFailure::WrongName
                }
                Cert::Expired
                | Cert::ExpiredContext { .. }
                | Cert::NotValidYet
                | Cert::NotValidYetContext { .. } => TlsFailure::Expired,
                _ => TlsFailure::BadCertificate,
            },
            _ => TlsFailure::Handshake,
        }
    }
}

/// `error` and its causes, looking inside `io::Error`s too: their `source()`
/// skips the error they wrap, which is where tokio-rustls puts rustls's.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(error);
    std::iter::from_fn(move || {
        let current = next?;
        let inner = current
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .map(|e| e as &(dyn StdError + 'static));
        next = inner.or_else(|| current.source());
        Some(current)
    })
}
