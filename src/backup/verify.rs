//! Verifying a backup: the file's checksum and format, its authenticity
//! under the data key it names, and every record read back and checked as
//! the frames stream past, so a restore never starts from a file it would
//! have to abandon halfway.

use super::format::{self, Backup, Frame, Manifest};
use super::{BackupError, tables};
use crate::crypto::{Identity, Keyring};
use crate::store::assessments::AssessmentRecord;
use crate::store::journal::Event;
use crate::store::planning::PlanRecord;
use crate::store::records::{ChecklistRecord, ProjectRecord, TaskRecord, decode};
use crate::store::tables::meta_key;
use crate::store::templates::TemplateRecord;
use crate::store::{StoreError, accounts, keys, migrations, sealed};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

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
            "assessments" => {
                decode::<AssessmentRecord>("assessment", frame.value)?;
                if self.projects.binary_search(&id(frame.key)).is_err() {
                    return Err(invalid("an assessment whose project is missing".into()));
                }
            }
            "templates" => drop(decode::<TemplateRecord>("template", frame.value)?),
            planning
                if crate::store::tables::PLANNING
                    .iter()
                    .any(|t| redb::TableHandle::name(t) == planning) =>
            {
                decode::<PlanRecord>("planning", frame.value)?;
                if self.projects.binary_search(&id(frame.key)).is_err() {
                    return Err(invalid(format!(
                        "a {planning} row whose project is missing"
                    )));
                }
            }
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
