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

/// A connection inside a transaction; rolled back if dropped unfinished.
struct Conn {
    db: Arc<PgDb>,
    client: Option<Object>,
}

impl Conn {
    fn client(&self) -> &Object {
        self.client
            .as_ref()
            .expect("held until the transaction ends")
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.client();
        self.db
            .wait(async {
                let statement = client.prepare_cached(sql).await?;
                client.query(&statement, params).await
            })
            .map_err(db_error)
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let client = self.client();
        self.db
            .wait(async {
                let statement = client.prepare_cached(sql).await?;
                client.execute(&statement, params).await
            })
            .map_err(db_error)
    }

    /// Ends the transaction with `COMMIT` or `ROLLBACK`.
    fn finish(mut self, how: &str) -> Result<(), StoreError> {
        let client = self.client.take().expect("held until the transaction ends");
        self.db.wait(client.batch_execute(how)).map_err(db_error)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Rolled back before the connection goes back to the pool,
            // without waiting here (this may run on an async thread).
            self.db.runtime().spawn(async move {
                let _ = client.batch_execute("ROLLBACK").await;
            });
        }
    }
}

/// A read transaction: one snapshot.
pub struct ReadTx(Conn);

impl ReadTx {
    pub(super) fn table<K: OrderedKey, V: Value + 'static>(&self, name: &str) -> Table<'_, K, V> {
        Table {
            side: Side::Read(self),
            name: sql_name(name),
            _types: PhantomData,
        }
    }
}

/// A row as bytes: the sortable key and the value.
type RawRow = (Vec<u8>, Vec<u8>);

/// Changes not sent yet: table → key → value (`None`: removed).
type Pending = BTreeMap<String, BTreeMap<Vec<u8>, Option<Vec<u8>>>>;

/// The write transaction.
pub struct WriteTx {
    conn: Conn,
    pending: RefCell<Pending>,
    /// Whether it changed anything, so its commit bumps the generation.
    dirty: Cell<bool>,
}

impl WriteTx {
    pub(super) fn table<K: OrderedKey, V: Value + 'static>(&self, name: &str) -> Table<'_, K, V> {
        Table {
            side: Side::Write(self),
            name: sql_name(name),
            _types: PhantomData,
        }
    }

    /// Sends every pending change.
    fn flush(&self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (table, rows) in pending {
            let (mut gone, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
            for (key, value) in rows {
                match value {
                    Some(value) => {
                        keys.push(key);
                        values.push(value);
                    }
                    None => gone.push(key),
                }
            }
            if !gone.is_empty() {
                self.conn
                    .execute(&format!("DELETE FROM {table} WHERE k = ANY($1)"), &[&gone])?;
            }
            if !keys.is_empty() {
                self.conn.execute(
                    &format!(
                        "INSERT INTO {table} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                         ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
                    ),
                    &[&keys, &values],
                )?;
            }
        }
        Ok(())
    }

    fn pending_count(&self) -> usize {
        self.pending.borrow().values().map(BTreeMap::len).sum()
    }

    pub(super) fn commit(self) -> Result<(), StoreError> {
        self.flush()?;
        let generation = if self.dirty.get() {
            let rows = self.conn.query(
                "UPDATE lp_generation SET g = g + 1 WHERE id = 1 RETURNING g",
                &[],
            )?;
            rows.first().map(|row| row.get::<_, i64>(0) as u64)
        } else {
            None
        };
        let db = Arc::clone(&self.conn.db);
        self.conn.finish("COMMIT")?;
        if let Some(g) = generation {
            db.saw(g);
        }
        Ok(())
    }

    pub(super) fn abort(self) -> Result<(), StoreError> {
        self.conn.finish("ROLLBACK")
    }

    /// Removes every row of the table `name`.
    pub(super) fn clear(&self, name: &str) -> Result<(), StoreError> {
        let table = sql_name(name);
        self.dirty.set(true);
        self.pending.borrow_mut().remove(&table);
        self.conn.execute(&format!("DELETE FROM {table}"), &[])?;
        Ok(())
    }
}

enum Side<'t> {
    Read(&'t ReadTx),
    Write(&'t WriteTx),
}

impl Side<'_> {
    fn conn(&self) -> &Conn {
        match self {
            Side::Read(tx) => &tx.0,
            Side::Write(tx) => &tx.conn,
        }
    }

    /// Before a query that must see this transaction's own changes.
    fn settle(&self) -> Result<(), StoreError> {
        match self {
            Side::Read(_) => Ok(()),
            Side::Write(tx) => tx.flush(),
        }
    }
}

/// One table of a transaction.
pub struct Table<'t, K, V> {
    side: Side<'t>,
    name: String,
    _types: PhantomData<(K, V)>,
}

