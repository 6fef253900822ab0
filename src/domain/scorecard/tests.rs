//! The level rules at every boundary.

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

fn level(assessments: &[Assessment], tasks: &[TaskFacts], review_days_ago: Option<i64>) -> Level {
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
