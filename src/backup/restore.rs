//! Restoring a backup: refuse anything that does not verify whole, build
//! the new store beside the live one, keep the old one as a dated
//! `.pre-restore-…` hard link, and swap with one atomic rename.

use super::format::{self, Backup};
use super::{Authenticity, BackupError, Verified, io, tables, utc_stamp, verify};
use crate::crypto::Identity;
use crate::domain::rfc3339;
use crate::store::engine::{Db, schema};
use crate::store::tables::{META, meta_key};
use crate::store::{self, StoreError, accounts, keys, migrations};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a restore did or, with `--dry-run`, would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub verified: Verified,
    /// The store file, or the database's URL masked.
    pub store: String,
    /// Row counts of the store being replaced, if there is one.
    pub replacing: Option<BTreeMap<String, u64>>,
    pub kept_as: Option<PathBuf>,
    pub migrated_from: Option<u32>,
    pub dry_run: bool,
}

/// How a restore may proceed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    pub dry_run: bool,
    pub force: bool,
    /// Accept a format-1 backup, which carries no authentication tag.
    pub accept_unsigned: bool,
    /// Whether a server answers on the data folder's admin socket (the
    /// caller asks it); the store's own lock is the final guard.
    pub served: bool,
}

/// Replaces the store in `data_dir` with a verified, authentic backup.
pub fn restore(
    data_dir: &Path,
    backup: &Path,
    decrypt_with: Option<&Identity>,
    identity: &Identity,
    options: RestoreOptions,
) -> Result<RestoreReport, BackupError> {
    let RestoreOptions {
        dry_run,
        force,
        accept_unsigned,
        served,
    } = options;
    let live = data_dir.join(store::FILE_NAME);
    if served && !dry_run {
        return Err(BackupError::ServerRunning(data_dir.to_owned()));
    }
    let replacing = if live.exists() {
        Some(live_counts(data_dir, &live, dry_run)?)
    } else {
        None
    };
    let (verified, opened) = verify(backup, decrypt_with, Some(identity))?;
    if verified.authenticity == Authenticity::Unsigned && !accept_unsigned {
        return Err(BackupError::Unsigned);
    }
    let mut report = RestoreReport {
        verified,
        store: crate::fsutil::display_path(&live),
        replacing,
        kept_as: None,
        migrated_from: None,
        dry_run,
    };
    if dry_run {
        return Ok(report);
    }
    if report.replacing.is_some() && !force {
        return Err(BackupError::WouldReplace(live));
    }
    let building = build_beside(data_dir, &opened, identity)?;
    let schema = opened.manifest.schema_version;
    if schema < migrations::latest_version() {
        report.migrated_from = Some(schema);
    }
    if live.exists() {
        report.kept_as = Some(keep_live(data_dir, &live)?);
    }
    std::fs::rename(&building, &live).map_err(io("swapping in the restored store"))?;
    format::sync_dir(&live).map_err(io("syncing the data folder"))?;
    Ok(report)
}

/// Row counts of the store about to be replaced; empty when it cannot be
/// read. A store held by a server refuses the restore (a dry run only looks).
fn live_counts(
    data_dir: &Path,
    live: &Path,
    dry_run: bool,
) -> Result<BTreeMap<String, u64>, BackupError> {
    // A damaged store may make the storage engine panic; it is being
    // replaced, so "unreadable" is an answer, not a failure.
    let read = std::panic::catch_unwind(|| store::read_counts(live));
    match read {
        Ok(Ok(counts)) => Ok(counts),
        Ok(Err(StoreError::Locked(_))) if dry_run => Ok(BTreeMap::new()),
        Ok(Err(StoreError::Locked(_))) => Err(BackupError::ServerRunning(data_dir.to_owned())),
        Ok(Err(_)) | Err(_) => Ok(BTreeMap::new()),
    }
}

