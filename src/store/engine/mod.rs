//! The storage engine under the store: redb, or PostgreSQL.
//!
//! Everything above this module reads and writes tables through the types
//! here, which have redb's shape: a database begins read and write
//! transactions, a transaction opens a table by its [`TableDefinition`], and
//! a table gets, inserts, removes and ranges over keys in order. Over redb
//! they are redb itself. Over PostgreSQL each table is a table of
//! `(k bytea primary key, v bytea)` rows holding the very bytes redb would
//! hold ([`pg`]), so the store's rules, its journal, its sealing, its
//! backups and the copy between the two are one code, not two.
//!
//! The store's handle ([`super::Store`]) is the one interface the HTTP
//! layer, the command line and the backups use; which engine runs under it
//! they cannot tell.

mod keys;
pub mod login;
pub mod pg;
pub mod schema;

pub use keys::{ByteBounds, OrderedKey};
use keys::{byte_bounds, sortable_key};

use super::error::StoreError;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, Value};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Which engine a store runs on, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Redb,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redb => "redb",
            Self::Postgres => "postgres",
        }
    }
}

/// An open database: cheap to clone.
#[derive(Clone)]
pub enum Db {
    Redb(Arc<redb::Database>),
    /// A store file opened without writing to it (a command beside no server).
    RedbReadOnly(Arc<redb::ReadOnlyDatabase>),
    Postgres(Arc<pg::PgDb>),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Redb(_) | Self::RedbReadOnly(_) => Backend::Redb,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// A consistent snapshot to read from; it never waits for a writer.
    pub fn begin_read(&self) -> Result<ReadTx, StoreError> {
        Ok(ReadTx(match self {
            Self::Redb(db) => ReadInner::Redb(db.begin_read()?),
            Self::RedbReadOnly(db) => ReadInner::Redb(db.begin_read()?),
            Self::Postgres(db) => ReadInner::Postgres(db.begin_read()?),
        }))
    }

    /// The one transaction that may change data. Over PostgreSQL it holds
    /// the store-wide write lock until it ends, so the writers of several
    /// instances take turns as one writer's batches do.
    pub fn begin_write(&self) -> Result<WriteTx, StoreError> {
        Ok(WriteTx(match self {
            Self::Redb(db) => WriteInner::Redb(db.begin_write()?),
            Self::RedbReadOnly(_) => return Err(read_only()),
            Self::Postgres(db) => WriteInner::Postgres(db.begin_write()?),
        }))
    }

    /// The redb database, for the few things only a file has (its repair,
    /// its compaction).
    pub fn redb(&self) -> Option<&redb::Database> {
        match self {
            Self::Redb(db) => Some(db),
            Self::RedbReadOnly(_) | Self::Postgres(_) => None,
        }
    }

    pub fn postgres(&self) -> Option<&Arc<pg::PgDb>> {
        match self {
            Self::Redb(_) | Self::RedbReadOnly(_) => None,
            Self::Postgres(db) => Some(db),
        }
    }
}

/// A read transaction.
pub struct ReadTx(ReadInner);

enum ReadInner {
    Redb(redb::ReadTransaction),
    Postgres(pg::ReadTx),
}

impl ReadTx {
    /// The table `def` names; a table an older schema lacks reads as empty.
    pub fn open_table<K: OrderedKey, V: Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<Table<'_, K, V>, StoreError> {
        Ok(Table(match &self.0 {
            ReadInner::Redb(tx) => match tx.open_table(def) {
                Ok(table) => TableInner::RedbRead(table),
                Err(redb::TableError::TableDoesNotExist(_)) => TableInner::Missing,
                Err(e) => return Err(e.into()),
            },
            ReadInner::Postgres(tx) => {
                TableInner::Postgres(tx.table(redb::TableHandle::name(&def)))
            }
        }))
    }
}

/// A write transaction.
pub struct WriteTx(WriteInner);

// A write transaction is one per batch and never moved around in numbers.
#[allow(clippy::large_enum_variant)]
enum WriteInner {
    Redb(redb::WriteTransaction),
    Postgres(pg::WriteTx),
}

