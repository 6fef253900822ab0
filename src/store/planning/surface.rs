//! The planning records for the surfaces: the store's methods, checked
//! before a change joins a batch; everything planned for a project, read
//! in one transaction; the guided start's scan; and what the overview
//! shows of a project's planning.

use super::{
    PlanError, PlanKind, PlanRecord, Row, create, decode, delete, list, set_single, single, table,
    update,
};
use crate::crypto::Keyring;
use crate::domain::{FieldProblem, ProjectId};
use crate::store::accounts::AuditContext;
use crate::store::engine::Table;
use crate::store::engine::{ReadTx, WriteTx};
use crate::store::error::{Missing, StoreError};
use crate::store::read::children_of;
use crate::store::tables::PROJECTS;
use crate::store::writer::WriteCtx;
use serde_json::{Map, Value};

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

impl crate::store::Store {
    fn read_planning<T>(
        &self,
        project: ProjectId,
        f: impl FnOnce(&ReadTx, &Keyring) -> Result<T, StoreError>,
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
        // Checked on its own first, so a problem names the scan's own field.
        if let Err(problems) = scan.validate() {
            return Ok(Err(problems));
        }
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
pub fn annotate(tx: &ReadTx, projects: &mut [crate::domain::Project]) -> Result<(), StoreError> {
    let annotations = Annotations::open(tx)?;
    projects.iter_mut().try_for_each(|p| annotations.apply(p))
}

/// The two planning tables [`annotate`] reads, opened once for a whole list,
/// from a read transaction or the writer's.
pub struct Annotations<'t> {
    north_stars: Table<'t, (u128, u128), &'static [u8]>,
    compliance: Table<'t, (u128, u128), &'static [u8]>,
    today: time::Date,
}

impl<'t> Annotations<'t> {
    pub fn open(tx: &'t ReadTx) -> Result<Self, StoreError> {
        use crate::store::tables::{COMPLIANCE, NORTH_STARS};
        Ok(Self {
            north_stars: tx.open_table(NORTH_STARS)?,
            compliance: tx.open_table(COMPLIANCE)?,
            today: time::OffsetDateTime::now_utc().date(),
        })
    }

    /// Inside the writer's transaction, to answer a change as a read would.
    pub fn open_in(tx: &'t WriteTx) -> Result<Self, StoreError> {
        use crate::store::tables::{COMPLIANCE, NORTH_STARS};
        Ok(Self {
            north_stars: tx.open_table(NORTH_STARS)?,
            compliance: tx.open_table(COMPLIANCE)?,
            today: time::OffsetDateTime::now_utc().date(),
        })
    }

    pub fn apply(&self, project: &mut crate::domain::Project) -> Result<(), StoreError> {
        let key = (project.id.as_u128(), project.id.as_u128());
        if let Some(row) = self.north_stars.get(key)? {
            let record: PlanRecord = decode("north_stars", row.value())?;
            project.headline = record
                .plain
                .get("headline")
                .and_then(Value::as_str)
                .filter(|h| !h.trim().is_empty())
                .map(str::to_owned);
        }
        if let Some(row) = self.compliance.get(key)? {
            let record: PlanRecord = decode("compliance", row.value())?;
            project.compliance_review_overdue = record
                .plain
                .get("nextReview")
                .and_then(Value::as_str)
                .and_then(|d| crate::domain::DueDate::parse(d).ok())
                .is_some_and(|d| d.date() < self.today);
        }
        Ok(())
    }
}
