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

use crate::crypto::{Identity, Keyring, Recipient};
use crate::domain::{now_millis, rfc3339};
use crate::store::journal::Event;
use crate::store::records::{ChecklistRecord, ProjectRecord, TaskRecord, decode};
use crate::store::tables::{META, meta_key};
use crate::store::{self, StoreError, accounts, keys, migrations, sealed};
use format::{Backup, FormatError, Frame, Manifest, Written};
use redb::ReadableDatabase;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
        "the backup is format 1, written before backups carried an authentication tag, so nothing proves it was not changed; verify it, then rerun with --accept-unsigned to restore it anyway"
    )]
    Unsigned,
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

/// Writes a consistent snapshot of `db` from one read transaction,
/// authenticated under the data key it names, which `ring` must hold.
pub fn snapshot(
    db: &impl ReadableDatabase,
    ring: &Keyring,
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

/// What verification could say about who wrote a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum Authenticity {
    /// The tag matches under the data key the identity unwrapped: the file
    /// is exactly as a holder of that key wrote it.
    Authentic { data_key: String },
    /// No identity was at hand: the checksum and the structure were
    /// checked, which catches damage but not a deliberate edit.
    IntegrityOnly,
    /// Format 1, written before backups carried a tag.
    Unsigned,
}

/// What verification found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub manifest: Manifest,
    pub encrypted: bool,
    pub size: u64,
    pub sha256: String,
    pub authenticity: Authenticity,
    /// Sealed fields opened with the identity, when one could unwrap the key.
    pub sealed_fields_opened: Option<usize>,
}

/// Checks a backup without restoring it: checksum, format, manifest,
/// authenticity (with `identity`), and every record read back, streamed;
/// with `identity`, every sealed field opened. The opened file comes back
/// for a restore's second pass.
pub fn verify<'a>(
    path: &Path,
    decrypt_with: Option<&'a Identity>,
    identity: Option<&Identity>,
) -> Result<(Verified, Backup<'a>), BackupError> {
    let format_error = |source| BackupError::Format {
        path: path.to_owned(),
        source,
    };
    let backup = format::open(path, decrypt_with).map_err(format_error)?;
    let schema = backup.manifest.schema_version;
    if schema > migrations::latest_version() {
        return Err(StoreError::TooNew {
            found: schema,
            supported: migrations::latest_version(),
        }
        .into());
    }
    let (authenticity, manifest_ring) = match identity {
        None if backup.format < 2 => (Authenticity::Unsigned, None),
        None => (Authenticity::IntegrityOnly, None),
        Some(_) if backup.format < 2 => (Authenticity::Unsigned, None),
        Some(identity) => {
            let ring = manifest_key(&backup.manifest, identity)?;
            backup.authenticate(ring.current()).map_err(format_error)?;
            let data_key = ring.current().fingerprint();
            (Authenticity::Authentic { data_key }, Some(ring))
        }
    };
    let parents = ["projects", "checklists"]
        .iter()
        .map(|t| backup.manifest.counts.get(*t).copied().unwrap_or(0))
        .fold(0u64, u64::saturating_add);
    if parents > MAX_PARENTS {
        return Err(BackupError::Invalid(format!(
            "the manifest claims {parents} projects and checklists; this version verifies at most {MAX_PARENTS}"
        )));
    }
    let mut check = RecordCheck::new(identity, manifest_ring, &backup.manifest);
    backup
        .frames(|frame| check.frame(&frame))
        .map_err(|e| match e {
            BackupError::Format { source, .. } => format_error(source),
            other => other,
        })?;
    let sealed_fields_opened = check.finish()?;
    let verified = Verified {
        manifest: backup.manifest.clone(),
        encrypted: backup.encrypted,
        size: backup.size,
        sha256: backup.sha256.clone(),
        authenticity,
        sealed_fields_opened,
    };
    Ok((verified, backup))
}

impl From<FormatError> for BackupError {
    fn from(source: FormatError) -> Self {
        Self::Format {
            path: PathBuf::new(),
            source,
        }
    }
}

/// Unwraps the data key a format-2 manifest carries, checking it is the
/// one the manifest names.
fn manifest_key(manifest: &Manifest, identity: &Identity) -> Result<Keyring, BackupError> {
    let wrapped = manifest
        .wrapped_key()
        .ok_or_else(|| BackupError::Invalid("the manifest carries no data key".into()))?;
    let key = identity
        .unwrap_key(&wrapped)
        .map_err(|_| BackupError::WrongKey {
            fingerprint: manifest.data_key_fingerprint.clone(),
            recipients: Vec::new(),
            identity: identity.path.clone(),
            recipient: identity.recipient().to_string(),
        })?;
    if key.fingerprint() != manifest.data_key_fingerprint {
        return Err(BackupError::Invalid(format!(
            "the manifest names data key {} but carries {}",
            manifest.data_key_fingerprint,
            key.fingerprint()
        )));
    }
    Ok(Keyring::new(key))
}

/// The checks of every record as the frames stream past: each decodes,
/// parents come before their children, meta agrees with the manifest, and
/// with an identity every sealed field of [`sealed::SEALED`] opens.
struct RecordCheck<'i> {
    identity: Option<&'i Identity>,
    /// The key to open sealed fields with, once known.
    ring: Option<Keyring>,
    fingerprint: String,
    wrapped_in_manifest: Option<Vec<u8>>,
    meta: BTreeMap<String, Vec<u8>>,
    meta_done: bool,
    /// Project ids, in key order as they stream past, for the checklists'
    /// parent check: 16 bytes a project, nothing more.
    projects: Vec<[u8; 16]>,
    /// Checklist ids, sorted once the tasks begin.
    checklists: Vec<[u8; 16]>,
    checklists_sorted: bool,
    opened: usize,
}

