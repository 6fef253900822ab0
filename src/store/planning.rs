//! Planning records in the store: every kind of [`PlanKind`] row kept the
//! same way, under its project, keyed `(project, row)`.
//!
//! A stored row splits its value in two: the operational fields stay plain,
//! the kind's personal fields are sealed together as one JSON object under
//! the data key, bound to the table and the row. A change is a JSON merge
//! patch (RFC 7396: `null` clears a field) on the whole value, checked by the
//! kind's rules before it is written, journalled as a `row.put` and audited.

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
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
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

fn require_project(tx: &WriteTransaction, project: ProjectId) -> Result<(), StoreError> {
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
    value: K,
    who: &AuditContext,
) -> Result<Row<K>, PlanError> {
    value.validate().map_err(PlanError::Invalid)?;
    require_project(ctx.tx, project)?;
    let key = (project.as_u128(), project.as_u128());
    let created_at = ctx
        .tx
        .open_table(table::<K>())?
        .get(key)?
        .map(|v| decode::<PlanRecord>(K::TABLE, v.value()))
        .transpose()?
        .map_or(ctx.now, |r| r.created_at);
    let action = format!("{}.set", K::TABLE);
    Ok(put(
        ctx,
        project,
        project.as_u128(),
        &value,
        created_at,
        &action,
        who,
    )?)
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
    tx: &ReadTransaction,
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
    tx: &ReadTransaction,
    ring: &Keyring,
    project: ProjectId,
) -> Result<Option<Row<K>>, StoreError> {
    let key = (project.as_u128(), project.as_u128());
    let Some(value) = tx.open_table(table::<K>())?.get(key)? else {
        return Ok(None);
    };
    let record: PlanRecord = decode(K::TABLE, value.value())?;
    record.into_row(project.as_u128(), ring).map(Some)
}

/// RFC 7396: an object merges key by key, `null` removes, anything else replaces.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => match target.get_mut(&key) {
                Some(Value::Object(existing)) => merge(existing, inner),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, inner);
                    target.insert(key, Value::Object(fresh));
                }
            },
            other => {
                target.insert(key, other);
            }
        }
    }
}

/// A merged value as kind `K`, a type error naming its field.
fn parse<K: PlanKind>(value: Map<String, Value>) -> Result<K, PlanError> {
    serde_path_to_error::deserialize(Value::Object(value)).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is reported at the top, naming it in backticks.
        let field = if field == "." {
            message
                .split('`')
                .nth(1)
                .map_or_else(|| "body".to_owned(), str::to_owned)
        } else {
            field
        };
        PlanError::Invalid(vec![FieldProblem::new(field, message)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_replaces_clears_and_keeps() {
        let mut value = json!({ "a": 1, "b": 2, "c": { "d": 3, "e": 4 } })
            .as_object()
            .unwrap()
            .clone();
        let patch = json!({ "a": 9, "b": null, "c": { "e": null, "f": 5 } });
        merge(&mut value, patch.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(value),
            json!({ "a": 9, "c": { "d": 3, "f": 5 } })
        );
    }
}

/// What a planning change comes back as: the row, or every field the
/// change got wrong.
pub type Checked<T> = Result<T, Vec<FieldProblem>>;

fn checked<T>(result: Result<T, PlanError>) -> Result<Checked<T>, StoreError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(PlanError::Invalid(problems)) => Ok(Err(problems)),
        Err(PlanError::Store(e)) => Err(e),
    }
}

/// Every planning record of one project, for its page and its report.
#[derive(Debug, Clone, Default)]
pub struct Planning {
    pub north_star: Option<Row<crate::domain::planning::NorthStar>>,
    pub alignment: Vec<Row<crate::domain::planning::AlignmentRow>>,
    pub stakeholders: Vec<Row<crate::domain::planning::Stakeholder>>,
    pub compliance: Option<Row<crate::domain::planning::ComplianceRhythm>>,
    pub inventory: Vec<Row<crate::domain::planning::DataItem>>,
    pub triggers: Vec<Row<crate::domain::planning::Trigger>>,
    pub vendors: Vec<Row<crate::domain::planning::Vendor>>,
    pub reviews: Vec<Row<crate::domain::planning::Review>>,
}

