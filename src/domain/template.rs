//! Checklist templates: the method's checklists, built in, each task tagged
//! with the pillar it strengthens. Creating a checklist from a template
//! copies its tasks; editors may also save a checklist as a custom template.
//!
//! The template ids are fixed: scripts and the UI rely on them. Tasks of the
//! templates that gate a release (production readiness, prototype to
//! production, compliance safeguards) are `required`, so the scorecard
//! holds `production-ready` back until they are done.

use super::Pillar;
use super::text::{Lines, bounded_text};

/// One task of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateTask {
    pub title: &'static str,
    pub pillar: Pillar,
    pub required: bool,
}

/// A template that ships with LaunchPad.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub tasks: &'static [TemplateTask],
}

bounded_text!(
    /// A custom template's name: 3–50 characters, one line.
    TemplateName, 3, 50, Lines::Single
);

const fn task(title: &'static str, pillar: Pillar, required: bool) -> TemplateTask {
    TemplateTask {
        title,
        pillar,
        required,
    }
}

use Pillar::{Observability as O, Reliability as R, Security as S, Supportability as U};

pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        id: "production-readiness",
        name: "Production readiness checklist",
        description: "The eight areas to settle before real users depend on the service.",
        tasks: &[
            task(
                "Write down the architecture: components, boundaries and data flows",
                R,
                true,
            ),
            task(
                "Keep configuration out of the code, validated at start, with safe defaults",
                S,
                true,
            ),
            task(
                "Build a testing safety net: unit, integration and a smoke test of every release",
                R,
                true,
            ),
            task(
                "Automate build, test and deploy in CI/CD, with a one-step rollback",
                R,
                true,
            ),
            task(
                "Get operationally ready: health checks, alerts, runbooks and an on-call owner",
                O,
                true,
            ),
            task(
                "Review the security posture: dependencies, secrets, access and a threat model",
                S,
                true,
            ),
            task(
                "Document setup, operations and the API so a newcomer can run it",
                U,
                true,
            ),
            task(
                "Set a post-launch rhythm: re-score after each release and review incidents",
                U,
                true,
            ),
        ],
    },
    BuiltIn {
        id: "core-audit",
        name: "Core hardening audit",
        description: "Four areas, four questions each, for a codebase about to be hardened.",
        tasks: &[
            task(
                "Map the modules and the direction of their dependencies",
                R,
                false,
            ),
            task(
                "Find the places where one failure takes everything down",
                R,
                false,
            ),
            task(
                "List every external call and its timeout and retry policy",
                R,
                false,
            ),
            task(
                "Check that domain rules live in one place, not in every handler",
                U,
                false,
            ),
            task(
                "Inventory every configuration value and where it comes from",
                S,
                false,
            ),
            task(
                "Move secrets out of the repository and into a secret store",
                S,
                false,
            ),
            task("Make production refuse unsafe defaults at start", S, false),
            task("Detect configuration drift between environments", O, false),
            task(
                "List every place personal data is read, stored or sent",
                S,
                false,
            ),
            task(
                "Encrypt personal data at rest and decide its retention",
                S,
                false,
            ),
            task(
                "Prove backups restore, on a schedule, with a timed drill",
                R,
                false,
            ),
            task(
                "Validate every input at the boundary with clear errors",
                S,
                false,
            ),
            task(
                "Emit structured logs with a request id on every line",
                O,
                false,
            ),
            task(
                "Export metrics for latency, errors and saturation",
                O,
                false,
            ),
            task("Write a runbook for each alert", U, false),
            task("Measure capacity and know the first bottleneck", R, false),
        ],
    },
    BuiltIn {
        id: "quick-start",
        name: "Quick start",
        description: "The first week of a readiness review.",
        tasks: &[
            task(
                "Name the North Star: one sentence that defines production-ready here",
                U,
                false,
            ),
            task(
                "Score the four pillars for the first time, with evidence",
                O,
                false,
            ),
            task(
                "Map the stakeholders and how each hears about progress",
                U,
                false,
            ),
            task(
                "Scan for compliance risk: data, payments, regulated users",
                S,
                false,
            ),
            task("Pick the leading metric the team will watch", O, false),
            task(
                "Plan the first week: the three changes that raise a pillar most",
                R,
                false,
            ),
        ],
    },
    BuiltIn {
        id: "prototype-to-production",
        name: "Prototype to production",
        description: "Seven steps from a working prototype to a service people can rely on.",
        tasks: &[
            task(
                "Scaffold the service with a reproducible build and one command to run it",
                R,
                true,
            ),
            task(
                "Define the primary metric and the guardrails around it",
                O,
                true,
            ),
            task(
                "Put persistence behind a store with migrations and backups",
                R,
                true,
            ),
            task("Add authentication, roles and an audit log", S, true),
            task("Add logs, metrics and traces, with dashboards", O, true),
            task(
                "Ship through CI/CD with automatic rollback on failed health checks",
                R,
                true,
            ),
            task(
                "Write runbooks and set up cost dashboards before launch",
                U,
                true,
            ),
        ],
    },
    BuiltIn {
        id: "compliance-safeguards",
        name: "Compliance safeguards",
        description: "The safeguards every security questionnaire asks about first.",
        tasks: &[
            task("Serve everything over HTTPS, with HSTS", S, true),
            task(
                "Require MFA on every admin console and cloud account",
                S,
                true,
            ),
            task(
                "Keep secrets outside the repository, rotated and audited",
                S,
                true,
            ),
            task("Encrypt data at rest and in transit", S, true),
        ],
    },
];

/// The built-in template with `id`.
pub fn built_in(id: &str) -> Option<&'static BuiltIn> {
    BUILT_IN.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskTitle;

    #[test]
    fn the_template_ids_are_the_fixed_five() {
        let ids: Vec<&str> = BUILT_IN.iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            [
                "production-readiness",
                "core-audit",
                "quick-start",
                "prototype-to-production",
                "compliance-safeguards"
            ]
        );
    }

    #[test]
    fn each_template_has_the_number_of_tasks_the_method_sets() {
        let counts: Vec<usize> = BUILT_IN.iter().map(|t| t.tasks.len()).collect();
        assert_eq!(counts, [8, 16, 6, 7, 4]);
    }

    #[test]
    fn every_template_task_is_a_valid_task_title() {
        for template in BUILT_IN {
            for task in template.tasks {
                assert!(TaskTitle::parse(task.title).is_ok(), "{}", task.title);
            }
        }
    }
}
