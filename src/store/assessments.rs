//! Assessments in the store: append-only rows keyed `(project, assessment)`,
//! so a project's history is one range in recording order. A wrong
//! assessment is corrected by a newer one; none is ever rewritten.
//!
//! Evidence and links describe the system and stay plain. The pillars'
//! owners are personal data: they are kept together as one sealed JSON
//! object, bound to the assessment like any sealed field.

use super::error::{Missing, StoreError};
use super::journal::{self, RowChange};
use super::read::children_of;
use super::records::{FieldSlot, Sealed, decode, encode};
use super::tables::{ASSESSMENTS, PROJECTS};
use super::writer::WriteCtx;
use crate::crypto::Keyring;
use crate::domain::assessment::{Evidence, EvidenceLink, PillarOwner};
use crate::domain::{
    Assessment, AssessmentId, DueDate, Millis, NewAssessment, Pillar, PillarScore, ProjectId, Score,
};
use crate::store::engine::ReadTx;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const OWNERS: FieldSlot = FieldSlot {
    table: "assessments",
    field: "owners",
};

/// One pillar's score as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub pillar: Pillar,
    pub score: Score,
    pub target: Score,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<EvidenceLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_checkpoint: Option<DueDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssessmentRecord {
    pub recorded_at: Millis,
    pub scores: Vec<ScoreRecord>,
    /// `{pillar: owner}` for the pillars that name one, sealed as one value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<Sealed>,
}

/// Checks that a sealed owners value opens to a map of valid owners.
pub fn check_owners(text: &str) -> Result<(), crate::domain::TextError> {
    parse_owners(text).map(drop)
}

fn parse_owners(text: &str) -> Result<BTreeMap<Pillar, PillarOwner>, crate::domain::TextError> {
    serde_json::from_str(text).map_err(|_| {
        crate::domain::TextError::Invalid("the owners are not a map of pillar to owner")
    })
}

impl AssessmentRecord {
    fn into_assessment(
        self,
        project: u128,
        id: u128,
        ring: &Keyring,
    ) -> Result<Assessment, StoreError> {
        let owners = match &self.owners {
            Some(sealed) => OWNERS.open(ring, id, sealed, parse_owners)?,
            None => BTreeMap::new(),
        };
        Ok(Assessment {
            id: AssessmentId::from_u128(id),
            project_id: ProjectId::from_u128(project),
            recorded_at: self.recorded_at,
            scores: self
                .scores
                .into_iter()
                .map(|s| PillarScore {
                    owner: owners.get(&s.pillar).cloned(),
                    pillar: s.pillar,
                    score: s.score,
                    target: s.target,
                    evidence: s.evidence,
                    links: s.links,
                    next_checkpoint: s.next_checkpoint,
                })
                .collect(),
        })
    }
}

/// Records a new assessment of `project`, dated now.
pub fn record(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    new: NewAssessment,
    who: &super::accounts::AuditContext,
) -> Result<Assessment, StoreError> {
    let now = ctx.now;
    record_at(ctx, project, new, now, who)
}

/// Records an assessment dated `at` (the demo's history).
pub fn record_at(
    ctx: &mut WriteCtx<'_>,
    project: ProjectId,
    new: NewAssessment,
    at: Millis,
    who: &super::accounts::AuditContext,
) -> Result<Assessment, StoreError> {
    if ctx
        .tx
        .open_table(PROJECTS)?
        .get(project.as_u128())?
        .is_none()
    {
        return Err(StoreError::NotFound(Missing::Project(project)));
    }
    let id = ctx.mint_id();
    let stamp = ctx.stamp();
    let owners: BTreeMap<Pillar, &str> = new
        .scores
        .iter()
        .filter_map(|s| s.owner.as_ref().map(|o| (s.pillar, o.as_str())))
        .collect();
    let sealed_owners = (!owners.is_empty()).then(|| {
        let json = serde_json::to_string(&owners).expect("owners serialize");
        OWNERS.seal(ctx.ring, id, &json)
    });
    let record = AssessmentRecord {
        recorded_at: at,
        scores: new
            .scores
            .iter()
            .map(|s| ScoreRecord {
                pillar: s.pillar,
                score: s.score,
                target: s.target,
                evidence: s.evidence.clone(),
                links: s.links.clone(),
                next_checkpoint: s.next_checkpoint,
            })
            .collect(),
        owners: sealed_owners,
    };
    let bytes = encode(&record);
    ctx.tx
        .open_table(ASSESSMENTS)?
        .insert((project.as_u128(), id), bytes.as_slice())?;
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: "assessments",
            project: Some(project.as_u128()),
            row: id,
            record: Some(&bytes),
            sealed: record.owners.is_some(),
        },
    )?;
    let audit_stamp = ctx.stamp();
    super::accounts::audit(
        ctx.tx,
        audit_stamp,
        who,
        "assessment.record",
        Some(format!("project:{project}")),
    )?;
    record.into_assessment(project.as_u128(), id, ctx.ring)
}

/// A project's assessments after `after` (or from the first), oldest
/// first, at most `limit`.
pub fn page(
    tx: &ReadTx,
    ring: &Keyring,
    project: ProjectId,
    after: Option<AssessmentId>,
    limit: usize,
) -> Result<Vec<Assessment>, StoreError> {
    let table = tx.open_table(ASSESSMENTS)?;
    let project = project.as_u128();
    let start = after.map_or(0, |a| a.as_u128().saturating_add(1));
    let mut out = Vec::new();
    for row in table
        .range((project, start)..=(project, u128::MAX))?
        .take(limit)
    {
        let (key, value) = row?;
        let record: AssessmentRecord = decode("assessment", value.value())?;
        out.push(record.into_assessment(project, key.value().1, ring)?);
    }
    Ok(out)
}

/// Every assessment of a project, oldest first.
pub fn all(tx: &ReadTx, ring: &Keyring, project: ProjectId) -> Result<Vec<Assessment>, StoreError> {
    let table = tx.open_table(ASSESSMENTS)?;
    let mut out = Vec::new();
    for row in table.range(children_of(project.as_u128()))? {
        let (key, value) = row?;
        let record: AssessmentRecord = decode("assessment", value.value())?;
        out.push(record.into_assessment(project.as_u128(), key.value().1, ring)?);
    }
    Ok(out)
}

/// A project's first and latest assessments (the same one when there is
/// one): all a scorecard needs, read without decoding the history between.
pub fn first_and_last(
    tx: &ReadTx,
    ring: &Keyring,
    project: ProjectId,
) -> Result<Vec<Assessment>, StoreError> {
    let table = tx.open_table(ASSESSMENTS)?;
    let mut out = Vec::with_capacity(2);
    let first = table
        .range(children_of(project.as_u128()))?
        .next()
        .transpose()?;
    let last = table
        .range(children_of(project.as_u128()))?
        .rev()
        .next()
        .transpose()?
        .filter(|(key, _)| {
            first
                .as_ref()
                .is_some_and(|(k, _)| k.value() != key.value())
        });
    for (key, value) in first.into_iter().chain(last) {
        let record: AssessmentRecord = decode("assessment", value.value())?;
        out.push(record.into_assessment(project.as_u128(), key.value().1, ring)?);
    }
    Ok(out)
}
