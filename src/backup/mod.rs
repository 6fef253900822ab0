//! Backup, verify and restore: the drills an operator trusts.
//!
//! A backup is taken from one redb read transaction, so it is consistent and
//! writers keep going while it runs (inside the server, through the admin
//! socket, or directly when no server holds the store). Verify reads every
//! record back. Restore refuses anything it cannot fully verify, builds the
//! new store beside the old one, keeps the old one as a dated
//! `.pre-restore-…` hard link and swaps with one atomic rename: at every
//! instant `launchpad.redb` is the old store or the new one, whole.

pub mod format;

use crate::crypto::{Identity, Recipient};
use crate::domain::{Millis, now_millis, rfc3339};
use crate::store::journal::Event;
use crate::store::records::{
    ChecklistRecord, NOTES, OWNER_EMAIL, ProjectRecord, TaskRecord, decode,
};
use crate::store::tables::{CHECKLISTS, JOURNAL, META, PROJECTS, TASKS, meta_key};
use crate::store::{self, StoreError, keys, migrations};
use format::{FormatError, Manifest, Opened, Written};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Backup files written to a folder are named `launchpad-<UTC time>.lpbackup`.
pub const EXTENSION: &str = "lpbackup";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Format { path: PathBuf, source: FormatError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
    #[error("the backup is not usable: {0}")]
    Invalid(String),
    #[error("{0} already exists; backups never overwrite a file")]
    Exists(PathBuf),
    #[error(
        "the backup's data key {fingerprint} is wrapped for {recipients:?}, which the identity {identity} (public key {recipient}) cannot unwrap; pass the right --identity"
    )]
    WrongKey {
        fingerprint: String,
        recipients: Vec<String>,
        identity: PathBuf,
        recipient: String,
    },
    #[error(
        "a server is running on {0}; stop it first (systemctl stop launchpad, or Ctrl-C) and run the restore again"
    )]
    ServerRunning(PathBuf),
    #[error(
        "this would replace the store at {0}; rerun with --force (the current store is kept as a .pre-restore copy) or look first with --dry-run"
    )]
    WouldReplace(PathBuf),
}

fn io(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BackupError {
    move |e| BackupError::Io(format!("{context}: {e}"))
}

/// What a finished backup reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    pub file: Written,
    pub manifest: Manifest,
    pub duration_ms: u64,
    pub pruned: Vec<PathBuf>,
}

/// The last successful backup, kept in the store's meta table for metrics
/// and readiness checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastBackup {
    pub at: Millis,
    pub duration_ms: u64,
    pub size: u64,
    pub path: PathBuf,
    pub sha256: String,
}

/// Where `--out` leads: a folder gets a dated name; a file must not exist.
pub fn target_path(out: &Path) -> Result<PathBuf, BackupError> {
    let path = if out.is_dir() {
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("a fixed format");
        out.join(format!("launchpad-{stamp}.{EXTENSION}"))
    } else {
        out.to_owned()
    };
    if path.exists() {
        return Err(BackupError::Exists(path));
    }
    Ok(path)
}

