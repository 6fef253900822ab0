//! The append-only event journal: one event per change, written in the same
//! transaction as the change, so the journal and the tables never disagree.
//!
//! An event carries the stored record after a put (personal fields stay
//! sealed, with the fingerprint of the key that sealed them) or the ids of
//! what a delete removed. Exported as JSON Lines, the journal replays onto a
//! restored snapshot: puts and deletes are idempotent, so replaying the same
//! events twice, or events the snapshot already holds, changes nothing.

mod replay;

pub use replay::{Replayed, apply, check, delete_project_rows, plan, replay};

use super::error::StoreError;
use super::records::{decode, encode};
use super::tables::JOURNAL;
use super::writer::WriteCtx;
use crate::crypto::Keyring;
use crate::domain::{Millis, rfc3339};
use crate::store::engine::Table;
use crate::store::engine::WriteTx;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "project.put")]
    ProjectPut,
    #[serde(rename = "project.delete")]
    ProjectDelete,
    #[serde(rename = "checklist.put")]
    ChecklistPut,
    #[serde(rename = "checklist.delete")]
    ChecklistDelete,
    #[serde(rename = "task.put")]
    TaskPut,
    #[serde(rename = "task.delete")]
    TaskDelete,
    /// A row of one of the [`ROW_TABLES`] written whole.
    #[serde(rename = "row.put")]
    RowPut,
    #[serde(rename = "row.delete")]
    RowDelete,
}

/// One change, as stored and as exported (one JSON line each).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    pub id: Uuid,
    #[serde(with = "rfc3339::text")]
    pub at: Millis,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The project the change belongs to; the nil UUID for a row outside
    /// any project (a custom template).
    pub project_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    /// For `row.*` events: the row table and the row's id in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<Uuid>,
    /// The data key that sealed the record's personal fields, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    /// The stored record after a put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<serde_json::value::RawValue>>,
}

/// Where in the tree a change happened.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub project: u128,
    pub checklist: Option<u128>,
    pub task: Option<u128>,
}

/// An event's id and time, taken from the writer before the change opens
/// its tables.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub id: u128,
    pub at: Millis,
}

impl WriteCtx<'_> {
    pub fn stamp(&mut self) -> Stamp {
        Stamp {
            id: self.mint_id(),
            at: self.now,
        }
    }
}

/// Appends the event for a change made in `tx`.
pub fn append(
    tx: &WriteTx,
    ring: &Keyring,
    stamp: Stamp,
    kind: EventKind,
    target: Target,
    record: Option<&[u8]>,
    sealed: bool,
) -> Result<(), StoreError> {
    let id = stamp.id;
    let event = Event {
        id: Uuid::from_u128(id),
        at: stamp.at,
        kind,
        project_id: Uuid::from_u128(target.project),
        checklist_id: target.checklist.map(Uuid::from_u128),
        task_id: target.task.map(Uuid::from_u128),
        table: None,
        row_id: None,
        key_fingerprint: sealed.then(|| ring.current().fingerprint()),
        // The row exactly as stored: encoded once, for the table and here.
        record: record.map(|bytes| {
            let text = String::from_utf8(bytes.to_vec()).expect("rows are JSON text");
            serde_json::value::RawValue::from_string(text).expect("rows are valid JSON")
        }),
    };
    tx.open_table(JOURNAL)?
        .insert(id, encode(&event).as_slice())?;
    Ok(())
}

/// A row of a row table as it changed: where it lives and what it now holds.
pub struct RowChange<'a> {
    pub table: &'static str,
    /// The owning project, for a project's rows.
    pub project: Option<u128>,
    pub row: u128,
    /// The stored row after a put; `None` for a delete.
    pub record: Option<&'a [u8]>,
    /// Whether the record holds sealed fields.
    pub sealed: bool,
}

/// Appends the event for a row put or delete made in `tx`.
pub fn append_row(
    tx: &WriteTx,
    ring: &Keyring,
    stamp: Stamp,
    change: RowChange<'_>,
) -> Result<(), StoreError> {
    let event = Event {
        id: Uuid::from_u128(stamp.id),
        at: stamp.at,
        kind: if change.record.is_some() {
            EventKind::RowPut
        } else {
            EventKind::RowDelete
        },
        project_id: Uuid::from_u128(change.project.unwrap_or(0)),
        checklist_id: None,
        task_id: None,
        table: Some(change.table.to_owned()),
        row_id: Some(Uuid::from_u128(change.row)),
        key_fingerprint: change.sealed.then(|| ring.current().fingerprint()),
        record: change.record.map(|bytes| {
            let text = String::from_utf8(bytes.to_vec()).expect("rows are JSON text");
            serde_json::value::RawValue::from_string(text).expect("rows are valid JSON")
        }),
    };
    tx.open_table(JOURNAL)?
        .insert(stamp.id, encode(&event).as_slice())?;
    Ok(())
}

/// Every event at or after `since`, oldest first.
pub fn events_since(
    table: &Table<'_, u128, &'static [u8]>,
    since: Option<Millis>,
) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, value) = row?;
        let event: Event = decode("journal", value.value())?;
        if since.is_none_or(|s| event.at >= s) {
            out.push(event);
        }
    }
    Ok(out)
}