impl<'t, K: OrderedKey, V: Value + 'static> Table<'t, K, V> {
    pub(super) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Side::Write(tx) = &self.side
            && let Some(value) = tx
                .pending
                .borrow()
                .get(&self.name)
                .and_then(|rows| rows.get(key))
        {
            return Ok(value.clone());
        }
        let rows = self.side.conn().query(
            &format!("SELECT v FROM {} WHERE k = $1", self.name),
            &[&key],
        )?;
        Ok(rows.first().map(|row| row.get(0)))
    }

    pub(super) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        self.change(key, Some(value))
    }

    pub(super) fn remove(&mut self, key: Vec<u8>) -> Result<Option<Vec<u8>>, StoreError> {
        let old = self.get(&key)?;
        if old.is_some() {
            self.change(key, None)?;
        }
        Ok(old)
    }

    fn change(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        let Side::Write(tx) = &self.side else {
            return Err(super::read_only());
        };
        tx.dirty.set(true);
        tx.pending
            .borrow_mut()
            .entry(self.name.clone())
            .or_default()
            .insert(key, value);
        if tx.pending_count() >= FLUSH_AT {
            tx.flush()?;
        }
        Ok(())
    }

    pub(super) fn rows(&self, bounds: ByteBounds) -> Result<Rows<'_, K, V>, StoreError> {
        self.side.settle()?;
        Ok(Rows {
            table: self,
            bounds,
            descending: false,
            page: VecDeque::new(),
            after: None,
            done: false,
            _types: PhantomData,
        })
    }

    pub(super) fn len(&self) -> Result<u64, StoreError> {
        self.side.settle()?;
        let rows = self
            .side
            .conn()
            .query(&format!("SELECT count(*) FROM {}", self.name), &[])?;
        let count: i64 = rows.first().map_or(0, |row| row.get(0));
        Ok(count as u64)
    }

    /// Removes the rows in `bounds` for which `keep(sortable key, value)`
    /// answers `false`.
    pub(super) fn retain(
        &mut self,
        bounds: ByteBounds,
        mut keep: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let mut gone = Vec::new();
        for row in self.rows(bounds)?.raw() {
            let (key, value) = row?;
            if !keep(&key, &value) {
                gone.push(key);
            }
        }
        for key in gone {
            self.change(key, None)?;
        }
        Ok(())
    }

    /// One page of rows after `after` (in the direction asked).
    fn page(
        &self,
        (lower, upper): &ByteBounds,
        after: Option<&Vec<u8>>,
        descending: bool,
    ) -> Result<Vec<RawRow>, StoreError> {
        let mut limits: Vec<(&str, &Vec<u8>)> = Vec::new();
        match lower {
            Bound::Included(k) => limits.push((">=", k)),
            Bound::Excluded(k) => limits.push((">", k)),
            Bound::Unbounded => {}
        }
        match upper {
            Bound::Included(k) => limits.push(("<=", k)),
            Bound::Excluded(k) => limits.push(("<", k)),
            Bound::Unbounded => {}
        }
        if let Some(after) = after {
            limits.push((if descending { "<" } else { ">" }, after));
        }
        let filter: Vec<String> = limits
            .iter()
            .enumerate()
            .map(|(i, (op, _))| format!("k {op} ${}", i + 1))
            .collect();
        let filter = if filter.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", filter.join(" AND "))
        };
        let order = if descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT k, v FROM {}{filter} ORDER BY k {order} LIMIT {PAGE}",
            self.name
        );
        let params: Vec<&(dyn ToSql + Sync)> = limits
            .iter()
            .map(|(_, key)| *key as &(dyn ToSql + Sync))
            .collect();
        let rows = self.side.conn().query(&sql, &params)?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }
}

/// The rows of a range, read a page at a time.
pub struct Rows<'a, K, V> {
    table: &'a Table<'a, K, V>,
    bounds: ByteBounds,
    descending: bool,
    page: VecDeque<RawRow>,
    /// The last key read, where the next page starts.
    after: Option<Vec<u8>>,
    done: bool,
    _types: PhantomData<(K, V)>,
}

impl<'a, K: OrderedKey, V: Value + 'static> Rows<'a, K, V> {
    pub(super) fn rev(self) -> Self {
        Self {
            descending: !self.descending,
            page: VecDeque::new(),
            after: None,
            done: false,
            ..self
        }
    }

    /// The rows as `(sortable key, value)` bytes.
    fn raw(self) -> impl Iterator<Item = Result<RawRow, StoreError>> + 'a {
        let mut rows = self;
        std::iter::from_fn(move || rows.next_raw())
    }

    fn next_raw(&mut self) -> Option<Result<RawRow, StoreError>> {
        if self.page.is_empty() && !self.done {
            match self
                .table
                .page(&self.bounds, self.after.as_ref(), self.descending)
            {
                Ok(page) => {
                    self.done = page.len() < PAGE;
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let (key, value) = self.page.pop_front()?;
        self.after = Some(key.clone());
        Some(Ok((key, value)))
    }
}

impl<'a, K: OrderedKey, V: Value + 'static> Iterator for Rows<'a, K, V> {
    type Item = Result<Row<'a, K, V>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.next_raw()?
                .map(|(key, value)| (Guard::owned(K::from_sortable(&key)), Guard::owned(value))),
        )
    }
}

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