/// Writes a consistent snapshot of `db` from one read transaction.
pub fn snapshot(
    db: &impl ReadableDatabase,
    path: &Path,
    encrypt_to: Option<&Recipient>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Written, Manifest), BackupError> {
    let tx = db.begin_read().map_err(StoreError::from)?;
    let meta = tx.open_table(META).map_err(StoreError::from)?;
    let projects = tx.open_table(PROJECTS).map_err(StoreError::from)?;
    let checklists = tx.open_table(CHECKLISTS).map_err(StoreError::from)?;
    let tasks = tx.open_table(TASKS).map_err(StoreError::from)?;
    let journal = tx.open_table(JOURNAL).map_err(StoreError::from)?;
    let count = |n: Result<u64, redb::StorageError>| n.map_err(StoreError::from);
    let counts = BTreeMap::from([
        ("meta".to_owned(), count(meta.len())?),
        ("projects".to_owned(), count(projects.len())?),
        ("checklists".to_owned(), count(checklists.len())?),
        ("tasks".to_owned(), count(tasks.len())?),
        ("journal".to_owned(), count(journal.len())?),
    ]);
    let text = |key: &str| -> Result<Vec<u8>, BackupError> {
        Ok(meta
            .get(key)
            .map_err(StoreError::from)?
            .map(|v| v.value().to_vec())
            .unwrap_or_default())
    };
    let version = migrations::version_in(&meta)?;
    let manifest = Manifest {
        format: format::FORMAT_VERSION,
        schema_version: version,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: rfc3339::format(now_millis()),
        data_key_fingerprint: String::from_utf8_lossy(&text(meta_key::DATA_KEY_FINGERPRINT)?)
            .into_owned(),
        counts,
    };
    let total: u64 = manifest.counts.values().sum();
    let written = format::write(path, &manifest, encrypt_to, |frames| {
        let storage = std::io::Error::other;
        let mut done = 0u64;
        let tick = |frames_done: &mut u64| {
            *frames_done += 1;
            if frames_done.is_multiple_of(1000) || *frames_done == total {
                progress(*frames_done, total);
            }
        };
        for row in meta.iter().map_err(storage)? {
            let (k, v) = row.map_err(storage)?;
            frames.push(1, k.value().as_bytes(), v.value())?;
            tick(&mut done);
        }
        for row in projects.iter().map_err(storage)? {
            let (k, v) = row.map_err(storage)?;
            frames.push(2, &k.value().to_be_bytes(), v.value())?;
            tick(&mut done);
        }
        for (id, table) in [(3u8, &checklists), (4, &tasks)] {
            for row in table.iter().map_err(storage)? {
                let (k, v) = row.map_err(storage)?;
                let (a, b) = k.value();
                frames.push(id, &[a.to_be_bytes(), b.to_be_bytes()].concat(), v.value())?;
                tick(&mut done);
            }
        }
        for row in journal.iter().map_err(storage)? {
            let (k, v) = row.map_err(storage)?;
            frames.push(5, &k.value().to_be_bytes(), v.value())?;
            tick(&mut done);
        }
        progress(total, total);
        Ok(())
    })
    .map_err(io(format!("writing the backup {}", path.display())))?;
    Ok((written, manifest))
}

/// Removes all but the `keep` newest dated backups in `dir`.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let mut dated: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(format!("listing {}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("launchpad-") && name.ends_with(&format!(".{EXTENSION}"))
        })
        .collect();
    dated.sort();
    let excess = dated.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = dated.into_iter().take(excess).collect();
    for path in &removed {
        std::fs::remove_file(path)
            .map_err(io(format!("removing the old backup {}", path.display())))?;
    }
    Ok(removed)
}

/// What verification found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub manifest: Manifest,
    pub encrypted: bool,
    pub size: u64,
    pub sha256: String,
    /// Sealed fields opened with the identity, when one could unwrap the key.
    pub sealed_fields_opened: Option<usize>,
}

