//! A project's scorecard: the current score of each pillar against its
//! target and first score, and the readiness level the rules grant.
//!
//! [`RULES`] is the one table of levels: `prototype` needs nothing,
//! `hardened` every pillar at 3 or more, `production-ready` every pillar at
//! 4 or more, every required task done and an assessment within 90 days,
//! `operationalized` every pillar at 5 and every required task done for 30
//! days. A level is reached when its rules and every lower level's pass.
//! Each rule answers with a sentence a person can act on.

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

fn latest<'a>(facts: &'a Facts<'_>, pillar: Pillar) -> Option<&'a PillarScore> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assessment::{Evidence, Score};
    use crate::domain::{AssessmentId, ProjectId};

    const NOW: Millis = 1_800_000_000_000;

    fn assessment(scores: [u8; 4], days_ago: i64) -> Assessment {
        Assessment {
            id: AssessmentId::from_u128(1),
            project_id: ProjectId::from_u128(1),
            recorded_at: NOW - days_ago * DAY_MS,
            scores: Pillar::ALL
                .iter()
                .zip(scores)
                .map(|(pillar, score)| PillarScore {
                    pillar: *pillar,
                    score: Score::parse(i64::from(score)).unwrap(),
                    target: Score::parse(4).unwrap(),
                    evidence: Evidence::parse("e").unwrap(),
                    links: vec![],
                    owner: None,
                    next_checkpoint: None,
                })
                .collect(),
        }
    }

    fn task(required: bool, status: TaskStatus, done_days_ago: Option<i64>) -> TaskFacts {
        TaskFacts {
            pillar: Some(Pillar::Security),
            required,
            status,
            done_at: done_days_ago.map(|d| NOW - d * DAY_MS),
        }
    }

    fn level(
        assessments: &[Assessment],
        tasks: &[TaskFacts],
        review_days_ago: Option<i64>,
    ) -> Level {
        judge(&Facts {
            assessments,
            tasks,
            compliance_reviewed_at: review_days_ago.map(|d| NOW - d * DAY_MS),
            now: NOW,
        })
        .level
    }

    #[test]
    fn without_an_assessment_a_project_is_a_prototype() {
        assert_eq!(level(&[], &[], Some(1)), Level::Prototype);
    }

    #[test]
    fn hardened_needs_every_pillar_at_three() {
        assert_eq!(
            level(&[assessment([3, 3, 3, 2], 1)], &[], None),
            Level::Prototype
        );
        assert_eq!(
            level(&[assessment([3, 3, 3, 3], 1)], &[], None),
            Level::Hardened
        );
    }

    #[test]
    fn only_the_latest_assessment_counts() {
        let history = [assessment([5, 5, 5, 5], 10), assessment([3, 2, 3, 3], 1)];
        assert_eq!(level(&history, &[], Some(1)), Level::Prototype);
    }

    #[test]
    fn production_ready_needs_fours_required_tasks_done_a_fresh_assessment_and_a_review() {
        let fours = [assessment([4, 4, 4, 4], 1)];
        let done = [task(true, TaskStatus::Done, Some(1))];
        assert_eq!(level(&fours, &done, Some(1)), Level::ProductionReady);
        assert_eq!(
            level(&[assessment([4, 4, 3, 4], 1)], &done, Some(1)),
            Level::Hardened
        );
        let open = [task(true, TaskStatus::InProgress, None)];
        assert_eq!(level(&fours, &open, Some(1)), Level::Hardened);
        assert_eq!(level(&fours, &done, None), Level::Hardened);
        assert_eq!(level(&fours, &done, Some(366)), Level::Hardened);
        assert_eq!(level(&fours, &done, Some(365)), Level::ProductionReady);
    }

    #[test]
    fn an_assessment_older_than_ninety_days_does_not_count_for_production_ready() {
        let done = [task(true, TaskStatus::Done, Some(100))];
        assert_eq!(
            level(&[assessment([4, 4, 4, 4], 90)], &done, Some(1)),
            Level::ProductionReady
        );
        assert_eq!(
            level(&[assessment([4, 4, 4, 4], 91)], &done, Some(1)),
            Level::Hardened
        );
    }

    #[test]
    fn optional_tasks_never_hold_a_level_back() {
        let fours = [assessment([4, 4, 4, 4], 1)];
        let optional = [task(false, TaskStatus::Pending, None)];
        assert_eq!(level(&fours, &optional, Some(1)), Level::ProductionReady);
    }

    #[test]
    fn operationalized_needs_fives_and_required_tasks_done_for_thirty_days() {
        let fives = [assessment([5, 5, 5, 5], 1)];
        let old = [task(true, TaskStatus::Done, Some(30))];
        let recent = [task(true, TaskStatus::Done, Some(29))];
        assert_eq!(level(&fives, &old, Some(1)), Level::Operationalized);
        assert_eq!(level(&fives, &recent, Some(1)), Level::ProductionReady);
        assert_eq!(
            level(&[assessment([5, 5, 5, 4], 1)], &old, Some(1)),
            Level::ProductionReady
        );
    }

    #[test]
    fn a_failing_rule_says_what_is_missing_in_a_sentence() {
        let verdict = judge(&Facts {
            assessments: &[assessment([4, 3, 4, 4], 1)],
            tasks: &[],
            compliance_reviewed_at: Some(NOW),
            now: NOW,
        });
        let failing: Vec<&str> = verdict
            .rules
            .iter()
            .filter(|r| !r.ok && r.level == Level::ProductionReady)
            .map(|r| r.detail.as_str())
            .collect();
        assert_eq!(failing, ["Security is 3; production-ready needs 4"]);
        assert_eq!(verdict.next_level, Some(Level::ProductionReady));
    }

    #[test]
    fn the_top_level_has_no_next_level() {
        assert_eq!(Level::Operationalized.next(), None);
        assert_eq!(Level::Prototype.next(), Some(Level::Hardened));
    }
}
