//! The planning half of a readiness review: the North Star, the stakeholder
//! canvas and the compliance notes. Each is a short table a team revisits
//! after every major decision.
//!
//! Every kind of row is a plain struct (the API body and the stored value
//! alike) with a [`PlanKind`] saying which table holds it, which of its
//! fields are personal data (sealed at rest) and how to check it. The store
//! and the routes treat every kind the same way.

mod compliance;

pub use compliance::{
    ComplianceRhythm, DataItem, Review, SCAN_QUESTIONS, Scan, Standard, Trigger, TriggerStatus,
    Vendor,
};

use super::FieldProblem;
use super::text::{Bounds, Lines, Problems};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One kind of planning record.
pub trait PlanKind: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// The row table that holds it.
    const TABLE: &'static str;
    /// What an audit entry and a message call one: "stakeholder".
    const NOUN: &'static str;
    /// The JSON fields (camelCase) that hold personal data.
    const PERSONAL: &'static [&'static str];
    /// Every rule beyond the field types, each broken one named.
    fn check(&self, problems: &mut Problems);

    /// For a one-per-project record set whole with `PUT`: takes from the
    /// stored value what a `PUT` of this kind leaves alone when it omits it.
    fn keep_omitted(&mut self, _stored: Self) {}

    fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Problems::default();
        self.check(&mut problems);
        problems.finish(|| ())
    }
}

/// Checks an optional text field against its bounds.
fn text(
    problems: &mut Problems,
    field: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
    lines: Lines,
) {
    if let Some(value) = value {
        problems.check(field, Bounds { min, max, lines }.parse(value));
    }
}

pub(crate) fn required(problems: &mut Problems, field: &str, value: &str, max: usize) {
    problems.check(
        field,
        Bounds {
            min: 1,
            max,
            lines: Lines::Single,
        }
        .parse(value),
    );
}

pub(crate) const ONE_LINE: Lines = Lines::Single;
pub(crate) const FREE: Lines = Lines::Multi;

/// The project's North Star: the sentence that defines "production-ready"
/// for it, and the metric that shows progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NorthStar {
    /// One sentence, e.g. "Ship daily without customer-visible downtime or data loss".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub headline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 120)]
    pub leading_metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 120)]
    pub metric_target: Option<String>,
}

impl PlanKind for NorthStar {
    const TABLE: &'static str = "north_stars";
    const NOUN: &'static str = "north star";
    const PERSONAL: &'static [&'static str] = &[];
    fn check(&self, p: &mut Problems) {
        text(p, "headline", self.headline.as_deref(), 0, 200, ONE_LINE);
        text(
            p,
            "leadingMetric",
            self.leading_metric.as_deref(),
            0,
            120,
            ONE_LINE,
        );
        text(
            p,
            "metricTarget",
            self.metric_target.as_deref(),
            0,
            120,
            ONE_LINE,
        );
    }
}

/// A row of the North Star's alignment table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlignmentRow {
    /// The goal or outcome.
    #[schema(min_length = 1, max_length = 200)]
    pub goal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub success_metric: Option<String>,
    /// A deadline or guardrail: a budget, a time window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub guardrail: Option<String>,
    /// Who depends on it (personal data: sealed at rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub stakeholders: Option<String>,
    /// Risks and mitigations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, extensions(("x-multiline" = json!(true))))]
    pub risks: Option<String>,
}

impl PlanKind for AlignmentRow {
    const TABLE: &'static str = "north_star_rows";
    const NOUN: &'static str = "alignment row";
    const PERSONAL: &'static [&'static str] = &["stakeholders"];
    fn check(&self, p: &mut Problems) {
        required(p, "goal", &self.goal, 200);
        text(
            p,
            "successMetric",
            self.success_metric.as_deref(),
            0,
            200,
            ONE_LINE,
        );
        text(p, "guardrail", self.guardrail.as_deref(), 0, 200, ONE_LINE);
        text(
            p,
            "stakeholders",
            self.stakeholders.as_deref(),
            0,
            200,
            ONE_LINE,
        );
        text(p, "risks", self.risks.as_deref(), 0, 1000, FREE);
    }
}