/// Checks a backup without restoring it: format, checksum, manifest, and
/// every record read back; with `identity`, every sealed field opened.
pub fn verify(
    path: &Path,
    decrypt_with: Option<&Identity>,
    identity: Option<&Identity>,
) -> Result<(Verified, Opened), BackupError> {
    let opened = format::open(path, decrypt_with).map_err(|source| BackupError::Format {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |why: String| BackupError::Invalid(why);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut meta: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut projects = HashSet::new();
    let mut checklists = HashSet::new();
    for (table, key, value) in &opened.frames {
        let name = format::table_name(*table).expect("checked while reading");
        *counts.entry(name.to_owned()).or_default() += 1;
        let id = |len: usize| {
            if key.len() == len {
                Ok(())
            } else {
                Err(invalid(format!("a {name} key of {} bytes", key.len())))
            }
        };
        match *table {
            1 => {
                let k = String::from_utf8(key.clone())
                    .map_err(|_| invalid("a meta key is not text".into()))?;
                meta.insert(k, value.clone());
            }
            2 => {
                id(16)?;
                decode::<ProjectRecord>("project", value)?;
                projects.insert(key.clone());
            }
            3 => {
                id(32)?;
                decode::<ChecklistRecord>("checklist", value)?;
                if !projects.contains(&key[..16]) {
                    return Err(invalid("a checklist whose project is missing".into()));
                }
                checklists.insert(key[16..].to_vec());
            }
            4 => {
                id(32)?;
                decode::<TaskRecord>("task", value)?;
                if !checklists.contains(&key[..16]) {
                    return Err(invalid("a task whose checklist is missing".into()));
                }
            }
            _ => {
                id(16)?;
                decode::<Event>("journal", value)?;
            }
        }
    }
    for (table, expected) in &opened.manifest.counts {
        let found = counts.get(table).copied().unwrap_or(0);
        if found != *expected {
            return Err(invalid(format!(
                "the manifest promises {expected} {table} rows, the body holds {found}"
            )));
        }
    }
    let stored_fingerprint = meta
        .get(meta_key::DATA_KEY_FINGERPRINT)
        .map(|v| String::from_utf8_lossy(v).into_owned());
    if stored_fingerprint.as_deref() != Some(opened.manifest.data_key_fingerprint.as_str()) {
        return Err(invalid(
            "the manifest's data key does not match the one inside".into(),
        ));
    }
    let sealed_fields_opened = match identity {
        Some(identity) => Some(open_sealed_fields(&opened, &meta, identity)?),
        None => None,
    };
    let verified = Verified {
        manifest: opened.manifest.clone(),
        encrypted: opened.encrypted,
        size: opened.size,
        sha256: opened.sha256.clone(),
        sealed_fields_opened,
    };
    Ok((verified, opened))
}

/// Unwraps the backup's data key with `identity` and opens every sealed field.
fn open_sealed_fields(
    opened: &Opened,
    meta: &BTreeMap<String, Vec<u8>>,
    identity: &Identity,
) -> Result<usize, BackupError> {
    let text = |k: &str| {
        meta.get(k)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let info = keys::KeyInfo {
        fingerprint: text(meta_key::DATA_KEY_FINGERPRINT),
        recipients: serde_json::from_str(&text(meta_key::DATA_KEY_RECIPIENTS)).unwrap_or_default(),
        created_at: text(meta_key::DATA_KEY_CREATED_AT)
            .parse()
            .unwrap_or_default(),
    };
    let wrapped = meta
        .get(meta_key::DATA_KEY_WRAPPED)
        .ok_or_else(|| BackupError::Invalid("the backup holds no data key".into()))?;
    let ring = keys::unlock(&info, wrapped, identity).map_err(|_| BackupError::WrongKey {
        fingerprint: info.fingerprint.clone(),
        recipients: info.recipients.clone(),
        identity: identity.path.clone(),
        recipient: identity.recipient().to_string(),
    })?;
    let mut opened_fields = 0;
    for (table, key, value) in &opened.frames {
        match *table {
            2 => {
                let record: ProjectRecord = decode("project", value)?;
                if let Some(sealed) = &record.owner_email {
                    let id = u128::from_be_bytes(key[..16].try_into().expect("16 bytes"));
                    OWNER_EMAIL.open(&ring, id, sealed, crate::domain::OwnerEmail::parse)?;
                    opened_fields += 1;
                }
            }
            4 => {
                let record: TaskRecord = decode("task", value)?;
                if let Some(sealed) = &record.notes {
                    let id = u128::from_be_bytes(key[16..].try_into().expect("16 bytes"));
                    NOTES.open(&ring, id, sealed, crate::domain::TaskNotes::parse)?;
                    opened_fields += 1;
                }
            }
            _ => {}
        }
    }
    Ok(opened_fields)
}

/// What a restore did or, with `--dry-run`, would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub verified: Verified,
    pub store: PathBuf,
    /// Row counts of the store being replaced, if there is one.
    pub replacing: Option<BTreeMap<String, u64>>,
    pub kept_as: Option<PathBuf>,
    pub migrated_from: Option<u32>,
    pub dry_run: bool,
}

/// Replaces the store in `data_dir` with a verified backup.
pub fn restore(
    data_dir: &Path,
    backup: &Path,
    decrypt_with: Option<&Identity>,
    identity: &Identity,
    dry_run: bool,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    let live = data_dir.join(store::FILE_NAME);
    if crate::admin::is_served(data_dir) {
        return Err(BackupError::ServerRunning(data_dir.to_owned()));
    }
    let replacing = if live.exists() {
        match store::read_counts(&live) {
            Ok(counts) => Some(counts),
            Err(StoreError::Locked(_)) => {
                return Err(BackupError::ServerRunning(data_dir.to_owned()));
            }
            Err(StoreError::NeedsRepair(_)) => Some(BTreeMap::new()),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let (verified, opened) = verify(backup, decrypt_with, Some(identity))?;
    if verified.manifest.schema_version > migrations::latest_version() {
        return Err(StoreError::TooNew {
            found: verified.manifest.schema_version,
            supported: migrations::latest_version(),
        }
        .into());
    }
    let mut report = RestoreReport {
        verified,
        store: live.clone(),
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
    std::fs::create_dir_all(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
    let building = data_dir.join(format!("{}.restoring", store::FILE_NAME));
    if building.exists() {
        std::fs::remove_file(&building).map_err(io("removing an unfinished earlier restore"))?;
    }
    let schema = opened.manifest.schema_version;
    build_store(&building, &opened, identity)?;
    if schema < migrations::latest_version() {
        report.migrated_from = Some(schema);
    }
    std::fs::File::open(&building)
        .and_then(|f| f.sync_all())
        .map_err(io("syncing the restored store"))?;
    if live.exists() {
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("a fixed format");
        let kept = data_dir.join(format!("{}.pre-restore-{stamp}", store::FILE_NAME));
        // A second name for the old store; `live` keeps pointing at it until the rename.
        std::fs::hard_link(&live, &kept).map_err(io(format!(
            "keeping the current store as {}",
            kept.display()
        )))?;
        report.kept_as = Some(kept);
    }
    std::fs::rename(&building, &live).map_err(io("swapping in the restored store"))?;
    format::sync_dir(&live).map_err(io("syncing the data folder"))?;
    Ok(report)
}

/// Writes every frame into a new store at `path` in one transaction, then
/// migrates it forward if the backup is older.
fn build_store(path: &Path, opened: &Opened, identity: &Identity) -> Result<(), BackupError> {
    let db = Database::builder()
        .set_cache_size(16 * 1024 * 1024)
        .create(path)
        .map_err(StoreError::from)?;
    let tx = db.begin_write().map_err(StoreError::from)?;
    {
        let mut meta = tx.open_table(META).map_err(StoreError::from)?;
        let mut projects = tx.open_table(PROJECTS).map_err(StoreError::from)?;
        let mut checklists = tx.open_table(CHECKLISTS).map_err(StoreError::from)?;
        let mut tasks = tx.open_table(TASKS).map_err(StoreError::from)?;
        let mut journal = tx.open_table(JOURNAL).map_err(StoreError::from)?;
        let pair = |k: &[u8]| {
            (
                u128::from_be_bytes(k[..16].try_into().expect("checked")),
                u128::from_be_bytes(k[16..].try_into().expect("checked")),
            )
        };
        let one = |k: &[u8]| u128::from_be_bytes(k[..16].try_into().expect("checked"));
        for (table, key, value) in &opened.frames {
            let stored = match *table {
                1 => meta
                    .insert(std::str::from_utf8(key).expect("checked"), value.as_slice())
                    .map(drop),
                2 => projects.insert(one(key), value.as_slice()).map(drop),
                3 => checklists.insert(pair(key), value.as_slice()).map(drop),
                4 => tasks.insert(pair(key), value.as_slice()).map(drop),
                _ => journal.insert(one(key), value.as_slice()).map(drop),
            };
            stored.map_err(StoreError::from)?;
        }
    }
    tx.commit().map_err(StoreError::from)?;
    let (info, wrapped) = keys::read(&db)?
        .ok_or_else(|| BackupError::Invalid("the backup holds no data key".into()))?;
    let ring = keys::unlock(&info, &wrapped, identity)?;
    migrations::run(&db, &ring)?;
    Ok(())
}

/// Takes a backup into `out` (a file, or a folder for a dated name) and
/// prunes the folder to `keep` dated backups.
pub fn take(
    db: &impl ReadableDatabase,
    out: &Path,
    encrypt_to: Option<&Recipient>,
    keep: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let path = target_path(out)?;
    let (file, manifest) = snapshot(db, &path, encrypt_to, progress)?;
    let pruned = match keep {
        Some(n) if out.is_dir() => prune(out, n)?,
        _ => Vec::new(),
    };
    Ok(BackupReport {
        file,
        manifest,
        duration_ms: started.elapsed().as_millis() as u64,
        pruned,
    })
}

impl BackupReport {
    pub fn last(&self) -> LastBackup {
        LastBackup {
            at: now_millis(),
            duration_ms: self.duration_ms,
            size: self.file.size,
            path: self.file.path.clone(),
            sha256: self.file.sha256.clone(),
        }
    }
}

pub fn write_last_backup(tx: &redb::WriteTransaction, last: &LastBackup) -> Result<(), StoreError> {
    let json = serde_json::to_vec(last).expect("serializes");
    tx.open_table(META)?
        .insert(meta_key::LAST_BACKUP, json.as_slice())?;
    Ok(())
}

pub fn read_last_backup(db: &impl ReadableDatabase) -> Result<Option<LastBackup>, StoreError> {
    let tx = db.begin_read()?;
    let meta = tx.open_table(META)?;
    let row = meta.get(meta_key::LAST_BACKUP)?;
    Ok(row.and_then(|v| serde_json::from_slice(v.value()).ok()))
}