impl WriteTx {
    /// The table `def` names, created if it does not exist (over redb; the
    /// SQL migrations create PostgreSQL's).
    pub fn open_table<K: OrderedKey, V: Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<Table<'_, K, V>, StoreError> {
        Ok(Table(match &self.0 {
            WriteInner::Redb(tx) => TableInner::RedbWrite(tx.open_table(def)?),
            WriteInner::Postgres(tx) => {
                TableInner::Postgres(tx.table(redb::TableHandle::name(&def)))
            }
        }))
    }

    /// Makes the transaction's changes durable: fsync'd by redb, or
    /// committed with `synchronous_commit` by PostgreSQL.
    pub fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            WriteInner::Redb(tx) => Ok(tx.commit()?),
            WriteInner::Postgres(tx) => tx.commit(),
        }
    }

    /// Drops every change of the transaction.
    pub fn abort(self) -> Result<(), StoreError> {
        match self.0 {
            WriteInner::Redb(tx) => Ok(tx.abort()?),
            WriteInner::Postgres(tx) => tx.abort(),
        }
    }

    /// redb's quick repair: a second fsync per commit for near-instant
    /// crash recovery. PostgreSQL has its own log; nothing to do.
    pub fn set_quick_repair(&mut self, enabled: bool) {
        if let WriteInner::Redb(tx) = &mut self.0 {
            tx.set_quick_repair(enabled);
        }
    }

    /// Removes a whole table (a restore replacing what is there).
    pub fn clear_table<K: OrderedKey, V: Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        match &self.0 {
            WriteInner::Redb(tx) => {
                tx.delete_table(def)?;
                tx.open_table(def)?;
                Ok(())
            }
            WriteInner::Postgres(tx) => tx.clear(redb::TableHandle::name(&def)),
        }
    }
}

