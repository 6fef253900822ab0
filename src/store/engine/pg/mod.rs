//! The PostgreSQL engine: each store table is a table `lp_<name>` of
//! `(k bytea primary key, v bytea not null)`, keys in their sortable form
//! (so `ORDER BY k` is the store's key order) and values the bytes redb
//! would hold.
//!
//! - A read transaction is `REPEATABLE READ, READ ONLY` on a pooled
//!   connection: one snapshot, as a redb read transaction is, and writers
//!   go on meanwhile.
//! - A write transaction takes the store-wide advisory lock first, so the
//!   writers of every instance on the database take turns as one writer's
//!   batches do: no change is ever applied to a row another instance is
//!   changing. Its inserts and removes are kept in memory and sent in a few
//!   statements when it commits (or before it ranges over a table), which
//!   is what makes a batch of hundreds of changes a handful of round trips.
//! - Ranges are read a page at a time by key (keyset paging), so a long
//!   table is never held whole and other queries may run between pages.
//!
//! The store's code is synchronous, as redb is; it runs on blocking
//! threads, and this module waits there for the asynchronous client.

use super::{ByteBounds, Guard, OrderedKey, Row};
use crate::store::error::{Outage, StoreError};
use crate::store::postgres::{ConnectError, Pool};
use deadpool_postgres::Object;
use redb::Value;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_postgres::types::ToSql;

/// The advisory lock every instance's writer holds while it writes.
const WRITE_LOCK: i64 = 0x4c61_756e_6368_5064; // "LaunchPd"
/// Rows read per page of a range.
const PAGE: usize = 256;
/// Changes a write transaction keeps in memory before it sends them.
const FLUSH_AT: usize = 4096;

/// The prefix of every table LaunchPad keeps in PostgreSQL.
pub const TABLE_PREFIX: &str = "lp_";

/// A pool of connections to one database. Callers wait for a query on
/// their own thread ([`PgDb::wait`]) inside the context of the pool's
/// runtime, whose threads drive the sockets meanwhile; async callers hand
/// the query over to that runtime ([`PgDb::run`]).
pub struct PgDb {
    pool: Pool,
    /// The highest store generation this instance has seen: committed by
    /// its own writer or read from `lp_generation`.
    seen: AtomicU64,
    /// Each round trip to the database, for `/metrics`.
    query_seconds: prometheus::Histogram,
}

impl PgDb {
    /// Over `pool`.
    pub fn new(pool: Pool) -> Result<Self, StoreError> {
        let query_seconds = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "launchpad_db_query_duration_seconds",
                "Time of each round trip to PostgreSQL: a connection, a query or a commit",
            )
            .buckets(vec![
                0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
        )
        .expect("valid histogram options");
        Ok(Self {
            pool,
            seen: AtomicU64::new(0),
            query_seconds,
        })
    }

    /// The round-trip histogram, to register with the metrics.
    pub fn query_seconds(&self) -> prometheus::Histogram {
        self.query_seconds.clone()
    }

    fn runtime(&self) -> &tokio::runtime::Handle {
        self.pool.runtime()
    }

    /// Runs `work` on the connections' runtime, for async callers.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let timer = self.query_seconds.start_timer();
        let outcome = self
            .runtime()
            .spawn(work)
            .await
            .map_err(|e| StoreError::Io(format!("a PostgreSQL query did not finish: {e}")))?;
        timer.observe_duration();
        outcome
    }

    /// The store's generation as of now, across every instance: one small
    /// query, so a write answered by another instance is never hidden by
    /// this one's cache.
    pub async fn generation(&self) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        let g = self.run(read_generation(pool)).await?;
        Ok(self.saw(g))
    }

    /// [`PgDb::generation`], waited for on this thread.
    pub fn generation_now(&self) -> Result<u64, StoreError> {
        let g = self.wait(read_generation(self.pool.clone()))?;
        Ok(self.saw(g))
    }

    /// Commits one small write (this instance's row in `lp_probe`), for
    /// `/ready`: the database takes writes and makes them durable now.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let instance = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            client
                .execute(
                    "INSERT INTO lp_probe (instance, at) VALUES ($1, now()) \
                     ON CONFLICT (instance) DO UPDATE SET at = excluded.at",
                    &[&instance],
                )
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    /// The highest generation seen so far, without asking the database.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Acquire)
    }

    fn saw(&self, g: u64) -> u64 {
        self.seen.fetch_max(g, Ordering::AcqRel).max(g)
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Waits for `work` on this thread, which may be an async worker's: the
    /// sockets and timers it uses belong to the connections' runtime, whose
    /// own threads drive them meanwhile.
    pub fn wait<T>(&self, work: impl Future<Output = T>) -> T {
        let _context = self.runtime().enter();
        let _timer = self.query_seconds.start_timer();
        futures_executor::block_on(work)
    }

    fn connection(&self) -> Result<Object, StoreError> {
        self.wait(self.pool.get()).map_err(pool_error)
    }

    pub(super) fn begin_read(self: &Arc<Self>) -> Result<ReadTx, StoreError> {
        let client = self.connection()?;
        self.wait(client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            .map_err(db_error)?;
        Ok(ReadTx(Conn {
            db: Arc::clone(self),
            client: Some(client),
        }))
    }

    pub(super) fn begin_write(self: &Arc<Self>) -> Result<WriteTx, StoreError> {
        let client = self.connection()?;
        self.wait(client.batch_execute(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = on; \
             SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        )))
        .map_err(db_error)?;
        Ok(WriteTx {
            conn: Conn {
                db: Arc::clone(self),
                client: Some(client),
            },
            pending: RefCell::default(),
            dirty: Cell::new(false),
        })
    }
}

/// The generation counter, bumped by every commit that changed something.
async fn read_generation(pool: Pool) -> Result<u64, StoreError> {
    let client = pool.get().await.map_err(pool_error)?;
    let statement = client
        .prepare_cached("SELECT g FROM lp_generation WHERE id = 1")
        .await
        .map_err(db_error)?;
    let g: i64 = client
        .query_one(&statement, &[])
        .await
        .map_err(db_error)?
        .get(0);
    Ok(g as u64)
}

mod table;
mod tx;

pub use table::{Rows, Table};
use tx::Conn;
pub use tx::{ReadTx, WriteTx};

/// `lp_<name>`, checked: store table names are lower-case words.
fn sql_name(name: &str) -> String {
    assert!(
        name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "a store table name is lower-case letters and underscores: {name}"
    );
    format!("{TABLE_PREFIX}{name}")
}

/// A failure to get a connection: the database is unreachable.
pub(super) fn pool_error(e: ConnectError) -> StoreError {
    StoreError::Unavailable(Outage::Database(e.to_string().into()))
}

/// A query that failed: an outage when the connection or the server went
/// away, else a database error.
pub fn db_error(e: tokio_postgres::Error) -> StoreError {
    let code = e.code().map(|c| c.code().to_owned());
    let lost = e.is_closed()
        || code
            .as_deref()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300");
    let detail = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    if lost || code.is_none() {
        StoreError::Unavailable(Outage::Database(detail.into()))
    } else {
        StoreError::Database(detail)
    }
}
