//! Opening the store: the checks that may refuse a start, the private
//! store file, the identity that unlocks the data key, the migrations and
//! the writer.
//!
//! Everything that can refuse the start runs before anything is written, so
//! a refused start leaves the store exactly as it found it.

use super::offline::open_read_only;
use super::{
    FILE_NAME, IdentityOptions, Store, StoreError, StoreOptions, WriterOptions, demo, keys,
    migrations, slot, writer,
};
use crate::crypto::{Identity, KeyError, Keyring};
use crate::fsutil::create_private_dir;
use crate::store::engine::Db;
use crate::store::engine::pg::PgDb;
use crate::store::engine::schema;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

impl Store {
    /// Opens (or creates) the store, migrates it and starts the writer.
    pub async fn open(options: &StoreOptions) -> Result<Self, StoreError> {
        let path = options.data_dir.join(FILE_NAME);
        let (db, ring) = match &options.postgres {
            None => {
                preflight(&path, &options.identity)?;
                let db = Db::Redb(Arc::new(open_database(&path, options.cache_bytes)?));
                let ring = unlock_and_migrate(&db, &options.identity)?;
                (db, ring)
            }
            Some(pool) => {
                // The folder still holds the admin socket, logs and, in
                // development, the identity.
                create_private_dir(&options.data_dir).map_err(|e| {
                    StoreError::Io(format!(
                        "creating the data folder {}: {e}",
                        options.data_dir.display()
                    ))
                })?;
                let db = Db::Postgres(Arc::new(PgDb::new(pool.clone())?));
                let identity = options.identity.clone();
                tokio::task::spawn_blocking(move || {
                    let pg = db.postgres().expect("a PostgreSQL database");
                    for step in schema::migrate(pg)? {
                        tracing::info!(version = step.version, "PostgreSQL schema migrated");
                    }
                    let ring = unlock_and_migrate(&db, &identity)?;
                    Ok::<_, StoreError>((db, ring))
                })
                .await
                .map_err(|e| StoreError::Io(format!("opening the store: {e}")))??
            }
        };
        let turns = match db {
            Db::Postgres(_) => None,
            _ => Some(Arc::new(tokio::sync::Semaphore::new(read_turns()))),
        };
        let db = Arc::new(slot::DbSlot::new(db, path.clone(), options.cache_bytes));
        let keys = Arc::new(RwLock::new(ring));
        let generation = Arc::new(AtomicU64::new(0));
        let commit_seconds = commit_histogram();
        let writer = {
            let (db, keys, generation) =
                (Arc::clone(&db), Arc::clone(&keys), Arc::clone(&generation));
            let options = WriterOptions {
                quick_repair: options.quick_repair,
                commit_seconds: commit_seconds.clone(),
            };
            // It reads the id high-water mark first, which over PostgreSQL
            // waits for the database.
            tokio::task::spawn_blocking(move || {
                writer::Writer::start(db, keys, generation, options)
            })
            .await
            .map_err(|e| StoreError::Io(format!("starting the writer: {e}")))??
        };
        let store = Self {
            db,
            keys,
            generation,
            writer,
            path,
            summary: Arc::default(),
            commit_seconds,
            turns,
        };
        if options.demo_data {
            store.writer.submit(demo::seed_if_new).await?;
        }
        Ok(store)
    }
}

/// Runs every check that can refuse the start before anything is written:
/// on a cleanly closed store through a read-only open, which leaves the
/// file untouched.
fn preflight(path: &Path, identity: &IdentityOptions) -> Result<(), StoreError> {
    if !has_store(path) {
        return Ok(());
    }
    match open_read_only(path) {
        Ok(db) => {
            check_version(migrations::current_version_of(&db)?)?;
            let stored = keys::read(&db)?;
            let identity = load_identity(identity, stored.as_ref().map(|(info, _)| info))?;
            if let Some((info, wrapped)) = &stored {
                keys::unlock(info, wrapped, &identity)?;
            }
            Ok(())
        }
        // A crashed store needs redb's repair, which only a writable open does.
        Err(StoreError::NeedsRepair(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks the schema, unlocks the data key (creating it on a new store)
/// and migrates the store to this binary's schema.
fn unlock_and_migrate(db: &Db, identity: &IdentityOptions) -> Result<Keyring, StoreError> {
    check_version(migrations::current_version(db)?)?;
    let stored = keys::read(db)?;
    let identity = load_identity(identity, stored.as_ref().map(|(info, _)| info))?;
    let ring = match &stored {
        Some((info, wrapped)) => keys::unlock(info, wrapped, &identity)?,
        None => keys::create(db, &identity)?,
    };
    let from = migrations::run(db, &ring)?;
    if from < migrations::latest_version() {
        tracing::info!(from, to = migrations::latest_version(), "store migrated");
    }
    Ok(ring)
}

/// The histogram of the writer's commit times, registered by `/metrics`.
fn commit_histogram() -> prometheus::Histogram {
    prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new(
            "launchpad_store_commit_duration_seconds",
            "Time to apply and durably commit one batch of changes",
        )
        .buckets(vec![
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]),
    )
    .expect("valid histogram options")
}

fn check_version(found: u32) -> Result<(), StoreError> {
    let supported = migrations::latest_version();
    if found > supported {
        Err(StoreError::TooNew { found, supported })
    } else {
        Ok(())
    }
}

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

pub(crate) fn open_database(path: &Path, cache_bytes: usize) -> Result<redb::Database, StoreError> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| {
            StoreError::Io(format!("creating the data folder {}: {e}", dir.display()))
        })?;
    }
    make_private_file(path)
        .map_err(|e| StoreError::Io(format!("making {} private: {e}", path.display())))?;
    redb::Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.to_owned()),
            other => other.into(),
        })
}

/// Creates a new, empty redb file at `path` (refusing an existing one)
/// readable by its owner only, and opens it.
pub fn create_private_store(path: &Path, cache_bytes: usize) -> Result<redb::Database, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::Io(format!("creating {}: {e}", path.display())))?;
    Ok(redb::Database::builder()
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

/// How many reads of the store file may run at once on this machine.
fn read_turns() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores * super::READS_PER_CORE
}
