//! Reading a store no server holds: what `diagnose`, `migrate --plan`,
//! `restore` and an offline backup need, without writing to the file and
//! without the writer, the keys or the migrations a served store starts.

use super::{FILE_NAME, StoreError, keys, meta, migrations, open::open_database, tables};
use crate::store::engine::Db;
use std::path::{Path, PathBuf};

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
pub fn read_facts(path: &Path) -> Result<StoreFacts, StoreError> {
    StoreFacts::read(&open_read_only(path)?)
}

/// Reads the data key's public facts from a store no server holds.
pub fn read_key_info(path: &Path) -> Result<keys::KeyInfo, StoreError> {
    let db = open_read_only(path)?;
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
    let current = migrations::version_in(&tx.open_table(tables::META)?)?;
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
