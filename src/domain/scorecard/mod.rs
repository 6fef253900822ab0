//! A project's scorecard: the current score of each pillar against its
//! target and first score, and the readiness level the rules grant.
//!
//! [`RULES`] is the one table of levels: `prototype` needs nothing,
//! `hardened` every pillar at 3 or more, `production-ready` every pillar at
//! 4 or more, every required task done and an assessment within 90 days,
//! `operationalized` every pillar at 5 and every required task done for 30
//! days. A level is reached when its rules and every lower level's pass.
//! Each rule answers with a sentence a person can act on.

mod card;

pub use card::{PillarCard, Scorecard, scorecard};

use super::assessment::{Assessment, Pillar, PillarScore};
use super::{Millis, TaskStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Readiness levels, lowest first. Their ids are fixed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Prototype,
    Hardened,
    ProductionReady,
    Operationalized,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Prototype,
        Level::Hardened,
        Level::ProductionReady,
        Level::Operationalized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prototype => "prototype",
            Self::Hardened => "hardened",
            Self::ProductionReady => "production-ready",
            Self::Operationalized => "operationalized",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, super::TextError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == raw.trim())
            .ok_or(super::TextError::Invalid(
                "must be one of prototype, hardened, production-ready, operationalized",
            ))
    }

    pub fn next(self) -> Option<Level> {
        Self::ALL.into_iter().find(|l| *l > self)
    }
}

const DAY_MS: Millis = 24 * 60 * 60 * 1000;
/// An assessment older than this does not count for production-ready.
pub const ASSESSMENT_FRESH_DAYS: i64 = 90;
/// How long required tasks must have been done for operationalized.
pub const DONE_FOR_DAYS: i64 = 30;
/// A compliance review older than this does not count for production-ready.
pub const COMPLIANCE_FRESH_DAYS: i64 = 365;

/// What the rules look at in one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFacts {
    pub pillar: Option<Pillar>,
    pub required: bool,
    pub status: TaskStatus,
    /// When it was last marked done, if it is done.
    pub done_at: Option<Millis>,
}

/// A task as the scorecard lists it: still open, under its pillar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenTask {
    #[schema(value_type = uuid::Uuid)]
    pub id: super::TaskId,
    #[schema(value_type = uuid::Uuid)]
    pub checklist_id: super::ChecklistId,
    #[schema(value_type = String)]
    pub title: super::TaskTitle,
    pub status: TaskStatus,
    pub required: bool,
}

/// Everything a scorecard is computed from.
pub struct Facts<'a> {
    /// Oldest first.
    pub assessments: &'a [Assessment],
    pub tasks: &'a [TaskFacts],
    /// The last compliance review, if the project records reviews.
    pub compliance_reviewed_at: Option<Millis>,
    pub now: Millis,
}

/// One condition of a level.
pub struct Rule {
    pub level: Level,
    check: fn(&Facts<'_>) -> Result<(), String>,
}

/// Every level's conditions, in order.
pub const RULES: &[Rule] = &[
    Rule {
        level: Level::Hardened,
        check: |f| every_pillar_at_least(f, 3, Level::Hardened),
    },
    Rule {
        level: Level::ProductionReady,
        check: |f| every_pillar_at_least(f, 4, Level::ProductionReady),
    },
    Rule {
        level: Level::ProductionReady,
        check: |f| required_tasks_done(f, 0, Level::ProductionReady),
    },
    Rule {
        level: Level::ProductionReady,
        check: assessed_recently,
    },
    Rule {
        level: Level::ProductionReady,
        check: compliance_reviewed_recently,
    },
    Rule {
        level: Level::Operationalized,
        check: |f| every_pillar_at_least(f, 5, Level::Operationalized),
    },
    Rule {
        level: Level::Operationalized,
        check: |f| required_tasks_done(f, DONE_FOR_DAYS, Level::Operationalized),
    },
];

pub(crate) fn latest<'a>(facts: &'a Facts<'_>, pillar: Pillar) -> Option<&'a PillarScore> {
    facts.assessments.last()?.score_of(pillar)
}

fn every_pillar_at_least(facts: &Facts<'_>, needed: u8, level: Level) -> Result<(), String> {
    if facts.assessments.is_empty() {
        return Err(format!(
            "No assessment yet; record one with every pillar at {needed} or more for {}",
            level.as_str()
        ));
    }
    let short: Vec<String> = Pillar::ALL
        .iter()
        .filter_map(|p| {
            let score = latest(facts, *p).map_or(0, |s| s.score.value());
            (score < needed).then(|| format!("{} is {score}", p.title()))
        })
        .collect();
    if short.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; {} needs {needed}",
            short.join(", "),
            level.as_str()
        ))
    }
}

