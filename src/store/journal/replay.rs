//! Replaying the journal onto a restored snapshot: each event is checked
//! before anything is applied, and the planned events go in one
//! transaction, so a replay applies everything or nothing.

use super::{Event, EventKind};
use crate::domain::{Millis, rfc3339};
use crate::store::engine::Db;
use crate::store::engine::WriteTx;
use crate::store::error::StoreError;
use crate::store::read::children_of;
use crate::store::records::{ChecklistRecord, ProjectRecord, TaskRecord, decode, encode};
use crate::store::tables::{CHECKLISTS, JOURNAL, PROJECTS, ROW_TABLES, RowHome, TASKS, row_table};

/// Checks an event before anything is applied: known shape, a record that
/// decodes for its table, sealed under the store's key.
pub fn check(event: &Event, store_key: &str) -> Result<(), String> {
    let needs = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!(
                "event {} ({:?}) lacks {what}",
                event.id, event.kind
            ))
        }
    };
    match event.kind {
        EventKind::ProjectPut => needs(event.record.is_some(), "its record")?,
        EventKind::ChecklistPut | EventKind::TaskPut if event.record.is_none() => {
            needs(false, "its record")?
        }
        EventKind::ChecklistPut | EventKind::ChecklistDelete => {
            needs(event.checklist_id.is_some(), "checklistId")?
        }
        EventKind::TaskPut | EventKind::TaskDelete => needs(
            event.checklist_id.is_some() && event.task_id.is_some(),
            "checklistId and taskId",
        )?,
        EventKind::ProjectDelete => {}
        EventKind::RowPut | EventKind::RowDelete => {
            let table = event.table.as_deref().and_then(row_table);
            needs(table.is_some(), "a known row table")?;
            needs(event.row_id.is_some(), "rowId")?;
            if event.kind == EventKind::RowPut {
                needs(event.record.is_some(), "its record")?;
            }
        }
    }
    if let Some(record) = &event.record {
        let bytes = record.get().as_bytes();
        let decoded = match event.kind {
            EventKind::ProjectPut => decode::<ProjectRecord>("project", bytes).map(|_| ()),
            EventKind::ChecklistPut => decode::<ChecklistRecord>("checklist", bytes).map(|_| ()),
            EventKind::TaskPut => decode::<TaskRecord>("task", bytes).map(|_| ()),
            EventKind::RowPut => decode::<serde_json::Value>("row", bytes).map(|_| ()),
            _ => Ok(()),
        };
        decoded.map_err(|e| format!("event {}: {e}", event.id))?;
    }
    if let Some(fingerprint) = &event.key_fingerprint
        && fingerprint != store_key
    {
        return Err(format!(
            "event {} was sealed under data key {fingerprint} but this store uses {store_key}; \
             a key rotation happened after the snapshot: restore a backup taken after the rotation",
            event.id
        ));
    }
    Ok(())
}

/// Applies one checked event. Idempotent.
pub fn apply(tx: &WriteTx, event: &Event) -> Result<(), StoreError> {
    let project = event.project_id.as_u128();
    let checklist = event.checklist_id.map(|u| u.as_u128()).unwrap_or_default();
    let task = event.task_id.map(|u| u.as_u128()).unwrap_or_default();
    let record = || {
        event
            .record
            .as_ref()
            .expect("checked")
            .get()
            .as_bytes()
            .to_vec()
    };
    match event.kind {
        EventKind::ProjectPut => {
            tx.open_table(PROJECTS)?
                .insert(project, record().as_slice())?;
        }
        EventKind::ChecklistPut => {
            tx.open_table(CHECKLISTS)?
                .insert((project, checklist), record().as_slice())?;
        }
        EventKind::TaskPut => {
            tx.open_table(TASKS)?
                .insert((checklist, task), record().as_slice())?;
        }
        EventKind::TaskDelete => {
            tx.open_table(TASKS)?.remove((checklist, task))?;
        }
        EventKind::ChecklistDelete => {
            tx.open_table(TASKS)?
                .retain_in(children_of(checklist), |_, _| false)?;
            tx.open_table(CHECKLISTS)?.remove((project, checklist))?;
        }
        EventKind::ProjectDelete => {
            let mut checklists = tx.open_table(CHECKLISTS)?;
            let mut owned = Vec::new();
            for row in checklists.range(children_of(project))? {
                owned.push(row?.0.value().1);
            }
            let mut tasks = tx.open_table(TASKS)?;
            for id in owned {
                tasks.retain_in(children_of(id), |_, _| false)?;
            }
            checklists.retain_in(children_of(project), |_, _| false)?;
            delete_project_rows(tx, project)?;
            tx.open_table(PROJECTS)?.remove(project)?;
        }
        EventKind::RowPut | EventKind::RowDelete => {
            let home = event
                .table
                .as_deref()
                .and_then(row_table)
                .expect("checked")
                .home;
            let row = event.row_id.expect("checked").as_u128();
            let put = (event.kind == EventKind::RowPut).then(record);
            match (home, put) {
                (RowHome::Project(def), Some(bytes)) => {
                    tx.open_table(def)?
                        .insert((project, row), bytes.as_slice())?;
                }
                (RowHome::Project(def), None) => {
                    tx.open_table(def)?.remove((project, row))?;
                }
                (RowHome::Own(def), Some(bytes)) => {
                    tx.open_table(def)?.insert(row, bytes.as_slice())?;
                }
                (RowHome::Own(def), None) => {
                    tx.open_table(def)?.remove(row)?;
                }
            }
        }
    }
    tx.open_table(JOURNAL)?
        .insert(event.id.as_u128(), encode(event).as_slice())?;
    Ok(())
}