impl Planning {
    /// When the project's compliance was last reviewed: the latest review
    /// held, or the rhythm's "last reviewed", whichever is later.
    pub fn last_review(&self) -> Option<crate::domain::DueDate> {
        let held = self.reviews.iter().map(|r| r.value.date).max();
        let noted = self.compliance.as_ref().and_then(|c| c.value.last_reviewed);
        held.max(noted)
    }
}

impl super::Store {
    fn read_planning<T>(
        &self,
        project: ProjectId,
        f: impl FnOnce(&ReadTransaction, &Keyring) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.db.get()?.begin_read()?;
        if tx.open_table(PROJECTS)?.get(project.as_u128())?.is_none() {
            return Err(StoreError::NotFound(Missing::Project(project)));
        }
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        f(&tx, &ring)
    }

    /// Every row of kind `K` in `project`, oldest first.
    pub fn plan_rows<K: PlanKind>(&self, project: ProjectId) -> Result<Vec<Row<K>>, StoreError> {
        self.read_planning(project, |tx, ring| list::<K>(tx, ring, project))
    }

    /// The one-per-project record of kind `K`.
    pub fn plan_single<K: PlanKind>(
        &self,
        project: ProjectId,
    ) -> Result<Option<Row<K>>, StoreError> {
        self.read_planning(project, |tx, ring| single::<K>(tx, ring, project))
    }

    /// Everything planned for `project`, read in one transaction.
    pub fn planning(&self, project: ProjectId) -> Result<Planning, StoreError> {
        use crate::domain::planning::{
            AlignmentRow, ComplianceRhythm, DataItem, NorthStar, Review, Stakeholder, Trigger,
            Vendor,
        };
        self.read_planning(project, |tx, ring| {
            Ok(Planning {
                north_star: single::<NorthStar>(tx, ring, project)?,
                alignment: list::<AlignmentRow>(tx, ring, project)?,
                stakeholders: list::<Stakeholder>(tx, ring, project)?,
                compliance: single::<ComplianceRhythm>(tx, ring, project)?,
                inventory: list::<DataItem>(tx, ring, project)?,
                triggers: list::<Trigger>(tx, ring, project)?,
                vendors: list::<Vendor>(tx, ring, project)?,
                reviews: list::<Review>(tx, ring, project)?,
            })
        })
    }

    pub async fn plan_create<K: PlanKind>(
        &self,
        project: ProjectId,
        value: K,
        who: AuditContext,
    ) -> Result<Checked<Row<K>>, StoreError> {
        // Checked here first: a bad row never joins a batch.
        if let Err(problems) = value.validate() {
            return Ok(Err(problems));
        }
        self.writer
            .submit(move |ctx| checked(create(ctx, project, value, &who)))
            .await
    }

    pub async fn plan_set<K: PlanKind>(
        &self,
        project: ProjectId,
        value: K,
        who: AuditContext,
    ) -> Result<Checked<Row<K>>, StoreError> {
        if let Err(problems) = value.validate() {
            return Ok(Err(problems));
        }
        self.writer
            .submit(move |ctx| checked(set_single(ctx, project, value, &who)))
            .await
    }

    /// Applies a merge patch; `Ok(Ok(None))` when there is no such row.
    pub async fn plan_update<K: PlanKind>(
        &self,
        project: ProjectId,
        row: uuid::Uuid,
        patch: Map<String, Value>,
        who: AuditContext,
    ) -> Result<Checked<Option<Row<K>>>, StoreError> {
        self.writer
            .submit(move |ctx| checked(update::<K>(ctx, project, row, patch, &who)))
            .await
    }

    pub async fn plan_delete<K: PlanKind>(
        &self,
        project: ProjectId,
        row: uuid::Uuid,
        who: AuditContext,
    ) -> Result<bool, StoreError> {
        self.writer
            .submit(move |ctx| delete::<K>(ctx, project, row, &who))
            .await
    }

