//! Reaching PostgreSQL, the second store backend: the connection URL and
//! its masking, TLS, the connection pool, and errors that say what failed.
//!
//! The tables themselves are the store's; this module only hands out
//! connections that keep the store's promises (`synchronous_commit = on`,
//! TLS verified when `sslmode=require`) and never shows the password.

mod connect;
mod error;
mod tls;
mod url;

pub use connect::{APPLICATION_NAME, Pool, PostgresOptions, ServerFacts, describe, pool};
pub use error::{ConnectError, TlsFailure};
pub use tls::read_ca_file;
pub use url::{MaskedUrl, PostgresUrl, TlsMode, UrlError, mask};
