//! The pool of PostgreSQL connections: deadpool-postgres over
//! tokio-postgres, with TLS from [`super::tls`].
//!
//! Every connection asks for `synchronous_commit = on` and names itself
//! `launchpad` in its startup packet, so a 2xx write is on the server's
//! disk (and its synchronous standby's) whatever the role or database
//! defaults say, and `pg_stat_activity` shows who is connected. Connections
//! are made on first use, so building the pool never touches the network;
//! [`describe`] is the first round trip.

use super::error::ConnectError;
use super::tls;
use super::url::{MaskedUrl, PostgresUrl};
use deadpool_postgres::{Manager, ManagerConfig, PoolError, RecyclingMethod, Runtime, TimeoutType};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The longest one statement may run: every store statement is small (a
/// page of a range, a batch of upserts, the write lock held for one
/// batch), so one that runs longer is stuck, and is better refused.
const STATEMENT_TIMEOUT_MS: u32 = 60_000;

/// What `pg_stat_activity.application_name` shows for LaunchPad.
pub const APPLICATION_NAME: &str = "launchpad";

/// How to reach PostgreSQL, from configuration.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    pub url: PostgresUrl,
    /// The most connections held open at once.
    pub pool_size: usize,
    /// For connecting (TCP, TLS and login), and for waiting on a busy pool.
    pub connect_timeout: Duration,
    /// PEM CA certificates trusted besides the system's, for `sslmode=require`.
    pub ca_file: Option<PathBuf>,
}

/// A pool of connections, cheap to clone; its errors name the masked URL.
///
/// Its connections live on a small runtime of their own, never on a
/// caller's: the store's reads are synchronous calls from the HTTP workers'
/// threads, and a connection driven by the thread that waits on it would
/// never answer. The runtime lasts as long as the last clone of the pool.
#[derive(Clone)]
pub struct Pool {
    inner: deadpool_postgres::Pool,
    url: MaskedUrl,
    timeout: Duration,
    io: Arc<Io>,
}

/// Threads of the runtime that drives the connections: the socket work is
/// small next to the round trips it waits for.
const IO_THREADS: usize = 2;

/// The connections' runtime, shut down without waiting when the pool goes
/// (the last clone may drop on an async thread).
struct Io(Option<tokio::runtime::Runtime>);

impl Drop for Io {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Builds the pool; fails only on a TLS setup that cannot work (an
/// unusable CA file, no CA at all for `sslmode=require`).
pub fn pool(options: &PostgresOptions) -> Result<Pool, ConnectError> {
    let url = options.url.masked().clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(IO_THREADS)
        .thread_name("launchpad-pg")
        .enable_all()
        .build()
        .map_err(|e| ConnectError::Pool {
            url: url.clone(),
            reason: format!("its runtime did not start: {e}"),
        })?;
    let mut config = options.url.config().clone();
    config.application_name(APPLICATION_NAME);
    config.connect_timeout(options.connect_timeout);
    // Appended, so it wins over an `options` parameter in the URL.
    let startup = config.get_options().unwrap_or_default();
    config.options(
        format!("{startup} -c synchronous_commit=on -c statement_timeout={STATEMENT_TIMEOUT_MS}")
            .trim_start(),
    );
    // A server that vanished without closing the connection (a failover,
    // a dropped network path) is noticed in about half a minute, rather
    // than after the system's default of two hours.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(15));
    config.keepalives_interval(Duration::from_secs(5));
    config.keepalives_retries(3);
    let connector = tls::connector(options.url.tls(), options.ca_file.as_deref(), &url)?;
    let manager = Manager::from_config(
        config,
        connector,
        ManagerConfig {
            // A closed connection is dropped on checkout; one that died
            // silently fails its next query, which the caller retries.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let timeout = options.connect_timeout;
    let inner = deadpool_postgres::Pool::builder(manager)
        .max_size(options.pool_size)
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(timeout))
        .wait_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .expect("a pool with a runtime and timeouts builds");
    Ok(Pool {
        inner,
        url,
        timeout,
        io: Arc::new(Io(Some(runtime))),
    })
}

impl Pool {
    /// A connection, new or reused; a new one is made on the pool's runtime.
    pub async fn get(&self) -> Result<deadpool_postgres::Client, ConnectError> {
        let inner = self.inner.clone();
        let got = self
            .runtime()
            .spawn(async move { inner.get().await })
            .await
            .map_err(|e| ConnectError::Pool {
                url: self.url.clone(),
                reason: format!("a checkout did not finish: {e}"),
            })?;
        got.map_err(|e| self.explain(e))
    }

    /// The runtime the connections live on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.io
            .0
            .as_ref()
            .expect("held until the pool drops")
            .handle()
    }

    pub fn url(&self) -> &MaskedUrl {
        &self.url
    }

    /// Connections open, idle and waited for, for the metrics.
    pub fn status(&self) -> deadpool_postgres::Status {
        self.inner.status()
    }

    /// Closes idle connections and refuses new checkouts.
    pub fn close(&self) {
        self.inner.close();
    }

    fn explain(&self, error: PoolError) -> ConnectError {
        let url = self.url.clone();
        match error {
            PoolError::Backend(e) => ConnectError::classify(&url, e, self.timeout),
            PoolError::Timeout(TimeoutType::Wait) => ConnectError::Exhausted {
                url,
                size: self.inner.status().max_size,
                after: self.timeout,
            },
            PoolError::Timeout(_) => ConnectError::Timeout {
                url,
                after: self.timeout,
            },
            PoolError::PostCreateHook(hook) => ConnectError::Pool {
                url,
                reason: hook.to_string(),
            },
            PoolError::Closed => ConnectError::Pool {
                url,
                reason: "it is closed".into(),
            },
            PoolError::NoRuntimeSpecified => ConnectError::Pool {
                url,
                reason: "it has no async runtime".into(),
            },
        }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("url", &self.url)
            .field("status", &self.inner.status())
            .finish()
    }
}

/// What the server says about itself and this session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerFacts {
    /// `server_version`, e.g. `17.5 (Debian 17.5-1)`.
    pub version: String,
    /// `server_version_num`, e.g. 170005.
    pub version_num: i32,
    pub database: String,
    pub user: String,
    /// Whether this session's connection is TLS, from `pg_stat_ssl`.
    pub tls: bool,
    /// The TLS version and cipher, when `tls`.
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    /// `on` on every LaunchPad connection.
    pub synchronous_commit: String,
    pub application_name: String,
}

/// One round trip: the server's version, and how this session is set up.
pub async fn describe(pool: &Pool) -> Result<ServerFacts, ConnectError> {
    const FACTS: &str = "\
        SELECT current_setting('server_version'), \
               current_setting('server_version_num')::int4, \
               current_database()::text, current_user::text, \
               coalesce(s.ssl, false), s.version, s.cipher, \
               current_setting('synchronous_commit'), \
               current_setting('application_name') \
        FROM (SELECT pg_backend_pid() AS pid) AS me \
        LEFT JOIN pg_stat_ssl AS s ON s.pid = me.pid";
    let client = pool.get().await?;
    let row = client
        .query_one(FACTS, &[])
        .await
        .map_err(|e| ConnectError::classify(pool.url(), e, pool.timeout))?;
    Ok(ServerFacts {
        version: row.get(0),
        version_num: row.get(1),
        database: row.get(2),
        user: row.get(3),
        tls: row.get(4),
        tls_version: row.get(5),
        tls_cipher: row.get(6),
        synchronous_commit: row.get(7),
        application_name: row.get(8),
    })
}
