//! Moving a store between redb and PostgreSQL (`launchpad store copy`).
//!
//! Every table a backup carries is read from one snapshot of the source and
//! written to the destination in one transaction, so the destination holds
//! the old data or the whole copy, never a part. The copy is then read back
//! and compared with the source, table by table: row counts, and a SHA-256
//! of every record's key and value bytes. Sessions are not copied, as a
//! backup does not carry them: everyone signs in again.
//!
//! The data key travels with the store (its wrapped form is in the `meta`
//! table), so the same identity opens the copy.

use super::BackupError;
use super::format::Frame;
use super::tables::{self, BACKED_UP, Loader};
use crate::store::StoreError;
use crate::store::engine::{Db, ReadTx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a copy moved, as read back from the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    /// Rows per table.
    pub counts: BTreeMap<String, u64>,
    /// Hex SHA-256 over every table's rows, in table and key order.
    pub checksum: String,
}

/// Row counts and the checksum of what `tx` sees.
fn digest(tx: &ReadTx) -> Result<CopyReport, StoreError> {
    let mut counts = BTreeMap::new();
    let mut sum = Sha256::new();
    for (id, name, shape) in BACKED_UP {
        let mut rows = 0u64;
        tables::dump(tx, *shape, &mut |key, value| {
            hash_row(&mut sum, *id, key, value);
            rows += 1;
            Ok(())
        })?;
        counts.insert((*name).to_owned(), rows);
    }
    Ok(CopyReport {
        counts,
        checksum: hex(&sum.finalize()),
    })
}

fn hash_row(sum: &mut Sha256, table: u8, key: &[u8], value: &[u8]) {
    sum.update([table]);
    sum.update((key.len() as u64).to_be_bytes());
    sum.update(key);
    sum.update((value.len() as u64).to_be_bytes());
    sum.update(value);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies `from` into `to`. A destination that already holds a store is
/// refused unless `force`, and then replaced in one transaction.
pub fn copy(from: &Db, to: &Db, force: bool) -> Result<CopyReport, BackupError> {
    let existing = digest(&to.begin_read()?)?;
    if existing.counts.values().any(|&n| n > 0) && !force {
        return Err(BackupError::DestinationHolds {
            projects: existing.counts.get("projects").copied().unwrap_or(0),
        });
    }
    let source = from.begin_read()?;
    let mut loader = Loader::replacing(to);
    let mut sum = Sha256::new();
    let mut counts = BTreeMap::new();
    for (id, name, shape) in BACKED_UP {
        let mut rows = 0u64;
        tables::dump(&source, *shape, &mut |key, value| {
            hash_row(&mut sum, *id, key, value);
            rows += 1;
            loader.push(&Frame {
                table: *id,
                key,
                value,
            })
        })?;
        counts.insert((*name).to_owned(), rows);
    }
    loader.finish()?;
    let copied = CopyReport {
        counts,
        checksum: hex(&sum.finalize()),
    };
    let landed = digest(&to.begin_read()?)?;
    if landed != copied {
        return Err(BackupError::CopyDiffers(format!(
            "copied {copied:?}, found {landed:?}"
        )));
    }
    Ok(landed)
}
