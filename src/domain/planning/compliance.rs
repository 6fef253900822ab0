//! The compliance notes: the data inventory, the regulatory triggers, the
//! vendors, the review history and rhythm, and the guided start's scan.

use super::{FREE, ONE_LINE, PlanKind, required, text};
use crate::domain::DueDate;
use crate::domain::text::Problems;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A row of the data inventory: what is kept, from where, for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataItem {
    /// "Customer emails", "Payment tokens".
    #[schema(min_length = 1, max_length = 100)]
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub source: Option<String>,
    /// Where it is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub stored_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub retention: Option<String>,
    /// Who may access it (roles, not names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub access: Option<String>,
}

impl PlanKind for DataItem {
    const TABLE: &'static str = "compliance_inventory";
    const NOUN: &'static str = "data inventory row";
    const PERSONAL: &'static [&'static str] = &[];
    fn check(&self, p: &mut Problems) {
        required(p, "category", &self.category, 100);
        text(p, "source", self.source.as_deref(), 0, 200, ONE_LINE);
        text(p, "storedIn", self.stored_in.as_deref(), 0, 200, ONE_LINE);
        text(p, "retention", self.retention.as_deref(), 0, 200, ONE_LINE);
        text(p, "access", self.access.as_deref(), 0, 200, ONE_LINE);
    }
}

/// The standards and laws a trigger may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Standard {
    Gdpr,
    Hipaa,
    PciDss,
    Ferpa,
    Coppa,
    Other,
}

impl Standard {
    pub fn title(self) -> &'static str {
        match self {
            Self::Gdpr => "GDPR",
            Self::Hipaa => "HIPAA",
            Self::PciDss => "PCI DSS",
            Self::Ferpa => "FERPA",
            Self::Coppa => "COPPA",
            Self::Other => "Other",
        }
    }
}

/// Where a trigger stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerStatus {
    /// Not yet assessed.
    #[default]
    Open,
    /// It applies; the controls are being put in place.
    InProgress,
    /// It applies and the controls are in place.
    Met,
    /// It was assessed and does not apply.
    NotApplicable,
}

impl TriggerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in-progress",
            Self::Met => "met",
            Self::NotApplicable => "not-applicable",
        }
    }
}

/// A regulatory trigger: a standard or law, why it applies or not, and the
/// controls it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Trigger {
    pub standard: Standard,
    /// Why it applies, or why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, extensions(("x-multiline" = json!(true))))]
    pub reason: Option<String>,
    /// The controls it requires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, extensions(("x-multiline" = json!(true))))]
    pub controls: Option<String>,
    #[serde(default)]
    pub status: TriggerStatus,
}

impl PlanKind for Trigger {
    const TABLE: &'static str = "compliance_triggers";
    const NOUN: &'static str = "regulatory trigger";
    const PERSONAL: &'static [&'static str] = &[];
    fn check(&self, p: &mut Problems) {
        text(p, "reason", self.reason.as_deref(), 0, 1000, FREE);
        text(p, "controls", self.controls.as_deref(), 0, 1000, FREE);
    }
}

/// A vendor or integration that receives data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Vendor {
    #[schema(min_length = 1, max_length = 100)]
    pub vendor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, extensions(("x-multiline" = json!(true))))]
    pub data_shared: Option<String>,
    /// Whether its compliance (a DPA, SOC 2, …) was verified.
    #[serde(default)]
    pub compliance_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, extensions(("x-multiline" = json!(true))))]
    pub actions: Option<String>,
}

impl PlanKind for Vendor {
    const TABLE: &'static str = "compliance_vendors";
    const NOUN: &'static str = "vendor";
    const PERSONAL: &'static [&'static str] = &[];
    fn check(&self, p: &mut Problems) {
        required(p, "vendor", &self.vendor, 100);
        text(p, "dataShared", self.data_shared.as_deref(), 0, 500, FREE);
        text(p, "actions", self.actions.as_deref(), 0, 1000, FREE);
    }
}

/// One compliance review held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Review {
    #[schema(value_type = String, format = Date, example = "2026-11-20")]
    pub date: DueDate,
    /// Who held it (personal data: sealed at rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000, extensions(("x-multiline" = json!(true))))]
    pub findings: Option<String>,
}

impl PlanKind for Review {
    const TABLE: &'static str = "compliance_reviews";
    const NOUN: &'static str = "compliance review";
    const PERSONAL: &'static [&'static str] = &["reviewer"];
    fn check(&self, p: &mut Problems) {
        text(p, "reviewer", self.reviewer.as_deref(), 0, 100, ONE_LINE);
        text(p, "findings", self.findings.as_deref(), 0, 2000, FREE);
    }
}

