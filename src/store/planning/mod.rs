//! Planning records in the store: every kind of [`PlanKind`] row kept the
//! same way, under its project, keyed `(project, row)`.
//!
//! A stored row splits its value in two: the operational fields stay plain,
//! the kind's personal fields are sealed together as one JSON object under
//! the data key, bound to the table and the row. A change is a JSON merge
//! patch (RFC 7396: `null` clears a field) on the whole value, checked by the
//! kind's rules before it is written, journalled as a `row.put` and audited.

mod patch;
mod surface;

use patch::{merge, parse};

pub use surface::{Annotations, Checked, Planning, annotate};

use super::accounts::{AuditContext, audit};
use super::error::{Missing, StoreError};
use super::journal::{self, RowChange};
use super::read::children_of;
use super::records::{FieldSlot, Sealed, decode, encode};
use super::tables::{PROJECTS, RowHome, row_table};
use super::writer::WriteCtx;
use crate::crypto::Keyring;
use crate::domain::planning::PlanKind;
use crate::domain::{FieldProblem, Millis, ProjectId};
use crate::store::engine::{ReadTx, WriteTx};
use redb::TableDefinition;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A planning row as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanRecord {
    /// The operational fields.
    pub plain: Map<String, Value>,
    /// The personal fields, one sealed JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<Sealed>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A planning row as read: its id, its value and its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<K> {
    pub id: uuid::Uuid,
    pub value: K,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Why a planning change was refused.
#[derive(Debug)]
pub enum PlanError {
    /// Fields the change got wrong, every one named.
    Invalid(Vec<FieldProblem>),
    Store(StoreError),
}

impl From<StoreError> for PlanError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

macro_rules! plan_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for PlanError {
            fn from(e: $t) -> Self {
                Self::Store(e.into())
            }
        }
    )*};
}
plan_error_from!(redb::Error, redb::TableError, redb::StorageError);

fn slot<K: PlanKind>() -> FieldSlot {
    FieldSlot {
        table: K::TABLE,
        field: "sealed",
    }
}

/// The typed table of kind `K`.
fn table<K: PlanKind>() -> TableDefinition<'static, (u128, u128), &'static [u8]> {
    match row_table(K::TABLE).map(|t| t.home) {
        Some(RowHome::Project(def)) => def,
        _ => unreachable!("every planning kind names a project row table"),
    }
}

/// Checks that a sealed planning value opens to a JSON object.
pub fn check_sealed(text: &str) -> Result<(), crate::domain::TextError> {
    serde_json::from_str::<Map<String, Value>>(text)
        .map(drop)
        .map_err(|_| crate::domain::TextError::Invalid("not a JSON object"))
}

fn open_sealed(
    sealed: &Sealed,
    table: &'static str,
    row: u128,
    ring: &Keyring,
) -> Result<Map<String, Value>, StoreError> {
    let slot = FieldSlot {
        table,
        field: "sealed",
    };
    let text: String = slot.open(ring, row, sealed, |t| Ok(t.to_owned()))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{table}.sealed: {e}")))
}

impl PlanRecord {
    /// The whole value, personal fields opened, as JSON.
    fn merged(
        &self,
        table: &'static str,
        row: u128,
        ring: &Keyring,
    ) -> Result<Map<String, Value>, StoreError> {
        let mut value = self.plain.clone();
        if let Some(sealed) = &self.sealed {
            value.extend(open_sealed(sealed, table, row, ring)?);
        }
        Ok(value)
    }

    fn into_row<K: PlanKind>(self, row: u128, ring: &Keyring) -> Result<Row<K>, StoreError> {
        let value = self.merged(K::TABLE, row, ring)?;
        let value = serde_json::from_value(Value::Object(value))
            .map_err(|e| StoreError::Corrupt(format!("a {} row: {e}", K::TABLE)))?;
        Ok(Row {
            id: uuid::Uuid::from_u128(row),
            value,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Splits `value` into its plain and sealed parts.
fn split<K: PlanKind>(
    ctx: &WriteCtx<'_>,
    value: &K,
    row: u128,
) -> (Map<String, Value>, Option<Sealed>) {
    let Value::Object(mut plain) = serde_json::to_value(value).expect("planning values serialize")
    else {
        unreachable!("planning values are structs");
    };
    let mut personal = Map::new();
    for field in K::PERSONAL {
        if let Some(v) = plain.remove(*field) {
            personal.insert((*field).to_owned(), v);
        }
    }
    let sealed = (!personal.is_empty()).then(|| {
        let json = serde_json::to_string(&personal).expect("JSON serializes");
        slot::<K>().seal(ctx.ring, row, &json)
    });
    (plain, sealed)
}

fn require_project(tx: &WriteTx, project: ProjectId) -> Result<(), StoreError> {
    match tx.open_table(PROJECTS)?.get(project.as_u128())? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(Missing::Project(project))),
    }
}

/// Writes row `row` of `project` as `value`, journals and audits it.
fn put<K: PlanKind>(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    row: u128,
    value: &K,
    created_at: Millis,
    action: &str,
    who: &AuditContext,
) -> Result<Row<K>, StoreError> {
    let stamp = ctx.stamp();
    let (plain, sealed) = split(ctx, value, row);
    let record = PlanRecord {
        plain,
        sealed,
        created_at,
        updated_at: ctx.now,
    };
    let bytes = encode(&record);
    ctx.tx
        .open_table(table::<K>())?
        .insert((project.as_u128(), row), bytes.as_slice())?;
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: K::TABLE,
            project: Some(project.as_u128()),
            row,
            record: Some(&bytes),
            sealed: record.sealed.is_some(),
        },
    )?;
    let audit_stamp = ctx.stamp();
    let target = Some(format!(
        "project:{project}/{}:{}",
        K::TABLE,
        uuid::Uuid::from_u128(row)
    ));
    audit(ctx.tx, audit_stamp, who, action, target)?;
    Ok(Row {
        id: uuid::Uuid::from_u128(row),
        value: value.clone(),
        created_at,
        updated_at: ctx.now,
    })
}