/// A row of the stakeholder canvas. Every field may name people, so every
/// field is personal data, sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Stakeholder {
    /// A role or group: "Head of support", "Pilot customers".
    #[schema(min_length = 1, max_length = 100)]
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, extensions(("x-multiline" = json!(true))))]
    pub why_they_care: Option<String>,
    /// What success looks like to them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, extensions(("x-multiline" = json!(true))))]
    pub success: Option<String>,
    /// The communication cadence and channel: "weekly, #launch".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub cadence: Option<String>,
    /// Risks or open questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, extensions(("x-multiline" = json!(true))))]
    pub risks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub owner: Option<String>,
}

impl PlanKind for Stakeholder {
    const TABLE: &'static str = "stakeholders";
    const NOUN: &'static str = "stakeholder";
    const PERSONAL: &'static [&'static str] = &[
        "role",
        "whyTheyCare",
        "success",
        "cadence",
        "risks",
        "owner",
    ];
    fn check(&self, p: &mut Problems) {
        required(p, "role", &self.role, 100);
        text(
            p,
            "whyTheyCare",
            self.why_they_care.as_deref(),
            0,
            500,
            FREE,
        );
        text(p, "success", self.success.as_deref(), 0, 500, FREE);
        text(p, "cadence", self.cadence.as_deref(), 0, 200, ONE_LINE);
        text(p, "risks", self.risks.as_deref(), 0, 1000, FREE);
        text(p, "owner", self.owner.as_deref(), 0, 100, ONE_LINE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(problems: Vec<FieldProblem>) -> Vec<String> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_stakeholder_needs_a_role_and_keeps_its_text_within_bounds() {
        let row = Stakeholder {
            role: " ".into(),
            why_they_care: Some("x".repeat(501)),
            success: None,
            cadence: Some("weekly\nand more".into()),
            risks: None,
            owner: None,
        };
        assert_eq!(
            fields(row.validate().unwrap_err()),
            ["role", "whyTheyCare", "cadence"]
        );
    }

    #[test]
    fn every_stakeholder_field_is_personal() {
        let row = serde_json::to_value(Stakeholder {
            role: "r".into(),
            why_they_care: Some("w".into()),
            success: Some("s".into()),
            cadence: Some("c".into()),
            risks: Some("k".into()),
            owner: Some("o".into()),
        })
        .unwrap();
        let names: Vec<&String> = row.as_object().unwrap().keys().collect();
        for name in names {
            assert!(Stakeholder::PERSONAL.contains(&name.as_str()), "{name}");
        }
    }

    #[test]
    fn the_scan_raises_gdpr_pci_and_the_industry_standards() {
        let scan = Scan {
            users_and_data: Some("Customers in the EU; we store emails".into()),
            payments: Some(true),
            regulated_industry: Some("Health clinics".into()),
        };
        let raised: Vec<Standard> = scan.raises().into_iter().map(|(s, _)| s).collect();
        assert_eq!(raised, [Standard::Gdpr, Standard::PciDss, Standard::Hipaa]);
        assert!(Scan::default().raises().is_empty());
    }

    #[test]
    fn a_next_review_is_a_date_or_a_milestone() {
        let dated = ComplianceRhythm {
            next_review: Some("2027-03-01".into()),
            ..Default::default()
        };
        let milestone = ComplianceRhythm {
            next_review: Some("before the first pilot".into()),
            ..Default::default()
        };
        assert!(dated.next_review_date().is_some());
        assert!(milestone.next_review_date().is_none());
    }

    #[test]
    fn a_next_review_written_as_a_date_must_be_a_calendar_date() {
        let rhythm = |next: &str| ComplianceRhythm {
            next_review: Some(next.into()),
            ..Default::default()
        };

        assert_eq!(
            fields(rhythm("2027-02-30").validate().unwrap_err()),
            ["nextReview"]
        );
        assert!(rhythm("2027-02-28").validate().is_ok());
        assert!(rhythm("Q3 2027, before the pilot").validate().is_ok());
    }

    #[test]
    fn a_scan_alone_names_its_own_fields_and_inside_the_rhythm_under_scan() {
        let scan = Scan {
            users_and_data: Some("x".repeat(501)),
            ..Default::default()
        };
        let rhythm = ComplianceRhythm {
            scan: Some(scan.clone()),
            ..Default::default()
        };

        assert_eq!(fields(scan.validate().unwrap_err()), ["usersAndData"]);
        assert_eq!(
            fields(rhythm.validate().unwrap_err()),
            ["scan.usersAndData"]
        );
    }
}
