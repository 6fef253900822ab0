//! Readiness assessments: a dated score of each of the four pillars, 1 to 5
//! on evidence, with a target, an owner and a next checkpoint. Assessments
//! are append-only; a wrong one is corrected by a newer one.

use super::text::{Lines, Problems, bounded_text};
use super::{DueDate, FieldProblem, Millis, ProjectId, TextError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The four pillars of production readiness. Their ids are fixed: scripts,
/// the UI and other tools rely on them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Pillar {
    Reliability,
    Security,
    Observability,
    Supportability,
}

impl Pillar {
    pub const ALL: [Pillar; 4] = [
        Pillar::Reliability,
        Pillar::Security,
        Pillar::Observability,
        Pillar::Supportability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reliability => "reliability",
            Self::Security => "security",
            Self::Observability => "observability",
            Self::Supportability => "supportability",
        }
    }

    /// The name a person reads: "Security".
    pub fn title(self) -> &'static str {
        match self {
            Self::Reliability => "Reliability",
            Self::Security => "Security",
            Self::Observability => "Observability",
            Self::Supportability => "Supportability",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim())
            .ok_or(TextError::Invalid(
                "must be one of reliability, security, observability, supportability",
            ))
    }
}

/// A score on the 1–5 scale (see [`LEGEND`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    pub fn parse(raw: i64) -> Result<Self, TextError> {
        u8::try_from(raw)
            .ok()
            .filter(|n| (1..=5).contains(n))
            .map(Self)
            .ok_or(TextError::Invalid("must be a whole number from 1 to 5"))
    }

    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = TextError;
    fn try_from(raw: u8) -> Result<Self, TextError> {
        Self::parse(i64::from(raw))
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

/// The scoring legend, shown wherever a score is entered.
pub const LEGEND: [(u8, &str, &str); 5] = [
    (1, "Nonexistent", "nothing in place yet"),
    (2, "Nascent", "ad-hoc, unreliable"),
    (
        3,
        "Emerging",
        "repeatable for core paths, fragile under stress",
    ),
    (4, "Mature", "consistent, documented, monitored"),
    (5, "Operationalized", "battle-tested, continuously improved"),
];

bounded_text!(
    /// What a score rests on: tests, dashboards, diffs. Describes the system,
    /// not people: operational, never personal data. At most 2,000 characters.
    Evidence, 0, 2000, Lines::Multi
);

bounded_text!(
    /// Who answers for a pillar. Personal data: sealed at rest.
    redacted PillarOwner, 1, 100, Lines::Single
);

/// A link to evidence: an absolute `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvidenceLink(String);

impl EvidenceLink {
    pub const MAX: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let raw = raw.trim();
        let invalid = TextError::Invalid(
            "must be an http or https URL, such as https://ci.example.com/run/42",
        );
        if raw.len() > Self::MAX || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid);
        }
        let url = url::Url::parse(raw).map_err(|_| invalid.clone())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EvidenceLink {
    type Error = TextError;
    fn try_from(raw: String) -> Result<Self, TextError> {
        Self::parse(&raw)
    }
}

impl From<EvidenceLink> for String {
    fn from(link: EvidenceLink) -> String {
        link.0
    }
}

/// At most this many links per pillar.
pub const MAX_LINKS: usize = 10;

/// One pillar's part of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PillarScore {
    pub pillar: Pillar,
    pub score: Score,
    pub target: Score,
    pub evidence: Evidence,
    pub links: Vec<EvidenceLink>,
    pub owner: Option<PillarOwner>,
    pub next_checkpoint: Option<DueDate>,
}

/// A pillar's score as a client sends it, before any rule is checked.
#[derive(Debug, Clone, Default)]
pub struct RawPillarScore {
    pub pillar: String,
    pub score: Option<i64>,
    pub target: Option<i64>,
    pub evidence: Option<String>,
    pub links: Vec<String>,
    pub owner: Option<String>,
    pub next_checkpoint: Option<String>,
}

/// A new assessment: every pillar scored exactly once, in pillar order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssessment {
    pub scores: Vec<PillarScore>,
}