/// More meta rows than any store has: a crafted file.
const MAX_META_ROWS: usize = 1024;
/// Projects and checklists whose ids verify keeps for the parent checks
/// (16 bytes each, 64 MiB at most); far beyond what one instance holds.
const MAX_PARENTS: u64 = 4 * 1024 * 1024;

impl<'i> RecordCheck<'i> {
    fn new(identity: Option<&'i Identity>, ring: Option<Keyring>, manifest: &Manifest) -> Self {
        Self {
            identity,
            ring,
            fingerprint: manifest.data_key_fingerprint.clone(),
            wrapped_in_manifest: manifest.wrapped_key(),
            meta: BTreeMap::new(),
            meta_done: false,
            projects: Vec::new(),
            checklists: Vec::new(),
            checklists_sorted: false,
            opened: 0,
        }
    }

    fn frame(&mut self, frame: &Frame<'_>) -> Result<(), BackupError> {
        let invalid = BackupError::Invalid;
        let name = tables::name(frame.table).expect("checked while reading");
        tables::check_frame(frame.table, frame.key, frame.value).map_err(invalid)?;
        if name == "meta" {
            if self.meta_done || self.meta.len() >= MAX_META_ROWS {
                return Err(invalid("more meta rows than a store has".into()));
            }
            self.meta.insert(
                String::from_utf8_lossy(frame.key).into_owned(),
                frame.value.to_vec(),
            );
            return Ok(());
        }
        if !self.meta_done {
            self.meta_done = true;
            self.check_meta()?;
        }
        let id = |bytes: &[u8]| -> [u8; 16] { bytes[..16].try_into().expect("checked length") };
        match name {
            "projects" => {
                decode::<ProjectRecord>("project", frame.value)?;
                self.projects.push(id(frame.key));
            }
            "checklists" => {
                decode::<ChecklistRecord>("checklist", frame.value)?;
                if self.projects.binary_search(&id(frame.key)).is_err() {
                    return Err(invalid("a checklist whose project is missing".into()));
                }
                self.checklists.push(id(&frame.key[16..]));
            }
            "tasks" => {
                decode::<TaskRecord>("task", frame.value)?;
                if !self.checklists_sorted {
                    self.checklists.sort_unstable();
                    self.checklists_sorted = true;
                }
                if self.checklists.binary_search(&id(frame.key)).is_err() {
                    return Err(invalid("a task whose checklist is missing".into()));
                }
            }
            "journal" => drop(decode::<Event>("journal", frame.value)?),
            "users" => drop(decode::<accounts::UserRecord>("user", frame.value)?),
            "tokens" => drop(decode::<accounts::TokenRecord>("token", frame.value)?),
            "audit" => drop(decode::<accounts::AuditEntry>("audit", frame.value)?),
            _ => {}
        }
        if let Some(ring) = &self.ring {
            for field in sealed::in_table(name) {
                if field.open_in_row(ring, frame.key, frame.value)? {
                    self.opened += 1;
                }
            }
        }
        Ok(())
    }

    /// Meta agrees with the manifest; with an identity and no key from the
    /// manifest (format 1), the key is unwrapped from meta.
    fn check_meta(&mut self) -> Result<(), BackupError> {
        let invalid = BackupError::Invalid;
        let stored = self
            .meta
            .get(meta_key::DATA_KEY_FINGERPRINT)
            .map(|v| String::from_utf8_lossy(v).into_owned());
        if stored.as_deref() != Some(self.fingerprint.as_str()) {
            return Err(invalid(
                "the manifest's data key does not match the one inside".into(),
            ));
        }
        let wrapped = self
            .meta
            .get(meta_key::DATA_KEY_WRAPPED)
            .ok_or_else(|| invalid("the backup holds no data key".into()))?;
        if let Some(in_manifest) = &self.wrapped_in_manifest
            && in_manifest != wrapped
        {
            return Err(invalid(
                "the manifest's wrapped data key differs from the one inside".into(),
            ));
        }
        if let (None, Some(identity)) = (&self.ring, self.identity) {
            self.ring = Some(meta_key_ring(&self.meta, identity)?);
        }
        Ok(())
    }

    /// The count of sealed fields opened, when there was a key to open them.
    fn finish(mut self) -> Result<Option<usize>, BackupError> {
        if !self.meta_done {
            self.check_meta()?;
        }
        Ok(self.ring.is_some().then_some(self.opened))
    }
}

/// Unwraps the data key stored in a backup's meta rows with `identity`.
fn meta_key_ring(
    meta: &BTreeMap<String, Vec<u8>>,
    identity: &Identity,
) -> Result<Keyring, BackupError> {
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
    keys::unlock(&info, wrapped, identity).map_err(|_| BackupError::WrongKey {
        fingerprint: info.fingerprint.clone(),
        recipients: info.recipients.clone(),
        identity: identity.path.clone(),
        recipient: identity.recipient().to_string(),
    })
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
    if verified.authenticity == Authenticity::Unsigned && !accept_unsigned {
        return Err(BackupError::Unsigned);
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
    if let Err(e) = build_store(&building, &opened, identity) {
        let _ = std::fs::remove_file(&building);
        return Err(e);
    }
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

/// Streams every frame into a new private store at `path`, then migrates
/// it forward if the backup is older.
fn build_store(path: &Path, opened: &Backup<'_>, identity: &Identity) -> Result<(), BackupError> {
    let db = store::create_private_store(path, 16 * 1024 * 1024)?;
    let mut loader = tables::Loader::new(&db);
    opened.frames(|frame| loader.push(&frame).map_err(BackupError::from))?;
    loader.finish()?;
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
            crate::store::meta::audit_stamp(),
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