/// A table of one transaction.
pub struct Table<'t, K: OrderedKey, V: Value + 'static>(TableInner<'t, K, V>);

enum TableInner<'t, K: OrderedKey, V: Value + 'static> {
    RedbRead(redb::ReadOnlyTable<K, V>),
    RedbWrite(redb::Table<'t, K, V>),
    /// A table the store's schema does not have yet: empty.
    Missing,
    Postgres(pg::Table<'t, K, V>),
}

/// A value (or key) read from a table.
pub struct Guard<'a, V: Value + 'static>(GuardInner<'a, V>);

enum GuardInner<'a, V: Value + 'static> {
    Redb(redb::AccessGuard<'a, V>),
    /// redb's bytes of the value, read from PostgreSQL.
    Owned(Vec<u8>, PhantomData<V>),
}

impl<'a, V: Value + 'static> Guard<'a, V> {
    pub(super) fn owned(bytes: Vec<u8>) -> Self {
        Self(GuardInner::Owned(bytes, PhantomData))
    }

    pub fn value(&self) -> V::SelfType<'_> {
        match &self.0 {
            GuardInner::Redb(guard) => guard.value(),
            GuardInner::Owned(bytes, _) => V::from_bytes(bytes),
        }
    }
}

/// One row of a range: its key and its value.
pub type Row<'a, K, V> = (Guard<'a, K>, Guard<'a, V>);

/// The rows of a range, in key order (or reversed).
pub struct Range<'a, K: OrderedKey, V: Value + 'static>(RangeInner<'a, K, V>);

enum RangeInner<'a, K: OrderedKey, V: Value + 'static> {
    Redb(redb::Range<'a, K, V>),
    RedbRev(std::iter::Rev<redb::Range<'a, K, V>>),
    Empty,
    Postgres(pg::Rows<'a, K, V>),
}

impl<'a, K: OrderedKey, V: Value + 'static> Range<'a, K, V> {
    /// The same rows, last first.
    pub fn rev(self) -> Self {
        Self(match self.0 {
            RangeInner::Redb(range) => RangeInner::RedbRev(range.rev()),
            RangeInner::RedbRev(range) => RangeInner::RedbRev(range),
            RangeInner::Empty => RangeInner::Empty,
            RangeInner::Postgres(rows) => RangeInner::Postgres(rows.rev()),
        })
    }
}

impl<'a, K: OrderedKey, V: Value + 'static> Iterator for Range<'a, K, V> {
    type Item = Result<Row<'a, K, V>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let redb = |row: Result<
            (redb::AccessGuard<'a, K>, redb::AccessGuard<'a, V>),
            redb::StorageError,
        >| {
            row.map(|(k, v)| (Guard(GuardInner::Redb(k)), Guard(GuardInner::Redb(v))))
                .map_err(StoreError::from)
        };
        match &mut self.0 {
            RangeInner::Redb(range) => range.next().map(redb),
            RangeInner::RedbRev(range) => range.next().map(redb),
            RangeInner::Empty => None,
            RangeInner::Postgres(rows) => rows.next(),
        }
    }
}

impl<'t, K: OrderedKey, V: Value + 'static> Table<'t, K, V> {
    pub fn get<'a>(
        &self,
        key: impl Borrow<K::SelfType<'a>>,
    ) -> Result<Option<Guard<'_, V>>, StoreError> {
        Ok(match &self.0 {
            TableInner::RedbRead(t) => t.get(key)?.map(|g| Guard(GuardInner::Redb(g))),
            TableInner::RedbWrite(t) => t.get(key)?.map(|g| Guard(GuardInner::Redb(g))),
            TableInner::Missing => None,
            TableInner::Postgres(t) => t.get(&sortable_key::<K>(key.borrow()))?.map(Guard::owned),
        })
    }

    /// Sets `key` to `value`.
    pub fn insert<'k, 'v>(
        &mut self,
        key: impl Borrow<K::SelfType<'k>>,
        value: impl Borrow<V::SelfType<'v>>,
    ) -> Result<(), StoreError> {
        match &mut self.0 {
            TableInner::RedbWrite(t) => {
                t.insert(key, value)?;
                Ok(())
            }
            TableInner::Postgres(t) => t.insert(
                sortable_key::<K>(key.borrow()),
                V::as_bytes(value.borrow()).as_ref().to_vec(),
            ),
            TableInner::RedbRead(_) | TableInner::Missing => Err(read_only()),
        }
    }

    /// Removes `key`, answering the value it held.
    pub fn remove<'a>(
        &mut self,
        key: impl Borrow<K::SelfType<'a>>,
    ) -> Result<Option<Guard<'_, V>>, StoreError> {
        match &mut self.0 {
            TableInner::RedbWrite(t) => Ok(t.remove(key)?.map(|g| Guard(GuardInner::Redb(g)))),
            TableInner::Postgres(t) => {
                Ok(t.remove(sortable_key::<K>(key.borrow()))?.map(Guard::owned))
            }
            TableInner::RedbRead(_) | TableInner::Missing => Err(read_only()),
        }
    }

    /// The rows whose keys are in `range`, in key order.
    pub fn range<'a, KR>(
        &self,
        range: impl RangeBounds<KR> + 'a,
    ) -> Result<Range<'_, K, V>, StoreError>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        Ok(Range(match &self.0 {
            TableInner::RedbRead(t) => RangeInner::Redb(t.range(range)?),
            TableInner::RedbWrite(t) => RangeInner::Redb(t.range(range)?),
            TableInner::Missing => RangeInner::Empty,
            TableInner::Postgres(t) => RangeInner::Postgres(t.rows(byte_bounds::<K, KR>(&range))?),
        }))
    }

    /// Every row, in key order.
    pub fn iter(&self) -> Result<Range<'_, K, V>, StoreError> {
        Ok(Range(match &self.0 {
            TableInner::RedbRead(t) => RangeInner::Redb(t.iter()?),
            TableInner::RedbWrite(t) => RangeInner::Redb(t.iter()?),
            TableInner::Missing => RangeInner::Empty,
            TableInner::Postgres(t) => {
                RangeInner::Postgres(t.rows((Bound::Unbounded, Bound::Unbounded))?)
            }
        }))
    }

    /// How many rows the table holds.
    pub fn len(&self) -> Result<u64, StoreError> {
        Ok(match &self.0 {
            TableInner::RedbRead(t) => t.len()?,
            TableInner::RedbWrite(t) => t.len()?,
            TableInner::Missing => 0,
            TableInner::Postgres(t) => t.len()?,
        })
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The row with the greatest key.
    pub fn last(&self) -> Result<Option<Row<'_, K, V>>, StoreError> {
        self.iter()?.rev().next().transpose()
    }

    /// The row with the smallest key.
    pub fn first(&self) -> Result<Option<Row<'_, K, V>>, StoreError> {
        self.iter()?.next().transpose()
    }

    /// Removes every row in `range` for which `keep` answers `false`.
    pub fn retain_in<'a, KR>(
        &mut self,
        range: impl RangeBounds<KR> + 'a,
        mut keep: impl for<'f> FnMut(K::SelfType<'f>, V::SelfType<'f>) -> bool,
    ) -> Result<(), StoreError>
    where
        KR: Borrow<K::SelfType<'a>> + 'a,
    {
        match &mut self.0 {
            TableInner::RedbWrite(t) => Ok(t.retain_in(range, keep)?),
            TableInner::Postgres(t) => t.retain(byte_bounds::<K, KR>(&range), |k, v| {
                let key = K::from_sortable(k);
                keep(K::from_bytes(&key), V::from_bytes(v))
            }),
            TableInner::RedbRead(_) | TableInner::Missing => Err(read_only()),
        }
    }

    /// Removes every row for which `keep` answers `false`.
    pub fn retain(
        &mut self,
        mut keep: impl for<'f> FnMut(K::SelfType<'f>, V::SelfType<'f>) -> bool,
    ) -> Result<(), StoreError> {
        match &mut self.0 {
            TableInner::RedbWrite(t) => Ok(t.retain(keep)?),
            TableInner::Postgres(t) => t.retain((Bound::Unbounded, Bound::Unbounded), |k, v| {
                let key = K::from_sortable(k);
                keep(K::from_bytes(&key), V::from_bytes(v))
            }),
            TableInner::RedbRead(_) | TableInner::Missing => Err(read_only()),
        }
    }
}

fn read_only() -> StoreError {
    StoreError::Io("a table of a read transaction cannot be changed".into())
}