fn required_tasks_done(facts: &Facts<'_>, for_days: i64, level: Level) -> Result<(), String> {
    let required = facts.tasks.iter().filter(|t| t.required);
    let open = required
        .clone()
        .filter(|t| t.status != TaskStatus::Done)
        .count();
    if open > 0 {
        return Err(format!(
            "{open} required task{} still open; {} needs every required task done",
            if open == 1 { " is" } else { "s are" },
            level.as_str()
        ));
    }
    let since = facts.now - for_days * DAY_MS;
    let recent = required
        .filter(|t| t.done_at.is_none_or(|at| at > since))
        .count();
    if for_days > 0 && recent > 0 {
        return Err(format!(
            "{recent} required task{} done for less than {for_days} days; {} needs {for_days}",
            if recent == 1 { " was" } else { "s were" },
            level.as_str()
        ));
    }
    Ok(())
}

fn assessed_recently(facts: &Facts<'_>) -> Result<(), String> {
    let needs = format!(
        "production-ready needs an assessment within the last {ASSESSMENT_FRESH_DAYS} days"
    );
    match facts.assessments.last() {
        None => Err(format!("No assessment yet; {needs}")),
        Some(last) => {
            let age = (facts.now - last.recorded_at) / DAY_MS;
            if age <= ASSESSMENT_FRESH_DAYS {
                Ok(())
            } else {
                Err(format!("The last assessment is {age} days old; {needs}"))
            }
        }
    }
}

fn compliance_reviewed_recently(facts: &Facts<'_>) -> Result<(), String> {
    let needs = format!(
        "production-ready needs a compliance review within the last {COMPLIANCE_FRESH_DAYS} days"
    );
    match facts.compliance_reviewed_at {
        None => Err(format!("No compliance review is recorded; {needs}")),
        Some(at) => {
            let age = (facts.now - at) / DAY_MS;
            if age <= COMPLIANCE_FRESH_DAYS {
                Ok(())
            } else {
                Err(format!(
                    "The last compliance review is {age} days old; {needs}"
                ))
            }
        }
    }
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleResult {
    pub level: Level,
    pub ok: bool,
    /// What holds, or what to do about it.
    pub detail: String,
}

/// The level the rules grant, and every rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub level: Level,
    pub next_level: Option<Level>,
    pub rules: Vec<RuleResult>,
}

/// Runs every rule over `facts`.
pub fn judge(facts: &Facts<'_>) -> Verdict {
    let rules: Vec<RuleResult> = RULES
        .iter()
        .map(|rule| match (rule.check)(facts) {
            Ok(()) => RuleResult {
                level: rule.level,
                ok: true,
                detail: passed(rule.level),
            },
            Err(detail) => RuleResult {
                level: rule.level,
                ok: false,
                detail,
            },
        })
        .collect();
    let level = Level::ALL
        .into_iter()
        .take_while(|level| rules.iter().filter(|r| r.level <= *level).all(|r| r.ok))
        .last()
        .unwrap_or(Level::Prototype);
    Verdict {
        level,
        next_level: level.next(),
        rules,
    }
}

fn passed(level: Level) -> String {
    format!("Met for {}", level.as_str())
}

#[cfg(test)]
mod tests;
