//! The embedded store: one redb file, `launchpad.redb`, in the data folder.
//!
//! Reads run in their own read transactions and never wait for the writer;
//! every change goes through the group-commit [`writer`]. Opening the store
//! runs the [`migrations`] and, on a new store, loads the demo data when the
//! configuration asks for it.
//!
//! This module holds the [`Store`] handle with what concerns the whole
//! store (its keys, backups, journal and probes). Opening it lives in
//! `open`, the projects, checklists and tasks in `projects`, the accounts
//! in [`accounts`], and reading a store no server holds in `offline`.

pub mod accounts;
pub mod assessments;
pub mod classification;
mod demo;
pub mod engine;
pub mod error;
pub mod idempotency;
pub mod journal;
pub mod keys;
pub mod meta;
pub mod migrations;
mod offline;
mod open;
mod ops;
pub mod planning;
pub mod postgres;
mod projects;
mod read;
pub mod readiness;
pub mod records;
pub mod sealed;
mod slot;
pub mod stats;
pub mod tables;
pub mod templates;
mod writer;

use crate::crypto::{Identity, Keyring, Recipient};
pub use crate::fsutil::create_private_dir;
use crate::store::engine::Db;
use accounts::AuditContext;
pub use error::{Missing, Outage, StoreError};
pub use offline::{
    Location, MigrationPlan, StoreFacts, migration_plan, open_read_only_for, open_unserved,
    read_counts, read_counts_of, read_facts, read_key_info,
};
pub use open::create_private_store;
pub(crate) use open::open_database;
pub use projects::{Listing, ProjectPage};
use read::Tables;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
pub use writer::{MAX_BATCH, WriterOptions};

/// The store file's name inside the data folder.
pub const FILE_NAME: &str = "launchpad.redb";

/// Where the age identity comes from and what may be done about it.
#[derive(Debug, Clone)]
pub struct IdentityOptions {
    pub path: PathBuf,
    /// Development default: create the identity if neither it nor a key exists.
    pub may_create: bool,
    /// Production: refuse an identity file that group or others can read.
    pub require_private: bool,
}

/// How to open the store, from configuration.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub data_dir: PathBuf,
    pub identity: IdentityOptions,
    /// redb's page cache; its default of 1 GiB would dwarf a small instance.
    pub cache_bytes: usize,
    pub quick_repair: bool,
    pub demo_data: bool,
    /// PostgreSQL instead of the store file: a pool of connections to it.
    pub postgres: Option<postgres::Pool>,
}

/// A handle to the open store; cheap to clone, shared by every worker.
#[derive(Clone)]
pub struct Store {
    db: Arc<slot::DbSlot>,
    keys: Arc<RwLock<Keyring>>,
    /// Bumped after every commit; equal generations mean identical data.
    generation: Arc<AtomicU64>,
    writer: writer::Writer,
    path: PathBuf,
    summary: Arc<stats::SummaryCache>,
    commit_seconds: prometheus::Histogram,
    /// Turns for reads of the store file; none over PostgreSQL.
    turns: Option<Arc<tokio::sync::Semaphore>>,
}

/// Reads of the store file that run at once, per core: enough that one
/// waiting on the disk leaves no core idle, few enough that they do not
/// time-slice the cores.
const READS_PER_CORE: usize = 4;