/// Adds a row to `project`.
pub fn create<K: PlanKind>(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    value: K,
    who: &AuditContext,
) -> Result<Row<K>, PlanError> {
    value.validate().map_err(PlanError::Invalid)?;
    require_project(ctx.tx, project)?;
    let row = ctx.mint_id();
    let now = ctx.now;
    Ok(put(
        ctx,
        project,
        row,
        &value,
        now,
        &format!("{}.create", K::TABLE),
        who,
    )?)
}

/// Applies a JSON merge patch to row `row` of `project`; `None` when there
/// is no such row.
pub fn update<K: PlanKind>(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    row: uuid::Uuid,
    patch: Map<String, Value>,
    who: &AuditContext,
) -> Result<Option<Row<K>>, PlanError> {
    require_project(ctx.tx, project)?;
    let key = (project.as_u128(), row.as_u128());
    let current: Option<PlanRecord> = ctx
        .tx
        .open_table(table::<K>())?
        .get(key)?
        .map(|v| decode(K::TABLE, v.value()))
        .transpose()?;
    let Some(current) = current else {
        return Ok(None);
    };
    let mut value = current.merged(K::TABLE, row.as_u128(), ctx.ring)?;
    merge(&mut value, patch);
    let value: K = parse(value)?;
    value.validate().map_err(PlanError::Invalid)?;
    let action = format!("{}.update", K::TABLE);
    Ok(Some(put(
        ctx,
        project,
        row.as_u128(),
        &value,
        current.created_at,
        &action,
        who,
    )?))
}

/// Sets the one-per-project record of kind `K` (its row id is the project's).
pub fn set_single<K: PlanKind>(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    mut value: K,
    who: &AuditContext,
) -> Result<Row<K>, PlanError> {
    value.validate().map_err(PlanError::Invalid)?;
    require_project(ctx.tx, project)?;
    let row = project.as_u128();
    let stored: Option<PlanRecord> = ctx
        .tx
        .open_table(table::<K>())?
        .get((row, row))?
        .map(|v| decode(K::TABLE, v.value()))
        .transpose()?;
    let created_at = match stored {
        Some(stored) => {
            let created_at = stored.created_at;
            value.keep_omitted(stored.into_row::<K>(row, ctx.ring)?.value);
            created_at
        }
        None => ctx.now,
    };
    let action = format!("{}.set", K::TABLE);
    Ok(put(ctx, project, row, &value, created_at, &action, who)?)
}

/// Deletes row `row` of `project`; `false` when there is none.
pub fn delete<K: PlanKind>(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    row: uuid::Uuid,
    who: &AuditContext,
) -> Result<bool, StoreError> {
    require_project(ctx.tx, project)?;
    let stamp = ctx.stamp();
    let removed = ctx
        .tx
        .open_table(table::<K>())?
        .remove((project.as_u128(), row.as_u128()))?
        .is_some();
    if !removed {
        return Ok(false);
    }
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: K::TABLE,
            project: Some(project.as_u128()),
            row: row.as_u128(),
            record: None,
            sealed: false,
        },
    )?;
    let audit_stamp = ctx.stamp();
    let target = Some(format!("project:{project}/{}:{row}", K::TABLE));
    audit(
        ctx.tx,
        audit_stamp,
        who,
        &format!("{}.delete", K::TABLE),
        target,
    )?;
    Ok(true)
}

/// Every row of kind `K` in `project`, oldest first (the one-per-project
/// record excluded).
pub fn list<K: PlanKind>(
    tx: &ReadTx,
    ring: &Keyring,
    project: ProjectId,
) -> Result<Vec<Row<K>>, StoreError> {
    let mut out = Vec::new();
    for row in tx
        .open_table(table::<K>())?
        .range(children_of(project.as_u128()))?
    {
        let (key, value) = row?;
        let id = key.value().1;
        if id == project.as_u128() {
            continue;
        }
        let record: PlanRecord = decode(K::TABLE, value.value())?;
        out.push(record.into_row(id, ring)?);
    }
    Ok(out)
}

/// The one-per-project record of kind `K`, if it was ever set.
pub fn single<K: PlanKind>(
    tx: &ReadTx,
    ring: &Keyring,
    project: ProjectId,
) -> Result<Option<Row<K>>, StoreError> {
    let key = (project.as_u128(), project.as_u128());
    let rows = tx.open_table(table::<K>())?;
    let Some(value) = rows.get(key)? else {
        return Ok(None);
    };
    let record: PlanRecord = decode(K::TABLE, value.value())?;
    record.into_row(project.as_u128(), ring).map(Some)
}