/// Deletes every row a project owns in the row tables (with the project).
pub fn delete_project_rows(tx: &WriteTx, project: u128) -> Result<(), StoreError> {
    for table in ROW_TABLES {
        if let RowHome::Project(def) = table.home {
            tx.open_table(def)?
                .retain_in(children_of(project), |_, _| false)?;
        }
    }
    Ok(())
}

/// What a replay did.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Replayed {
    pub applied: usize,
    /// Events the store already holds (from the snapshot or an earlier replay).
    pub already_present: usize,
    pub skipped_after_until: usize,
}

/// The events a replay would apply: at or before `until`, not yet in the
/// store. Fails if `until` lies before the snapshot the store was restored
/// from, or if any such event cannot be applied to this store.
pub fn plan<'e>(
    db: &Db,
    events: &'e [Event],
    until: Option<Millis>,
) -> Result<(Vec<&'e Event>, Replayed), StoreError> {
    let version = crate::store::migrations::current_version_of(db)?;
    if version != crate::store::migrations::latest_version() {
        return Err(StoreError::Io(format!(
            "the store is at schema version {version}, not {}; run `launchpad migrate` first",
            crate::store::migrations::latest_version()
        )));
    }
    let (info, _) = crate::store::keys::read(db)?
        .ok_or_else(|| StoreError::Corrupt("the store has no data key".into()))?;
    let tx = db.begin_read()?;
    let meta = tx.open_table(crate::store::tables::META)?;
    let snapshot_at: Option<Millis> = meta
        .get(crate::store::tables::meta_key::SNAPSHOT_AT)?
        .and_then(|v| {
            std::str::from_utf8(v.value())
                .ok()
                .and_then(|t| t.parse().ok())
        });
    if let (Some(until), Some(snapshot)) = (until, snapshot_at)
        && until < snapshot
    {
        return Err(StoreError::Io(format!(
            "--until {} is before the snapshot this store was restored from ({}); restore an older backup to go back that far",
            rfc3339::format(until),
            rfc3339::format(snapshot)
        )));
    }
    let journal = tx.open_table(JOURNAL)?;
    let mut report = Replayed {
        applied: 0,
        already_present: 0,
        skipped_after_until: 0,
    };
    let mut todo = Vec::new();
    for event in events {
        if until.is_some_and(|u| event.at > u) {
            report.skipped_after_until += 1;
        } else if journal.get(event.id.as_u128())?.is_some() {
            report.already_present += 1;
        } else {
            check(event, &info.fingerprint).map_err(StoreError::Io)?;
            todo.push(event);
        }
    }
    report.applied = todo.len();
    Ok((todo, report))
}

/// Applies the planned events in one transaction. Nothing is applied if
/// any event is refused.
pub fn replay(db: &Db, events: &[Event], until: Option<Millis>) -> Result<Replayed, StoreError> {
    let (todo, report) = plan(db, events, until)?;
    let tx = db.begin_write()?;
    let mut high_water = 0u128;
    for event in todo {
        apply(&tx, event)?;
        let ids = [
            Some(event.id),
            Some(event.project_id),
            event.checklist_id,
            event.task_id,
            event.row_id,
        ];
        high_water = ids
            .into_iter()
            .flatten()
            .map(|u| u.as_u128())
            .fold(high_water, u128::max);
    }
    {
        let mut meta = tx.open_table(crate::store::tables::META)?;
        let current = meta
            .get(crate::store::tables::meta_key::ID_HIGH_WATER)?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .map_or(0, u128::from_be_bytes);
        if high_water > current {
            meta.insert(
                crate::store::tables::meta_key::ID_HIGH_WATER,
                high_water.to_be_bytes().as_slice(),
            )?;
        }
    }
    tx.commit()?;
    Ok(report)
}
