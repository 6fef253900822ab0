//! The demo project a fresh store starts with, so a first `launchpad serve`
//! shows something real. Seeded once: deleting it does not bring it back.

use super::error::StoreError;
use super::ops;
use super::tables::{META, PROJECTS, meta_key};
use super::writer::WriteCtx;
use crate::domain::{
    ChecklistName, Description, NewChecklist, NewProject, NewTask, ProjectName, TaskChanges,
    TaskStatus, TaskTitle,
};
use redb::{ReadableTable, ReadableTableMetadata};

const CHECKLISTS: [(&str, [(&str, TaskStatus); 2]); 2] = [
    (
        "Foundation & Planning",
        [
            ("Define success metrics and guardrails", TaskStatus::Pending),
            (
                "Map core domains and bounded contexts",
                TaskStatus::InProgress,
            ),
        ],
    ),
    (
        "Hardening & Launch Readiness",
        [
            (
                "Add observability baseline (logs, metrics, traces)",
                TaskStatus::Pending,
            ),
            (
                "Run security posture review and threat modelling",
                TaskStatus::Pending,
            ),
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
        for (title, status) in tasks {
            let task = ops::create_task(
                ctx,
                project.id,
                checklist.id,
                NewTask {
                    title: text(TaskTitle::parse(title)),
                    notes: None,
                    due_date: None,
                },
            )?;
            if status != TaskStatus::Pending {
                let changes = TaskChanges {
                    status: Some(status),
                    ..Default::default()
                };
                ops::update_task(ctx, project.id, checklist.id, task.id, changes)?;
            }
        }
    }
    ctx.tx
        .open_table(META)?
        .insert(meta_key::DEMO_SEEDED, [1u8].as_slice())?;
    tracing::info!("loaded the demo project; set demo_data = false to start empty");
    Ok(())
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
            for (title, _) in tasks {
                assert!(TaskTitle::parse(title).is_ok(), "{title}");
            }
        }
    }
}