/// The answers to the guided start's three plain-language questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scan {
    /// Where your users are and what data you store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, extensions(("x-multiline" = json!(true))))]
    pub users_and_data: Option<String>,
    /// Whether you touch payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<bool>,
    /// Whether you serve a regulated industry (health, education, children…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, extensions(("x-multiline" = json!(true))))]
    pub regulated_industry: Option<String>,
}

/// The three questions, in the order a person answers them.
pub const SCAN_QUESTIONS: [(&str, &str); 3] = [
    (
        "usersAndData",
        "Where are your users, and what data do you store about them?",
    ),
    (
        "payments",
        "Do you take, store or forward payments or card data?",
    ),
    (
        "regulatedIndustry",
        "Do you serve a regulated industry: health, education, children, finance?",
    ),
];

impl Scan {
    /// Checks the free-text answers, naming each field after `prefix`:
    /// `scan.` inside the rhythm, nothing when the scan is sent alone.
    pub(super) fn check(&self, p: &mut Problems, prefix: &str) {
        let answers = [
            ("usersAndData", self.users_and_data.as_deref()),
            ("regulatedIndustry", self.regulated_industry.as_deref()),
        ];
        for (field, answer) in answers {
            text(p, &format!("{prefix}{field}"), answer, 0, 500, FREE);
        }
    }

    /// The answers' problems, named as the scan's own fields.
    pub fn validate(&self) -> Result<(), Vec<crate::domain::FieldProblem>> {
        let mut problems = Problems::default();
        self.check(&mut problems, "");
        problems.finish(|| ())
    }

    /// The standards the answers point to.
    pub fn raises(&self) -> Vec<(Standard, String)> {
        let mut out = Vec::new();
        let has = |text: &Option<String>, words: &[&str]| {
            text.as_deref().is_some_and(|t| {
                let t = t.to_lowercase();
                words.iter().any(|w| t.contains(w))
            })
        };
        if has(
            &self.users_and_data,
            &[
                "eu", "europe", "uk", "gdpr", "germany", "france", "email", "name", "personal",
            ],
        ) {
            out.push((
                Standard::Gdpr,
                "the scan: users or personal data in scope of GDPR".into(),
            ));
        }
        if self.payments == Some(true) {
            out.push((
                Standard::PciDss,
                "the scan: the service touches payments".into(),
            ));
        }
        let industry = &self.regulated_industry;
        if has(industry, &["health", "medical", "patient", "hipaa"]) {
            out.push((Standard::Hipaa, "the scan: a health-care service".into()));
        }
        if has(industry, &["education", "school", "student", "ferpa"]) {
            out.push((Standard::Ferpa, "the scan: an education service".into()));
        }
        if has(industry, &["child", "kid", "minor", "under 13", "coppa"]) {
            out.push((
                Standard::Coppa,
                "the scan: users who may be children".into(),
            ));
        }
        out
    }
}

/// The compliance review rhythm, and the guided start's scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ComplianceRhythm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub last_reviewed: Option<DueDate>,
    /// A date (`YYYY-MM-DD`) or a milestone ("before the first pilot").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 120)]
    pub next_review: Option<String>,
    /// Who keeps the rhythm (personal data: sealed at rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub owner: Option<String>,
    /// The scan's answers; a `PUT` that leaves them out keeps them.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::domain::object::optional"
    )]
    pub scan: Option<Scan>,
}

impl PlanKind for ComplianceRhythm {
    const TABLE: &'static str = "compliance";
    const NOUN: &'static str = "compliance rhythm";
    const PERSONAL: &'static [&'static str] = &["owner"];
    fn check(&self, p: &mut Problems) {
        text(
            p,
            "nextReview",
            self.next_review.as_deref(),
            0,
            120,
            ONE_LINE,
        );
        if let Some(next) = self.next_review.as_deref()
            && looks_like_a_date(next)
        {
            // "2027-02-30" would otherwise be kept as a milestone and never
            // be flagged as passed.
            if DueDate::parse(next.trim()).is_err() {
                p.push(
                    "nextReview",
                    "is not a calendar date: write one as YYYY-MM-DD, or name a milestone in words",
                );
            }
        }
        text(p, "owner", self.owner.as_deref(), 0, 100, ONE_LINE);
        if let Some(scan) = &self.scan {
            scan.check(p, "scan.");
        }
    }

    /// The scan's answers are the scan's to change: a `PUT` of the rhythm
    /// without them keeps them.
    fn keep_omitted(&mut self, stored: Self) {
        if self.scan.is_none() {
            self.scan = stored.scan;
        }
    }
}

/// `dddd-dd-dd`: written as a date, so it must be one.
fn looks_like_a_date(text: &str) -> bool {
    let bytes = text.trim().as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

impl ComplianceRhythm {
    /// The next review as a date, when it is one rather than a milestone.
    pub fn next_review_date(&self) -> Option<DueDate> {
        self.next_review
            .as_deref()
            .and_then(|t| DueDate::parse(t.trim()).ok())
    }
}
