//! What the store records about itself beyond its data: the last backup,
//! and the stamps of audit entries written outside the writer.
//!
//! Kept here, not in the backup code, so the store needs nothing above it
//! to report on its own backups (readiness, metrics, `diagnose`).

use super::accounts;
use super::error::StoreError;
use super::journal::Stamp;
use super::tables::{META, meta_key};
use crate::domain::{Millis, now_millis};
use crate::store::engine::{Db, WriteTx};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

/// Records a successful backup, and audits it, in `tx`.
pub fn write_last_backup(tx: &WriteTx, last: &LastBackup) -> Result<(), StoreError> {
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

pub fn read_last_backup(db: &Db) -> Result<Option<LastBackup>, StoreError> {
    let tx = db.begin_read()?;
    let meta = tx.open_table(META)?;
    let row = meta.get(meta_key::LAST_BACKUP)?;
    Ok(row.and_then(|v| serde_json::from_slice(v.value()).ok()))
}

/// An audit entry's id and time for work done outside the writer.
pub fn audit_stamp() -> Stamp {
    Stamp {
        id: uuid::Uuid::now_v7().as_u128(),
        at: now_millis(),
    }
}
