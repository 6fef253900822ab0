//! The scorecard itself: each pillar's card beside the verdict of the rules.

use super::{Facts, Level, OpenTask, RuleResult, judge, latest};
use crate::domain::Pillar;
use serde::Serialize;
use utoipa::ToSchema;

/// One pillar on the scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PillarCard {
    pub pillar: Pillar,
    /// The latest score; absent before the first assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_score: Option<u8>,
    /// The latest score minus the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_checkpoint: Option<String>,
    /// The next checkpoint has passed.
    pub overdue: bool,
    pub open_tasks: Vec<OpenTask>,
}

/// A project's scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Scorecard {
    pub level: Level,
    /// Absent at the top level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_level: Option<Level>,
    pub rules: Vec<RuleResult>,
    pub pillars: Vec<PillarCard>,
}

/// Builds the scorecard: the verdict of the rules and each pillar's card.
/// `open` holds the open tasks with their pillar; `today` decides what is
/// overdue.
pub fn scorecard(
    facts: &Facts<'_>,
    open: &[(Option<Pillar>, OpenTask)],
    today: time::Date,
) -> Scorecard {
    let verdict = judge(facts);
    let first = facts.assessments.first();
    let pillars = Pillar::ALL
        .iter()
        .map(|pillar| {
            let now = latest(facts, *pillar);
            let first = first.and_then(|a| a.score_of(*pillar));
            let score = now.map(|s| s.score.value());
            let first_score = first.map(|s| s.score.value());
            PillarCard {
                pillar: *pillar,
                score,
                target: now.map(|s| s.target.value()),
                first_score,
                change: score.zip(first_score).map(|(n, f)| n as i8 - f as i8),
                evidence: now.map(|s| s.evidence.as_str().to_owned()),
                links: now.map_or_else(Vec::new, |s| {
                    s.links.iter().map(|l| l.as_str().to_owned()).collect()
                }),
                owner: now
                    .and_then(|s| s.owner.as_ref())
                    .map(|o| o.as_str().to_owned()),
                next_checkpoint: now.and_then(|s| s.next_checkpoint).map(String::from),
                overdue: now
                    .and_then(|s| s.next_checkpoint)
                    .is_some_and(|d| d.date() < today),
                open_tasks: open
                    .iter()
                    .filter(|(p, _)| *p == Some(*pillar))
                    .map(|(_, t)| t.clone())
                    .collect(),
            }
        })
        .collect();
    Scorecard {
        level: verdict.level,
        next_level: verdict.next_level,
        rules: verdict.rules,
        pillars,
    }
}
