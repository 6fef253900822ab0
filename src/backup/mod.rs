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
pub mod tables;

use crate::crypto::{Identity, Recipient};
use crate::domain::{Millis, now_millis, rfc3339};
use crate::store::journal::Event;
use crate::store::records::{
    ChecklistRecord, NOTES, OWNER_EMAIL, ProjectRecord, TaskRecord, decode,
};
use crate::store::tables::{META, meta_key};
use crate::store::{self, StoreError, accounts, keys, migrations};
use format::{FormatError, Manifest, Opened, Written};
use redb::{Database, ReadableDatabase};
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
    let mut counts = BTreeMap::new();
    for (_, name, shape) in tables::BACKED_UP {
        counts.insert((*name).to_owned(), tables::count(&tx, *shape)?);
    }
    let meta = tx.open_table(META).map_err(StoreError::from)?;
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
        let mut done = 0u64;
        let mut tick = || {
            done += 1;
            if done.is_multiple_of(1000) {
                progress(done, total);
            }
        };
        for (id, _, shape) in tables::BACKED_UP {
            tables::dump(&tx, *id, *shape, frames, &mut tick).map_err(std::io::Error::other)?;
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
        let name = tables::name(*table).expect("checked while reading");
        *counts.entry(name.to_owned()).or_default() += 1;
        tables::check_frame(*table, key, value).map_err(invalid)?;
        match name {
            "meta" => {
                meta.insert(String::from_utf8_lossy(key).into_owned(), value.clone());
            }
            "projects" => {
                decode::<ProjectRecord>("project", value)?;
                projects.insert(key.clone());
            }
            "checklists" => {
                decode::<ChecklistRecord>("checklist", value)?;
                if !projects.contains(&key[..16]) {
                    return Err(invalid("a checklist whose project is missing".into()));
                }
                checklists.insert(key[16..].to_vec());
            }
            "tasks" => {
                decode::<TaskRecord>("task", value)?;
                if !checklists.contains(&key[..16]) {
                    return Err(invalid("a task whose checklist is missing".into()));
                }
            }
            "journal" => drop(decode::<Event>("journal", value)?),
            "users" => drop(decode::<accounts::UserRecord>("user", value)?),
            "tokens" => drop(decode::<accounts::TokenRecord>("token", value)?),
            "audit" => drop(decode::<accounts::AuditEntry>("audit", value)?),
            _ => {}
        }
    }
    let schema = opened.manifest.schema_version;
    if schema > migrations::latest_version() {
        return Err(StoreError::TooNew {
            found: schema,
            supported: migrations::latest_version(),
        }
        .into());
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
    let served = crate::admin::is_served(data_dir);
    if served && !dry_run {
        return Err(BackupError::ServerRunning(data_dir.to_owned()));
    }
    let replacing = if live.exists() {
        // A damaged store may make the storage engine panic; it is being
        // replaced, so "unreadable" is an answer, not a failure.
        let read = std::panic::catch_unwind(|| store::read_counts(&live));
        match read {
            Ok(Ok(counts)) => Some(counts),
            Ok(Err(StoreError::Locked(_))) if dry_run => Some(BTreeMap::new()),
            Ok(Err(StoreError::Locked(_))) => {
                return Err(BackupError::ServerRunning(data_dir.to_owned()));
            }
            Ok(Err(_)) | Err(_) => Some(BTreeMap::new()),
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
    store::create_private_dir(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
    let building = data_dir.join(format!("{}.restoring", store::FILE_NAME));
    if building.exists() {
        std::fs::remove_file(&building).map_err(io("removing an unfinished earlier restore"))?;
    }
    let schema = opened.manifest.schema_version;
    build_store(&building, &opened, identity)?;
    if schema < migrations::latest_version() {
        report.migrated_from = Some(schema);
    }
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&building, std::fs::Permissions::from_mode(0o600))
            .map_err(io("making the restored store private"))?;
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
        let mut kept = data_dir.join(format!("{}.pre-restore-{stamp}", store::FILE_NAME));
        for n in 2.. {
            if !kept.exists() {
                break;
            }
            kept = data_dir.join(format!("{}.pre-restore-{stamp}-{n}", store::FILE_NAME));
        }
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
    tables::load(&tx, &opened.frames)?;
    tx.commit().map_err(StoreError::from)?;
    let (info, wrapped) = keys::read(&db)?
        .ok_or_else(|| BackupError::Invalid("the backup holds no data key".into()))?;
    let ring = keys::unlock(&info, &wrapped, identity)?;
    migrations::run(&db, &ring)?;
    // Replaying the journal to a time before the snapshot would mix states.
    if let Ok(at) = rfc3339::parse(&opened.manifest.created_at) {
        let tx = db.begin_write().map_err(StoreError::from)?;
        tx.open_table(META)
            .map_err(StoreError::from)?
            .insert(meta_key::SNAPSHOT_AT, at.to_string().as_bytes())
            .map_err(StoreError::from)?;
        let target = Some(format!("snapshot {}", opened.manifest.created_at));
        accounts::audit(
            &tx,
            audit_stamp(),
            &accounts::AuditContext::local(),
            "restore",
            target,
        )?;
        tx.commit().map_err(StoreError::from)?;
    }
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

/// Records a successful backup, and audits it, in `tx`.
pub fn write_last_backup(tx: &redb::WriteTransaction, last: &LastBackup) -> Result<(), StoreError> {
    let json = serde_json::to_vec(last).expect("serializes");
    tx.open_table(META)?
        .insert(meta_key::LAST_BACKUP, json.as_slice())?;
    let target = Some(last.path.display().to_string());
    accounts::audit(
        tx,
        audit_stamp(),
        &accounts::AuditContext::local(),
        "backup",
        target,
    )
}

pub fn read_last_backup(db: &impl ReadableDatabase) -> Result<Option<LastBackup>, StoreError> {
    let tx = db.begin_read()?;
    let meta = tx.open_table(META)?;
    let row = meta.get(meta_key::LAST_BACKUP)?;
    Ok(row.and_then(|v| serde_json::from_slice(v.value()).ok()))
}

/// An audit entry's id and time for work done outside the writer.
fn audit_stamp() -> crate::store::journal::Stamp {
    crate::store::journal::Stamp {
        id: uuid::Uuid::now_v7().as_u128(),
        at: now_millis(),
    }
}
