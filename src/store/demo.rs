//! The demo project a fresh store starts with, so a first `launchpad serve`
//! shows something real. Seeded once: deleting it does not bring it back.

use super::error::StoreError;
use super::ops;
use super::tables::{META, PROJECTS, meta_key};
use super::writer::WriteCtx;
use crate::domain::assessment::RawPillarScore;
use crate::domain::{
    ChecklistName, Description, Expected, NewAssessment, NewChecklist, NewProject, NewTask, Pillar,
    ProjectName, TaskChanges, TaskStatus, TaskTitle,
};

/// A demo task: title, status, pillar, required.
type DemoTask = (&'static str, TaskStatus, Pillar, bool);

const CHECKLISTS: [(&str, [DemoTask; 2]); 2] = [
    (
        "Foundation & Planning",
        [
            (
                "Define success metrics and guardrails",
                TaskStatus::Pending,
                Pillar::Observability,
                false,
            ),
            (
                "Map core domains and bounded contexts",
                TaskStatus::InProgress,
                Pillar::Reliability,
                false,
            ),
        ],
    ),
    (
        "Hardening & Launch Readiness",
        [
            (
                "Add observability baseline (logs, metrics, traces)",
                TaskStatus::Pending,
                Pillar::Observability,
                true,
            ),
            (
                "Run security posture review and threat modelling",
                TaskStatus::Pending,
                Pillar::Security,
                true,
            ),
        ],
    ),
];

/// The demo's two assessments: Day 0, and a later one that shows a trend.
/// `(days ago, [(score, evidence)] for reliability, security, observability, supportability)`.
const ASSESSMENTS: [(i64, [(i64, &str); 4]); 2] = [
    (
        21,
        [
            (2, "Works on the happy path; no retries, no backups."),
            (1, "No authentication; secrets in the repository."),
            (1, "Console output only; no metrics, no alerts."),
            (2, "A README that gets a developer started."),
        ],
    ),
    (
        3,
        [
            (
                3,
                "Health checks and nightly backups with a tested restore.",
            ),
            (2, "Sign-in and roles; the threat model is still to do."),
            (3, "Structured logs and request metrics; alerts are drafts."),
            (3, "Runbooks for the three likeliest incidents."),
        ],
    ),
];

/// Seeds the demo project unless it was seeded before or the store holds projects.
pub fn seed_if_new(ctx: &mut WriteCtx<'_>) -> Result<(), StoreError> {
    if ctx
        .tx
        .open_table(META)?
        .get(meta_key::DEMO_SEEDED)?
        .is_some()
        || !ctx.tx.open_table(PROJECTS)?.is_empty()?
    {
        return Ok(());
    }
    let project = ops::create_project(
        ctx,
        NewProject {
            name: text(ProjectName::parse("LaunchPad – v0 Readiness")),
            description: Some(text(Description::parse(
                "Seed data used to illustrate the journey from PoC to production-ready.",
            ))),
            owner_email: None,
        },
    )?;
    for (name, tasks) in CHECKLISTS {
        let checklist = ops::create_checklist(
            ctx,
            project.id,
            NewChecklist {
                name: text(ChecklistName::parse(name)),
            },
        )?;
        for (title, status, pillar, required) in tasks {
            let task = ops::create_task(
                ctx,
                project.id,
                checklist.id,
                NewTask {
                    title: text(TaskTitle::parse(title)),
                    notes: None,
                    due_date: None,
                    pillar: Some(pillar),
                    required,
                },
            )?;
            if status != TaskStatus::Pending {
                let changes = TaskChanges {
                    status: Some(status),
                    ..Default::default()
                };
                ops::update_task(
                    ctx,
                    project.id,
                    checklist.id,
                    task.id,
                    changes,
                    &Expected::Any,
                )?;
            }
        }
    }
    for (days_ago, scores) in ASSESSMENTS {
        let at = ctx.now - days_ago * 24 * 60 * 60 * 1000;
        let who = super::accounts::AuditContext::local();
        super::assessments::record_at(ctx, project.id, demo_assessment(scores), at, &who)?;
    }
    seed_planning(ctx, project.id)?;
    ctx.tx
        .open_table(META)?
        .insert(meta_key::DEMO_SEEDED, [1u8].as_slice())?;
    tracing::info!("loaded the demo project; set demo_data = false to start empty");
    Ok(())
}

/// The demo's North Star, stakeholders and compliance notes.
fn seed_planning(
    ctx: &mut WriteCtx<'_>,
    project: crate::domain::ProjectId,
) -> Result<(), StoreError> {
    use super::planning::{PlanError, create, set_single};
    use crate::domain::planning::*;
    let who = super::accounts::AuditContext::local();
    let plan = |e: PlanError| match e {
        PlanError::Store(e) => e,
        PlanError::Invalid(p) => {
            StoreError::Corrupt(format!("the demo breaks a planning rule: {p:?}"))
        }
    };
    let text = |s: &str| Some(s.to_owned());
    let day = |days: i64| {
        let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
        crate::domain::DueDate::parse(&date.to_string()).expect("a calendar date")
    };
    set_single(
        ctx,
        project,
        NorthStar {
            headline: text("Ship daily without customer-visible downtime or data loss"),
            leading_metric: text("Successful deploys per week"),
            metric_target: text("5 a week, none rolled back"),
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        AlignmentRow {
            goal: "Restore from backup in under an hour".into(),
            success_metric: text("Monthly restore drill time"),
            guardrail: text("Before the first paying customer"),
            stakeholders: text("Operations, the founders"),
            risks: text("Nobody has run a restore yet; schedule the first drill"),
        },
        &who,
    )
    .map_err(plan)?;
    for (role, why, cadence) in [
        (
            "Pilot customers",
            "Their teams depend on the service every day",
            "Fortnightly call",
        ),
        (
            "Investors",
            "Want evidence the product can scale safely",
            "Monthly update",
        ),
    ] {
        create(
            ctx,
            project,
            Stakeholder {
                role: role.into(),
                why_they_care: text(why),
                success: text("No surprises: incidents are rare and explained"),
                cadence: text(cadence),
                risks: None,
                owner: None,
            },
            &who,
        )
        .map_err(plan)?;
    }
    set_single(
        ctx,
        project,
        ComplianceRhythm {
            last_reviewed: Some(day(-60)),
            next_review: Some(day(120).into()),
            owner: None,
            scan: Some(Scan {
                users_and_data: text("Teams in the EU and the US; we store work emails"),
                payments: Some(false),
                regulated_industry: text("No"),
            }),
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        DataItem {
            category: "Work email addresses".into(),
            source: text("Sign-up form"),
            stored_in: text("LaunchPad store, sealed"),
            retention: text("Until the account is deleted"),
            access: text("Admins"),
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        Trigger {
            standard: Standard::Gdpr,
            reason: text("Users in the EU; emails are personal data"),
            controls: text("Data inventory, encryption at rest, deletion on request"),
            status: TriggerStatus::InProgress,
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        Trigger {
            standard: Standard::PciDss,
            reason: text("No card data: payments go through the processor's hosted page"),
            controls: None,
            status: TriggerStatus::NotApplicable,
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        Vendor {
            vendor: "Email delivery service".into(),
            data_shared: text("Recipient emails for notifications"),
            compliance_verified: true,
            actions: text("DPA signed; review yearly"),
        },
        &who,
    )
    .map_err(plan)?;
    create(
        ctx,
        project,
        Review {
            date: day(-60),
            reviewer: None,
            findings: text("Inventory complete; deletion on request still manual"),
        },
        &who,
    )
    .map_err(plan)?;
    Ok(())
}

/// One demo assessment: every pillar with its score and evidence, a target of 4.
fn demo_assessment(scores: [(i64, &str); 4]) -> NewAssessment {
    let raw = Pillar::ALL
        .iter()
        .zip(scores)
        .map(|(pillar, (score, evidence))| RawPillarScore {
            pillar: pillar.as_str().to_owned(),
            score: Some(score),
            target: Some(4),
            evidence: Some(evidence.to_owned()),
            ..Default::default()
        })
        .collect();
    NewAssessment::parse(raw).expect("demo assessments satisfy the domain rules")
}

/// The demo texts are constants that satisfy the rules; a unit test proves it.
fn text<T>(parsed: Result<T, crate::domain::TextError>) -> T {
    parsed.expect("demo data satisfies the domain rules")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_text_satisfies_the_domain_rules() {
        assert!(ProjectName::parse("LaunchPad – v0 Readiness").is_ok());
        for (name, tasks) in CHECKLISTS {
            assert!(ChecklistName::parse(name).is_ok(), "{name}");
            for (title, ..) in tasks {
                assert!(TaskTitle::parse(title).is_ok(), "{title}");
            }
        }
        for (_, scores) in ASSESSMENTS {
            demo_assessment(scores);
        }
    }
}
