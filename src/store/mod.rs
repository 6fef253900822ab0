//! The embedded store: one redb file, `launchpad.redb`, in the data folder.
//!
//! Reads run in their own read transactions and never wait for the writer;
//! every change goes through the group-commit [`writer`]. Opening the store
//! runs the [`migrations`] and, on a new store, loads the demo data when the
//! configuration asks for it.

pub mod accounts;
pub mod assessments;
pub mod classification;
mod demo;
pub mod error;
pub mod journal;
pub mod keys;
pub mod meta;
pub mod migrations;
mod ops;
mod read;
pub mod records;
pub mod sealed;
mod slot;
pub mod stats;
pub mod tables;
pub mod templates;
mod writer;

use crate::crypto::{Identity, KeyError, Keyring, Recipient};
use crate::domain::{
    Checklist, ChecklistId, NewChecklist, NewProject, NewTask, Project, ProjectChanges, ProjectId,
    Task, TaskChanges, TaskId,
};
use accounts::AuditContext;
pub use error::{Missing, Outage, StoreError};
use read::Tables;
use redb::{Database, ReadableDatabase, ReadableTableMetadata};
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
}

/// One page of the project list.
pub struct ProjectPage {
    pub projects: Vec<Project>,
    /// The cursor for the next page, when there is one.
    pub next: Option<ProjectId>,
}

impl Store {
    /// Opens (or creates) the store, migrates it and starts the writer.
    pub async fn open(options: &StoreOptions) -> Result<Self, StoreError> {
        let path = options.data_dir.join(FILE_NAME);
        // Every check that can refuse the start runs before anything is
        // written: on a cleanly closed store through a read-only open, which
        // leaves the file untouched.
        if has_store(&path) {
            match open_read_only(&path) {
                Ok(db) => {
                    check_version(migrations::current_version_of(&db)?)?;
                    let stored = keys::read(&db)?;
                    let identity =
                        load_identity(&options.identity, stored.as_ref().map(|(info, _)| info))?;
                    if let Some((info, wrapped)) = &stored {
                        keys::unlock(info, wrapped, &identity)?;
                    }
                }
                // A crashed store needs redb's repair, which only a writable open does.
                Err(StoreError::NeedsRepair(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let db = open_database(&path, options.cache_bytes)?;
        check_version(migrations::current_version(&db)?)?;
        let stored = keys::read(&db)?;
        let identity = load_identity(&options.identity, stored.as_ref().map(|(info, _)| info))?;
        let ring = match &stored {
            Some((info, wrapped)) => keys::unlock(info, wrapped, &identity)?,
            None => keys::create(&db, &identity)?,
        };
        let from = migrations::run(&db, &ring)?;
        if from < migrations::latest_version() {
            tracing::info!(from, to = migrations::latest_version(), "store migrated");
        }
        let db = Arc::new(slot::DbSlot::new(db, path.clone(), options.cache_bytes));
        let keys = Arc::new(RwLock::new(ring));
        let generation = Arc::new(AtomicU64::new(0));
        let commit_seconds = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "launchpad_store_commit_duration_seconds",
                "Time to apply and durably commit one batch of changes",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
        )
        .expect("valid histogram options");
        let writer = writer::Writer::start(
            Arc::clone(&db),
            Arc::clone(&keys),
            Arc::clone(&generation),
            WriterOptions {
                quick_repair: options.quick_repair,
                commit_seconds: commit_seconds.clone(),
            },
        )?;
        let store = Self {
            db,
            keys,
            generation,
            writer,
            path,
            summary: Arc::default(),
            commit_seconds,
        };
        if options.demo_data {
            store.writer.submit(demo::seed_if_new).await?;
        }
        Ok(store)
    }

    /// Runs blocking store reads off the async executor, inside the
    /// caller's tracing span (the request's), so their log lines keep the
    /// request id.
    pub async fn blocking<T, F>(&self, read: F) -> Result<T, StoreError>
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
        self.generation.load(Ordering::Acquire)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commit times of the writer's batches, for `/metrics`.
    pub fn commit_seconds(&self) -> prometheus::Histogram {
        self.commit_seconds.clone()
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
        f: impl FnOnce(
            &Tables<'_, redb::ReadOnlyTable<u128, &'static [u8]>, CompositeTable, CompositeTable>,
        ) -> Result<T, StoreError>,
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
    pub fn database(&self) -> Result<Arc<Database>, StoreError> {
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
        StoreFacts::read(&*self.db.get()?)
    }

    /// The last successful backup, if any.
    pub fn last_backup(&self) -> Result<Option<meta::LastBackup>, StoreError> {
        meta::read_last_backup(&*self.db.get()?)
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
        self.summary.get(&*self.db.get()?, self.generation(), today)
    }

    /// Commits an empty change through the writer and writes, fsyncs and
    /// removes a small file beside the store: proves the store is writable
    /// and durable right now, and that the next time redb must grow its
    /// file the filesystem will take it (readiness, the watchdog).
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.writer.probe().await?;
        let folder = self.path.parent().unwrap_or(Path::new(".")).to_owned();
        tokio::task::spawn_blocking(move || probe_folder(&folder, 1))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))?
    }

    /// Checks that the loaded data key is the one the store names and that
    /// the identity at `identity` still unwraps it, so the next start will
    /// succeed too.
    pub fn confirm_key(&self, identity: &Path) -> Result<keys::KeyInfo, StoreError> {
        let (info, wrapped) = keys::read(&*self.db.get()?)?
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
        keys::read(&*self.db.get()?)?
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

    /// A page of projects in creation order, each with its checklists and tasks.
    pub fn list_projects(
        &self,
        after: Option<ProjectId>,
        limit: usize,
    ) -> Result<ProjectPage, StoreError> {
        self.read(|t| {
            let mut projects = t.projects_after(after, limit + 1)?;
            let next = if projects.len() > limit {
                projects.truncate(limit);
                projects.last().map(|p| p.id)
            } else {
                None
            };
            Ok(ProjectPage { projects, next })
        })
    }

    pub fn get_project(&self, id: ProjectId) -> Result<Project, StoreError> {
        self.read(|t| {
            t.project(id)?
                .ok_or(StoreError::NotFound(Missing::Project(id)))
        })
    }

    /// Row counts per table, for reports.
    pub fn counts(&self) -> Result<[(&'static str, u64); 3], StoreError> {
        let tx = self.db.get()?.begin_read()?;
        Ok([
            ("projects", tx.open_table(tables::PROJECTS)?.len()?),
            ("checklists", tx.open_table(tables::CHECKLISTS)?.len()?),
            ("tasks", tx.open_table(tables::TASKS)?.len()?),
        ])
    }

    pub async fn create_project(&self, new: NewProject) -> Result<Project, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_project(ctx, new))
            .await
    }

    pub async fn update_project(
        &self,
        id: ProjectId,
        changes: ProjectChanges,
    ) -> Result<Project, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_project(ctx, id, changes))
            .await
    }

    pub async fn delete_project(&self, id: ProjectId, who: AuditContext) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_project(ctx, id, &who))
            .await
    }

    pub async fn create_checklist(
        &self,
        project: ProjectId,
        new: NewChecklist,
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_checklist(ctx, project, new))
            .await
    }

    pub async fn rename_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
        new: NewChecklist,
    ) -> Result<Checklist, StoreError> {
        self.writer
            .submit(move |ctx| ops::rename_checklist(ctx, project, id, new))
            .await
    }

    pub async fn delete_checklist(
        &self,
        project: ProjectId,
        id: ChecklistId,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_checklist(ctx, project, id, &who))
            .await
    }

    pub async fn create_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        new: NewTask,
    ) -> Result<Task, StoreError> {
        self.writer
            .submit(move |ctx| ops::create_task(ctx, project, checklist, new))
            .await
    }

    pub async fn update_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
        changes: TaskChanges,
    ) -> Result<Task, StoreError> {
        self.writer
            .submit(move |ctx| ops::update_task(ctx, project, checklist, id, changes))
            .await
    }

    pub async fn delete_task(
        &self,
        project: ProjectId,
        checklist: ChecklistId,
        id: TaskId,
        who: AuditContext,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(move |ctx| ops::delete_task(ctx, project, checklist, id, &who))
            .await
    }
}

