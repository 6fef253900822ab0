//! Reading a store no server holds: what `diagnose`, `migrate --plan`,
//! `restore` and an offline backup need, without writing to the file and
//! without the writer, the keys or the migrations a served store starts.
//!
//! A store is a file in a data folder or a PostgreSQL database; a
//! [`Location`] names either, so the commands read both the same way. A
//! PostgreSQL database may be in use by running instances meanwhile: its
//! reads are snapshots and its writes take the instances' write lock.

use super::engine::{pg::PgDb, schema};
use super::{FILE_NAME, StoreError, keys, meta, migrations, open::open_database, postgres, tables};
use crate::store::engine::Db;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a store lives.
#[derive(Clone)]
pub enum Location {
    /// `launchpad.redb` in this data folder.
    Folder(PathBuf),
    /// The database this pool reaches, with the runtime its connections
    /// live on (kept for as long as the location, so they do too).
    Postgres(Arc<PgDb>),
}

impl Location {
    /// The database `pool` reaches.
    pub fn postgres(pool: postgres::Pool) -> Result<Self, StoreError> {
        Ok(Self::Postgres(Arc::new(PgDb::new(pool)?)))
    }

    /// The store file, or the URL with its password masked, for messages.
    pub fn shown(&self) -> String {
        match self {
            Self::Folder(dir) => crate::fsutil::display_path(&dir.join(FILE_NAME)),
            Self::Postgres(db) => db.pool().url().to_string(),
        }
    }

    /// Whether a store is there: the file exists, or the database holds
    /// LaunchPad's tables with a schema version.
    pub fn exists(&self) -> Result<bool, StoreError> {
        match self {
            Self::Folder(dir) => Ok(dir.join(FILE_NAME).exists()),
            Self::Postgres(_) => {
                let db = self.open_read_only()?;
                let pg = db.postgres().expect("a PostgreSQL database");
                if schema::pending(pg)?.len() == schema::SQL_MIGRATIONS.len() {
                    return Ok(false);
                }
                Ok(migrations::current_version_of(&db)? > 0)
            }
        }
    }

    /// Opens the store for reading only: the file without its lock (it is
    /// refused while a server holds it), or the database.
    pub fn open_read_only(&self) -> Result<Db, StoreError> {
        match self {
            Self::Folder(dir) => open_read_only(&dir.join(FILE_NAME)),
            Self::Postgres(db) => Ok(Db::Postgres(Arc::clone(db))),
        }
    }

    /// Opens an existing store for writing without a writer: refused while a
    /// server holds the file; on PostgreSQL its writes wait for the
    /// instances' write lock.
    pub fn open_unserved(&self, cache_bytes: usize) -> Result<Db, StoreError> {
        match self {
            Self::Folder(dir) => open_unserved(dir, cache_bytes),
            Self::Postgres(_) => {
                if !self.exists()? {
                    return Err(StoreError::Io(format!("no store in {}", self.shown())));
                }
                self.open_read_only()
            }
        }
    }
}

/// Row counts per table of a store no server holds, read without writing.
pub fn read_counts(path: &Path) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
    read_counts_of(&open_read_only(path)?)
}

/// Row counts of the projects, checklists and tasks of `db`.
pub fn read_counts_of(db: &Db) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
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
pub fn open_unserved(data_dir: &Path, cache_bytes: usize) -> Result<Db, StoreError> {
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Err(StoreError::Io(format!(
            "no store at {}",
            crate::fsutil::display_path(&path)
        )));
    }
    Ok(Db::Redb(std::sync::Arc::new(open_database(
        &path,
        cache_bytes,
    )?)))
}

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
    pub(super) fn read(db: &Db) -> Result<Self, StoreError> {
        Ok(Self {
            schema_version: migrations::current_version_of(db)?,
            latest_schema_version: migrations::latest_version(),
            data_key: keys::read(db)?.map(|(info, _)| info),
            last_backup: meta::read_last_backup(db)?,
        })
    }
}

/// Reads the facts of a store no server holds, without writing.
pub fn read_facts(location: &Location) -> Result<StoreFacts, StoreError> {
    StoreFacts::read(&location.open_read_only()?)
}

/// Reads the data key's public facts from a store no server holds.
pub fn read_key_info(location: &Location) -> Result<keys::KeyInfo, StoreError> {
    let db = location.open_read_only()?;
    keys::read(&db)?
        .map(|(info, _)| info)
        .ok_or_else(|| StoreError::Corrupt("the store has no data key yet".into()))
}

/// Opens a store no server holds without writing to it.
pub fn open_read_only_for(path: &Path) -> Result<Db, StoreError> {
    open_read_only(path)
}

pub(super) fn open_read_only(path: &Path) -> Result<Db, StoreError> {
    redb::ReadOnlyDatabase::open(path)
        .map(|db| Db::RedbReadOnly(std::sync::Arc::new(db)))
        .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path.to_owned()),
            redb::DatabaseError::RepairAborted => StoreError::NeedsRepair(path.to_owned()),
            other => other.into(),
        })
}

/// What `launchpad migrate --plan` reports, read without changing anything.
pub struct MigrationPlan {
    /// The store file, or the database's URL masked.
    pub shown: String,
    /// On PostgreSQL, the SQL steps that create and change its tables.
    pub schema: Vec<&'static schema::SqlMigration>,
    /// `None` when no store exists yet.
    pub current: Option<u32>,
    pub pending: Vec<&'static migrations::Migration>,
}

/// Reads the schema version of the store at `location` without writing to it.
pub fn migration_plan(location: &Location) -> Result<MigrationPlan, StoreError> {
    let shown = location.shown();
    let schema = match location {
        Location::Folder(_) => Vec::new(),
        Location::Postgres(_) => {
            let db = location.open_read_only()?;
            schema::pending(db.postgres().expect("a PostgreSQL database"))?
        }
    };
    if !location.exists()? {
        return Ok(MigrationPlan {
            shown,
            schema,
            current: None,
            pending: migrations::pending(0).collect(),
        });
    }
    let db = location.open_read_only()?;
    let tx = db.begin_read()?;
    let current = migrations::version_in(&tx.open_table(tables::META)?)?;
    if current > migrations::latest_version() {
        return Err(StoreError::TooNew {
            found: current,
            supported: migrations::latest_version(),
        });
    }
    Ok(MigrationPlan {
        shown,
        schema,
        current: Some(current),
        pending: migrations::pending(current).collect(),
    })
}