    /// Records the guided start's scan answers and adds a trigger row for
    /// each standard they point to that the project does not list yet.
    pub async fn plan_scan(
        &self,
        project: ProjectId,
        scan: crate::domain::planning::Scan,
        who: AuditContext,
    ) -> Result<Checked<Vec<Row<crate::domain::planning::Trigger>>>, StoreError> {
        use crate::domain::planning::{ComplianceRhythm, Trigger, TriggerStatus};
        self.writer
            .submit(move |ctx| {
                let mut rhythm = {
                    let tx_rows = single_in_tx::<ComplianceRhythm>(ctx, project)?;
                    tx_rows.unwrap_or_default()
                };
                rhythm.scan = Some(scan.clone());
                if let Err(problems) = rhythm.validate() {
                    return Ok(Err(problems));
                }
                checked(set_single(ctx, project, rhythm, &who))?.ok();
                let listed = standards_in_tx(ctx, project)?;
                let mut raised = Vec::new();
                for (standard, reason) in scan.raises() {
                    if listed.contains(&standard) {
                        continue;
                    }
                    let trigger = Trigger {
                        standard,
                        reason: Some(reason),
                        controls: None,
                        status: TriggerStatus::Open,
                    };
                    match checked(create(ctx, project, trigger, &who))? {
                        Ok(row) => raised.push(row),
                        Err(problems) => return Ok(Err(problems)),
                    }
                }
                Ok(Ok(raised))
            })
            .await
    }
}

/// The one-per-project record of kind `K`, read inside the writer.
fn single_in_tx<K: PlanKind>(
    ctx: &WriteCtx<'_>,
    project: ProjectId,
) -> Result<Option<K>, StoreError> {
    let key = (project.as_u128(), project.as_u128());
    let rows = ctx.tx.open_table(table::<K>())?;
    let Some(value) = rows.get(key)? else {
        return Ok(None);
    };
    let record: PlanRecord = decode(K::TABLE, value.value())?;
    Ok(Some(
        record.into_row::<K>(project.as_u128(), ctx.ring)?.value,
    ))
}

/// The standards a project's triggers already name, read inside the writer.
fn standards_in_tx(
    ctx: &WriteCtx<'_>,
    project: ProjectId,
) -> Result<Vec<crate::domain::planning::Standard>, StoreError> {
    use crate::domain::planning::Trigger;
    let mut out = Vec::new();
    for row in ctx
        .tx
        .open_table(table::<Trigger>())?
        .range(children_of(project.as_u128()))?
    {
        let (key, value) = row?;
        let record: PlanRecord = decode(Trigger::TABLE, value.value())?;
        out.push(
            record
                .into_row::<Trigger>(key.value().1, ctx.ring)?
                .value
                .standard,
        );
    }
    Ok(out)
}

/// What the overview shows of a project's planning: the North Star
/// headline, and whether its next compliance review date has passed. Reads
/// plain fields only: nothing is opened.
pub fn annotate(
    tx: &ReadTransaction,
    projects: &mut [crate::domain::Project],
) -> Result<(), StoreError> {
    use super::tables::{COMPLIANCE, NORTH_STARS};
    let north_stars = tx.open_table(NORTH_STARS)?;
    let compliance = tx.open_table(COMPLIANCE)?;
    let today = time::OffsetDateTime::now_utc().date();
    for project in projects {
        let key = (project.id.as_u128(), project.id.as_u128());
        if let Some(row) = north_stars.get(key)? {
            let record: PlanRecord = decode("north_stars", row.value())?;
            project.headline = record
                .plain
                .get("headline")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        if let Some(row) = compliance.get(key)? {
            let record: PlanRecord = decode("compliance", row.value())?;
            project.compliance_review_overdue = record
                .plain
                .get("nextReview")
                .and_then(Value::as_str)
                .and_then(|d| crate::domain::DueDate::parse(d).ok())
                .is_some_and(|d| d.date() < today);
        }
    }
    Ok(())
}