fn check_version(found: u32) -> Result<(), StoreError> {
    let supported = migrations::latest_version();
    if found > supported {
        Err(StoreError::TooNew { found, supported })
    } else {
        Ok(())
    }
}

type CompositeTable = redb::ReadOnlyTable<(u128, u128), &'static [u8]>;

/// Loads the identity, creating the development default on a store that has
/// no key yet. A missing identity for an existing key is refused, naming it.
fn load_identity(
    options: &IdentityOptions,
    stored: Option<&keys::KeyInfo>,
) -> Result<Identity, StoreError> {
    let path = &options.path;
    if path.exists() {
        match Identity::check_private(path) {
            Ok(()) => {}
            Err(e) if options.require_private => return Err(StoreError::Key(e)),
            Err(e) => tracing::warn!("{e}"),
        }
        return Ok(Identity::load(path)?);
    }
    match stored {
        Some(info) => Err(StoreError::IdentityMissing {
            path: path.clone(),
            fingerprint: info.fingerprint.clone(),
            recipients: info.recipients.clone(),
        }),
        None if options.may_create => {
            let identity = Identity::create(path)?;
            tracing::warn!(
                identity = %path.display(),
                recipient = %identity.recipient(),
                "created a development identity inside the data folder: whoever holds this folder can read its personal data. \
                 For production keep the identity elsewhere: `launchpad keys init --identity /etc/launchpad/age-identity`"
            );
            Ok(identity)
        }
        None => Err(StoreError::Key(KeyError::IdentityUnreadable {
            path: path.clone(),
            why: "it does not exist; create it with `launchpad keys init`".into(),
        })),
    }
}