impl Store {
    /// Runs a blocking store read off the async executor, inside the
    /// caller's tracing span (the request's), so its log lines keep the
    /// request id.
    ///
    /// Reads of the store file are work for the CPU, and dozens of them at
    /// once only share the cores out in time slices, so that every one of
    /// them finishes late: under load a page at p99 took twice its median.
    /// They take turns instead, first come first served, [`READS_PER_CORE`]
    /// per core. Over PostgreSQL a read mostly waits on the network, and the
    /// connection pool bounds them.
    pub async fn blocking<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        // The semaphore is never closed, so a turn always comes.
        let _turn = match &self.turns {
            Some(turns) => turns.acquire().await.ok(),
            None => None,
        };
        self.paced(read).await
    }

    /// As [`Store::blocking`], without waiting for a turn: for a read that
    /// a client paces (a streamed list), which must not hold a turn other
    /// reads are waiting for.
    pub async fn paced<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| read(&store)))
            .await
            .map_err(|e| StoreError::Io(format!("a blocking store read failed: {e}")))?
    }

    /// Changes whenever a commit lands; read it before reading data to tag
    /// what was read (see the HTTP response cache).
    pub fn generation(&self) -> u64 {
        match self.db.get() {
            Ok(Db::Postgres(pg)) => pg.seen(),
            _ => self.generation.load(Ordering::Acquire),
        }
    }

    /// The generation as of now. Over PostgreSQL several instances write,
    /// so it is read from the database (one small query) rather than from
    /// this instance's own commits.
    pub async fn fresh_generation(&self) -> Result<u64, StoreError> {
        match self.db.get()? {
            Db::Postgres(pg) => pg.generation().await,
            _ => Ok(self.generation.load(Ordering::Acquire)),
        }
    }

    /// [`Store::fresh_generation`], on a blocking thread.
    fn generation_now(&self) -> Result<u64, StoreError> {
        match self.db.get()? {
            Db::Postgres(pg) => pg.generation_now(),
            _ => Ok(self.generation.load(Ordering::Acquire)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commit times of the writer's batches, for `/metrics`.
    pub fn commit_seconds(&self) -> prometheus::Histogram {
        self.commit_seconds.clone()
    }

    /// The PostgreSQL database, when the store is one: what every instance
    /// shares besides the tables (sign-in limits).
    pub fn postgres(&self) -> Option<Arc<engine::pg::PgDb>> {
        self.db.get().ok()?.postgres().cloned()
    }

    /// On PostgreSQL: the round-trip histogram, for `/metrics`.
    pub fn query_seconds(&self) -> Option<prometheus::Histogram> {
        self.db.get().ok()?.postgres().map(|pg| pg.query_seconds())
    }

    /// On PostgreSQL: the connection pool's size, idle connections and
    /// waiting callers, for `/metrics`.
    pub fn pool_status(&self) -> Option<deadpool_postgres::Status> {
        self.db.get().ok()?.postgres().map(|pg| pg.pool().status())
    }

    /// Lets queued changes commit, stops the writer and closes the file.
    ///
    /// Other handles (a request still finishing its read) keep the file open
    /// until they drop; this waits up to five seconds for them so that a
    /// caller may reopen the store as soon as this returns.
    pub async fn close(self) {
        self.writer.shutdown().await;
        let slot = Arc::clone(&self.db);
        let taken =
            tokio::task::spawn_blocking(move || slot.take(std::time::Duration::from_secs(5))).await;
        if !matches!(taken, Ok(slot::Taken::Closed | slot::Taken::Empty)) {
            tracing::warn!("the store is still in use; it closes when the last read ends");
        }
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Tables<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        let projects = tx.open_table(tables::PROJECTS)?;
        let checklists = tx.open_table(tables::CHECKLISTS)?;
        let tasks = tx.open_table(tables::TASKS)?;
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        f(&Tables {
            projects: &projects,
            checklists: &checklists,
            tasks: &tasks,
            ring: &ring,
        })
    }

    /// The database, for work that reads it whole (a backup's snapshot).
    pub fn database(&self) -> Result<Db, StoreError> {
        self.db.get()
    }

    /// The keys the store seals with, for signing a backup of it.
    pub fn keyring(&self) -> Arc<RwLock<Keyring>> {
        Arc::clone(&self.keys)
    }

    /// Records a successful backup in the meta table.
    pub async fn record_backup(&self, last: meta::LastBackup) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| meta::write_last_backup(ctx.tx, &last))
            .await
    }

    /// Schema, key and last backup, for `launchpad diagnose`.
    pub fn facts(&self) -> Result<StoreFacts, StoreError> {
        StoreFacts::read(&self.db.get()?)
    }

    /// The last successful backup, if any.
    pub fn last_backup(&self) -> Result<Option<meta::LastBackup>, StoreError> {
        meta::read_last_backup(&self.db.get()?)
    }

    /// Journal events at or after `since`, oldest first.
    pub fn journal_since(
        &self,
        since: Option<crate::domain::Millis>,
    ) -> Result<Vec<journal::Event>, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        journal::events_since(&tx.open_table(tables::JOURNAL)?, since)
    }

    /// Counts over every project, kept until the next commit.
    pub fn summary(&self) -> Result<stats::Summary, StoreError> {
        let today = time::OffsetDateTime::now_utc().date();
        self.summary
            .get(&self.db.get()?, self.generation_now()?, today)
    }

    /// Commits an empty change through the writer and writes, fsyncs and
    /// removes a small file beside the store: proves the store is writable
    /// and durable right now, and that the next time redb must grow its
    /// file the filesystem will take it (readiness, the watchdog).
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.writer.probe().await?;
        if let Db::Postgres(pg) = self.db.get()? {
            pg.probe_write().await?;
        }
        let folder = self.path.parent().unwrap_or(Path::new(".")).to_owned();
        tokio::task::spawn_blocking(move || probe_folder(&folder, 1))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?
    }

    /// Checks that the loaded data key is the one the store names and that
    /// the identity at `identity` still unwraps it, so the next start will
    /// succeed too.
    pub fn confirm_key(&self, identity: &Path) -> Result<keys::KeyInfo, StoreError> {
        let (info, wrapped) = keys::read(&self.db.get()?)?
            .ok_or_else(|| StoreError::Corrupt("the store has no data key".into()))?;
        let loaded = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .current()
            .fingerprint();
        if loaded != info.fingerprint {
            return Err(StoreError::Corrupt(format!(
                "the loaded data key is {loaded} but the store names {}",
                info.fingerprint
            )));
        }
        let identity = Identity::load(identity)?;
        keys::unlock(&info, &wrapped, &identity)?;
        Ok(info)
    }

    /// The data key's public facts.
    pub fn key_info(&self) -> Result<keys::KeyInfo, StoreError> {
        keys::read(&self.db.get()?)?
            .map(|(info, _)| info)
            .ok_or_else(|| StoreError::Corrupt("the store has no data key".into()))
    }

    /// Re-seals every personal field under a new data key, in one transaction.
    pub async fn rotate_key(&self) -> Result<keys::Rotation, StoreError> {
        let ring = Arc::clone(&self.keys);
        let rotation = self
            .writer
            .exclusive(move |db| keys::rotate(db, &ring))
            .await?;
        let target = format!("{} -> {}", rotation.previous, rotation.current);
        self.audit(AuditContext::local(), "keys.rotate", Some(target))
            .await?;
        Ok(rotation)
    }

    /// Wraps the data key for `to` instead of its present recipients.
    pub async fn rewrap_key(&self, to: Recipient) -> Result<keys::KeyInfo, StoreError> {
        let ring = Arc::clone(&self.keys);
        let info = self
            .writer
            .exclusive(move |db| keys::rewrap(db, &ring, &to))
            .await?;
        self.audit(
            AuditContext::local(),
            "keys.rewrap",
            Some(info.recipients.join(",")),
        )
        .await?;
        Ok(info)
    }
}

/// Writes `bytes` to a new private file in `folder`, fsyncs it and removes it.
fn probe_folder(folder: &Path, bytes: usize) -> Result<(), StoreError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = folder.join(format!(".probe-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| {
            file.write_all(&vec![b'p'; bytes])?;
            file.sync_all()
        });
    let _ = std::fs::remove_file(&path);
    written.map_err(|e| {
        let why = format!("cannot write in the data folder {}: {e}", folder.display());
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                StoreError::Unavailable(Outage::DiskFull(why.into()))
            }
            _ => StoreError::Io(why),
        }
    })
}