/// Builds the restored store beside the live one, as
/// `launchpad.redb.restoring`, durable on disk; nothing is left of it if
/// the build fails.
fn build_beside(
    data_dir: &Path,
    opened: &Backup<'_>,
    identity: &Identity,
) -> Result<PathBuf, BackupError> {
    store::create_private_dir(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
    let building = data_dir.join(format!("{}.restoring", store::FILE_NAME));
    if building.exists() {
        std::fs::remove_file(&building).map_err(io("removing an unfinished earlier restore"))?;
    }
    if let Err(e) = build_store(&building, opened, identity) {
        let _ = std::fs::remove_file(&building);
        return Err(e);
    }
    std::fs::File::open(&building)
        .and_then(|f| f.sync_all())
        .map_err(io("syncing the restored store"))?;
    Ok(building)
}

/// Gives the live store a second, dated `.pre-restore-…` name; `live`
/// keeps pointing at it until the rename swaps the restored one in.
fn keep_live(data_dir: &Path, live: &Path) -> Result<PathBuf, BackupError> {
    let stamp = utc_stamp();
    let mut kept = data_dir.join(format!("{}.pre-restore-{stamp}", store::FILE_NAME));
    for n in 2.. {
        if !kept.exists() {
            break;
        }
        kept = data_dir.join(format!("{}.pre-restore-{stamp}-{n}", store::FILE_NAME));
    }
    std::fs::hard_link(live, &kept).map_err(io(format!(
        "keeping the current store as {}",
        kept.display()
    )))?;
    Ok(kept)
}

/// Streams every frame into a new private store at `path`, then migrates
/// it forward if the backup is older.
fn build_store(path: &Path, opened: &Backup<'_>, identity: &Identity) -> Result<(), BackupError> {
    let db = store::engine::Db::Redb(std::sync::Arc::new(store::create_private_store(
        path,
        16 * 1024 * 1024,
    )?));
    load(&db, tables::Loader::new(&db), opened, identity)
}

/// Loads every frame through `loader`, checks the data key opens, migrates
/// the store forward if the backup is older and records the snapshot's time.
fn load(
    db: &Db,
    mut loader: tables::Loader<'_>,
    opened: &Backup<'_>,
    identity: &Identity,
) -> Result<(), BackupError> {
    opened.frames(|frame| loader.push(&frame).map_err(BackupError::from))?;
    loader.finish()?;
    let (info, wrapped) = keys::read(db)?
        .ok_or_else(|| BackupError::Invalid("the backup holds no data key".into()))?;
    let ring = keys::unlock(&info, &wrapped, identity)?;
    migrations::run(db, &ring)?;
    // Replaying the journal to a time before the snapshot would mix states.
    if let Ok(at) = rfc3339::parse(&opened.manifest.created_at) {
        let tx = db.begin_write()?;
        tx.open_table(META)?
            .insert(meta_key::SNAPSHOT_AT, at.to_string().as_bytes())?;
        let target = Some(format!("snapshot {}", opened.manifest.created_at));
        accounts::audit(
            &tx,
            crate::store::meta::audit_stamp(),
            &accounts::AuditContext::local(),
            "restore",
            target,
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Restores a verified, authentic backup into a PostgreSQL database (named
/// `shown` in the report, its password masked): an empty one, or with
/// `force` one that holds a store, replaced in one transaction so the
/// previous data stays until the new data is committed. Every instance on
/// the database should be stopped first, as for a file.
pub fn restore_into(
    db: &Db,
    shown: &str,
    backup: &Path,
    decrypt_with: Option<&Identity>,
    identity: &Identity,
    options: RestoreOptions,
) -> Result<RestoreReport, BackupError> {
    // The instance on this machine is asked to stop, as for a file; the
    // others on the database cannot be seen from here (the runbook says to
    // stop them all).
    if options.served && !options.dry_run {
        return Err(BackupError::ServerRunning(PathBuf::from(shown)));
    }
    let (verified, opened) = verify(backup, decrypt_with, Some(identity))?;
    if verified.authenticity == Authenticity::Unsigned && !options.accept_unsigned {
        return Err(BackupError::Unsigned);
    }
    let pg = db
        .postgres()
        .expect("restore_into takes a PostgreSQL database");
    // A database LaunchPad never used has no tables to count.
    let replacing = if schema::pending(pg)?.is_empty() {
        let counts = store::read_counts_of(db)?;
        counts.values().any(|&n| n > 0).then_some(counts)
    } else {
        None
    };
    let mut report = RestoreReport {
        verified,
        store: shown.to_owned(),
        replacing,
        kept_as: None,
        migrated_from: None,
        dry_run: options.dry_run,
    };
    if options.dry_run {
        return Ok(report);
    }
    if report.replacing.is_some() && !options.force {
        return Err(BackupError::WouldReplaceDatabase(report.store.clone()));
    }
    schema::migrate(pg)?;
    load(db, tables::Loader::replacing(db), &opened, identity)?;
    let schema = opened.manifest.schema_version;
    if schema < migrations::latest_version() {
        report.migrated_from = Some(schema);
    }
    Ok(report)
}
