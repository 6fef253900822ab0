//! Backup, verify and restore: the drills an operator trusts.
//!
//! A backup is taken from one redb read transaction, so it is consistent and
//! writers keep going while it runs (inside the server, through the admin
//! socket, or directly when no server holds the store). Verify reads every
//! record back. Restore refuses anything it cannot fully verify, builds the
//! new store beside the old one, keeps the old one as a dated
//! `.pre-restore-…` hard link and swaps with one atomic rename: at every
//! instant `launchpad.redb` is the old store or the new one, whole.
//!
//! Taking a backup lives here; checking one in `verify`, and putting one
//! back in `restore`.

mod copy;
pub mod format;
mod restore;
pub mod tables;
mod verify;

use crate::crypto::{Keyring, Recipient};
use crate::domain::{now_millis, rfc3339};
use crate::store::engine::Db;
use crate::store::tables::{META, meta_key};
use crate::store::{self, StoreError, migrations};
pub use copy::{CopyReport, copy};
use format::{FormatError, Manifest, Written};
pub use restore::{RestoreOptions, RestoreReport, restore, restore_into};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
pub use verify::{Authenticity, Verified, verify};

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
        "the backup is format 1, written before backups carried an authentication tag, so nothing proves it was not changed; verify it, then rerun with --accept-unsigned to restore it anyway"
    )]
    Unsigned,
    #[error(
        "this would replace the store at {0}; rerun with --force (the current store is kept as a .pre-restore copy) or look first with --dry-run"
    )]
    WouldReplace(PathBuf),
    #[error(
        "this would replace the store in {0}; rerun with --force (the previous data stays until the restore commits) or look first with --dry-run"
    )]
    WouldReplaceDatabase(String),
    #[error(
        "the destination already holds a store ({projects} projects); pass --force to replace it"
    )]
    DestinationHolds { projects: u64 },
    #[error("the copy does not match its source: {0}")]
    CopyDiffers(String),
}

fn io(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BackupError {
    move |e| BackupError::Io(format!("{context}: {e}"))
}

impl From<FormatError> for BackupError {
    fn from(source: FormatError) -> Self {
        Self::Format {
            path: PathBuf::new(),
            source,
        }
    }
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

/// Now in UTC as `20250131T235959Z`, for dated file names.
fn utc_stamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a fixed format")
}

/// Where `--out` leads: a folder gets a dated name; a file must not exist.
pub fn target_path(out: &Path) -> Result<PathBuf, BackupError> {
    let path = if out.is_dir() {
        let stamp = utc_stamp();
        out.join(format!("launchpad-{stamp}.{EXTENSION}"))
    } else {
        out.to_owned()
    };
    if path.exists() {
        return Err(BackupError::Exists(path));
    }
    Ok(path)
}

/// Writes a consistent snapshot of `db` from one read transaction,
/// authenticated under the data key it names, which `ring` must hold.
pub fn snapshot(
    db: &Db,
    ring: &Keyring,
    path: &Path,
    encrypt_to: Option<&Recipient>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Written, Manifest), BackupError> {
    let tx = db.begin_read()?;
    let mut counts = BTreeMap::new();
    for (_, name, shape) in tables::BACKED_UP {
        counts.insert((*name).to_owned(), tables::count(&tx, *shape)?);
    }
    let meta = tx.open_table(META)?;
    let text = |key: &str| -> Result<Vec<u8>, BackupError> {
        Ok(meta
            .get(key)?
            .map(|v| v.value().to_vec())
            .unwrap_or_default())
    };
    let version = migrations::version_in(&meta)?;
    let fingerprint = String::from_utf8_lossy(&text(meta_key::DATA_KEY_FINGERPRINT)?).into_owned();
    let key = ring.with_fingerprint(&fingerprint).ok_or_else(|| {
        BackupError::Invalid(format!(
            "the store's data key {fingerprint} is not the one loaded; restart the service and take the backup again"
        ))
    })?;
    let mut manifest = Manifest {
        format: format::FORMAT_VERSION,
        schema_version: version,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: rfc3339::format(now_millis()),
        data_key_fingerprint: fingerprint,
        wrapped_data_key: None,
        counts,
    };
    manifest.set_wrapped_key(&text(meta_key::DATA_KEY_WRAPPED)?);
    let total: u64 = manifest.counts.values().sum();
    let written = format::write(path, &manifest, encrypt_to, key, |frames| {
        let mut done = 0u64;
        let mut tick = || {
            done += 1;
            if done.is_multiple_of(1000) {
                progress(done, total);
            }
        };
        for (id, _, shape) in tables::BACKED_UP {
            tables::dump(&tx, *shape, &mut |key, value| {
                frames
                    .push(*id, key, value)
                    .map_err(|e| StoreError::Io(format!("writing the backup: {e}")))?;
                tick();
                Ok(())
            })
            .map_err(std::io::Error::other)?;
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

/// Takes a backup into `out` (a file, or a folder for a dated name) and
/// prunes the folder to `keep` dated backups.
pub fn take(
    db: &Db,
    ring: &Keyring,
    out: &Path,
    encrypt_to: Option<&Recipient>,
    keep: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let path = target_path(out)?;
    let (file, manifest) = snapshot(db, ring, &path, encrypt_to, progress)?;
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
    pub fn last(&self) -> store::meta::LastBackup {
        store::meta::LastBackup {
            at: now_millis(),
            duration_ms: self.duration_ms,
            size: self.file.size,
            path: self.file.path.clone(),
            sha256: self.file.sha256.clone(),
        }
    }
}