pub(crate) fn open_database(path: &Path, cache_bytes: usize) -> Result<Database, StoreError> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| {
            StoreError::Io(format!("creating the data folder {}: {e}", dir.display()))
        })?;
    }
    make_private_file(path)
        .map_err(|e| StoreError::Io(format!("making {} private: {e}", path.display())))?;
    Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.to_owned()),
            other => other.into(),
        })
}

/// Creates a new, empty redb file at `path` (refusing an existing one)
/// readable by its owner only, and opens it.
pub fn create_private_store(path: &Path, cache_bytes: usize) -> Result<Database, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::Io(format!("creating {}: {e}", path.display())))?;
    Ok(Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)?)
}

/// Makes the store file owner-only whatever the umask: creates it empty
/// with mode 0600 (redb initialises an empty file), or narrows the mode of
/// one an older version created 0644.
fn make_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Whether a store file with content exists: an empty one is what a start
/// interrupted right after creating it leaves, and redb initialises it.
fn has_store(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

pub use crate::fsutil::create_private_dir;

/// Row counts per table of a store no server holds, read without writing.
pub fn read_counts(path: &Path) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
    let db = open_read_only(path)?;
    let tx = db.begin_read()?;
    let mut counts = std::collections::BTreeMap::new();
    counts.insert(
        "projects".to_owned(),
        tx.open_table(tables::PROJECTS)?.len()?,
    );
    counts.insert(
        "checklists".to_owned(),
        tx.open_table(tables::CHECKLISTS)?.len()?,
    );
    counts.insert("tasks".to_owned(), tx.open_table(tables::TASKS)?.len()?);
    Ok(counts)
}

/// Opens the store file for a command that runs without a server (an
/// offline backup): writable, so a crashed store is repaired first.
pub fn open_unserved(data_dir: &Path, cache_bytes: usize) -> Result<Database, StoreError> {
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Err(StoreError::Io(format!(
            "no store at {}",
            crate::fsutil::display_path(&path)
        )));
    }
    open_database(&path, cache_bytes)
}

/// Reads the data key's public facts from a store no server holds.
/// What `launchpad diagnose` needs from a store: schema, key, last backup.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreFacts {
    pub schema_version: u32,
    pub latest_schema_version: u32,
    pub data_key: Option<keys::KeyInfo>,
    pub last_backup: Option<meta::LastBackup>,
}

impl StoreFacts {
    fn read(db: &impl ReadableDatabase) -> Result<Self, StoreError> {
        Ok(Self {
            schema_version: migrations::current_version_of(db)?,
            latest_schema_version: migrations::latest_version(),
            data_key: keys::read(db)?.map(|(info, _)| info),
            last_backup: meta::read_last_backup(db)?,
        })
    }
}

/// Reads the facts of a store no server holds, without writing.
pub fn read_facts(path: &Path) -> Result<StoreFacts, StoreError> {
    StoreFacts::read(&open_read_only(path)?)
}

pub fn read_key_info(path: &Path) -> Result<keys::KeyInfo, StoreError> {
    let db = open_read_only(path)?;
    keys::read(&db)?
        .map(|(info, _)| info)
        .ok_or_else(|| StoreError::Corrupt("the store has no data key yet".into()))
}

/// Opens a store no server holds without writing to it.
pub fn open_read_only_for(path: &Path) -> Result<redb::ReadOnlyDatabase, StoreError> {
    open_read_only(path)
}

fn open_read_only(path: &Path) -> Result<redb::ReadOnlyDatabase, StoreError> {
    redb::ReadOnlyDatabase::open(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.to_owned()),
        redb::DatabaseError::RepairAborted => StoreError::NeedsRepair(path.to_owned()),
        other => other.into(),
    })
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

/// What `launchpad migrate --plan` reports, read without changing anything.
pub struct MigrationPlan {
    pub path: PathBuf,
    /// `None` when no store exists yet.
    pub current: Option<u32>,
    pub pending: Vec<&'static migrations::Migration>,
}

/// Reads the schema version of the store in `data_dir` without writing to it.
pub fn migration_plan(data_dir: &Path) -> Result<MigrationPlan, StoreError> {
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Ok(MigrationPlan {
            path,
            current: None,
            pending: migrations::pending(0).collect(),
        });
    }
    let db = open_read_only(&path)?;
    let tx = db.begin_read()?;
    let current = match tx.open_table(tables::META) {
        Ok(meta) => migrations::version_in(&meta)?,
        Err(redb::TableError::TableDoesNotExist(_)) => 0,
        Err(e) => return Err(e.into()),
    };
    if current > migrations::latest_version() {
        return Err(StoreError::TooNew {
            found: current,
            supported: migrations::latest_version(),
        });
    }
    Ok(MigrationPlan {
        path,
        current: Some(current),
        pending: migrations::pending(current).collect(),
    })
}