impl NewAssessment {
    /// Checks every field of every pillar, naming each bad one as
    /// `scores[i].field`, and that each pillar appears exactly once.
    pub fn parse(raw: Vec<RawPillarScore>) -> Result<Self, Vec<FieldProblem>> {
        let mut problems = Problems::default();
        let mut scores: Vec<PillarScore> = Vec::with_capacity(4);
        for (i, raw) in raw.into_iter().enumerate() {
            let at = |field: &str| format!("scores[{i}].{field}");
            let pillar = problems.check(at("pillar"), Pillar::parse(&raw.pillar));
            let score = problems.check(at("score"), required_score(raw.score));
            let target = problems.check(at("target"), required_score(raw.target));
            let evidence = problems.check(
                at("evidence"),
                Evidence::parse(raw.evidence.as_deref().unwrap_or_default()),
            );
            let links = parse_links(&mut problems, i, &raw.links);
            let owner = raw
                .owner
                .as_deref()
                .filter(|o| !o.trim().is_empty())
                .and_then(|o| problems.check(at("owner"), PillarOwner::parse(o)));
            let next_checkpoint = raw
                .next_checkpoint
                .as_deref()
                .and_then(|d| problems.check(at("nextCheckpoint"), DueDate::parse(d)));
            if let (Some(pillar), Some(score), Some(target), Some(evidence), Some(links)) =
                (pillar, score, target, evidence, links)
            {
                if scores.iter().any(|s| s.pillar == pillar) {
                    problems.push(
                        at("pillar"),
                        format!(
                            "{} appears more than once; score each pillar exactly once",
                            pillar.as_str()
                        ),
                    );
                }
                scores.push(PillarScore {
                    pillar,
                    score,
                    target,
                    evidence,
                    links,
                    owner,
                    next_checkpoint,
                });
            }
        }
        let missing: Vec<&str> = Pillar::ALL
            .iter()
            .filter(|p| !scores.iter().any(|s| s.pillar == **p))
            .map(|p| p.as_str())
            .collect();
        if !missing.is_empty() && problems.is_empty() {
            problems.push(
                "scores",
                format!(
                    "every pillar must appear exactly once; missing {}",
                    missing.join(", ")
                ),
            );
        }
        scores.sort_by_key(|s| s.pillar);
        problems.finish(|| Self { scores })
    }
}

fn required_score(raw: Option<i64>) -> Result<Score, TextError> {
    raw.ok_or(TextError::Invalid(
        "is required: a whole number from 1 to 5",
    ))
    .and_then(Score::parse)
}

fn parse_links(problems: &mut Problems, i: usize, raw: &[String]) -> Option<Vec<EvidenceLink>> {
    if raw.len() > MAX_LINKS {
        problems.push(
            format!("scores[{i}].links"),
            format!("at most {MAX_LINKS} links"),
        );
        return None;
    }
    let mut links = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (j, link) in raw.iter().enumerate() {
        match problems.check(format!("scores[{i}].links[{j}]"), EvidenceLink::parse(link)) {
            Some(link) => links.push(link),
            None => ok = false,
        }
    }
    ok.then_some(links)
}

/// A recorded assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: super::AssessmentId,
    pub project_id: ProjectId,
    pub recorded_at: Millis,
    /// One per pillar, in pillar order.
    pub scores: Vec<PillarScore>,
}

impl Assessment {
    pub fn score_of(&self, pillar: Pillar) -> Option<&PillarScore> {
        self.scores.iter().find(|s| s.pillar == pillar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pillar: &str, score: i64) -> RawPillarScore {
        RawPillarScore {
            pillar: pillar.into(),
            score: Some(score),
            target: Some(4),
            evidence: Some("tests in CI".into()),
            ..Default::default()
        }
    }

    fn all(score: i64) -> Vec<RawPillarScore> {
        Pillar::ALL.iter().map(|p| raw(p.as_str(), score)).collect()
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn every_pillar_scored_once_is_an_assessment_in_pillar_order() {
        let mut scores = all(3);
        scores.reverse();
        let parsed = NewAssessment::parse(scores).unwrap();
        let order: Vec<Pillar> = parsed.scores.iter().map(|s| s.pillar).collect();
        assert_eq!(order, Pillar::ALL);
    }

    #[test]
    fn scores_of_zero_or_six_are_refused_naming_the_field() {
        let mut scores = all(3);
        scores[1].score = Some(0);
        scores[2].target = Some(6);
        let problems = NewAssessment::parse(scores).unwrap_err();
        assert_eq!(fields(&problems), ["scores[1].score", "scores[2].target"]);
    }

    #[test]
    fn an_unknown_pillar_a_repeat_or_a_missing_one_is_refused() {
        let mut unknown = all(3);
        unknown[0].pillar = "speed".into();
        assert_eq!(
            fields(&NewAssessment::parse(unknown).unwrap_err()),
            ["scores[0].pillar"]
        );
        let mut repeated = all(3);
        repeated[3].pillar = "security".into();
        assert_eq!(
            fields(&NewAssessment::parse(repeated).unwrap_err()),
            ["scores[3].pillar"]
        );
        let missing = all(3).into_iter().take(3).collect();
        assert_eq!(
            fields(&NewAssessment::parse(missing).unwrap_err()),
            ["scores"]
        );
    }

    #[test]
    fn links_must_be_http_urls_and_at_most_ten() {
        assert!(EvidenceLink::parse("https://ci.example.com/run/42").is_ok());
        for bad in [
            "ftp://x.example",
            "javascript:alert(1)",
            "https://",
            "not a url",
            "https://a b",
        ] {
            assert!(EvidenceLink::parse(bad).is_err(), "{bad} was accepted");
        }
        let mut scores = all(3);
        scores[0].links = vec!["https://x.example".into(); 11];
        assert_eq!(
            fields(&NewAssessment::parse(scores).unwrap_err()),
            ["scores[0].links"]
        );
    }

    #[test]
    fn a_bad_checkpoint_date_and_over_long_evidence_are_named() {
        let mut scores = all(3);
        scores[0].next_checkpoint = Some("2027-02-30".into());
        scores[1].evidence = Some("x".repeat(2001));
        assert_eq!(
            fields(&NewAssessment::parse(scores).unwrap_err()),
            ["scores[0].nextCheckpoint", "scores[1].evidence"]
        );
    }
}
