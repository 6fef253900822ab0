//! The project report: the one document a team hands to a stakeholder or an
//! investor's security questionnaire. Markdown to paste into a README, or
//! printable HTML (print CSS, no script).
//!
//! It shows the level and what the next one needs, each pillar before and
//! after against its target, the evidence and links, the open required
//! tasks by pillar and the assessment history. Personal data (owners, the
//! project owner's email) appears only when the caller asks for it and may.
//! The HTTP route and `launchpad report` render the same [`Report`].

mod html;
mod markdown;
mod planning;

use crate::domain::scorecard::{OpenTask, Scorecard};
use crate::domain::{Assessment, Millis, Pillar, Project};

pub use html::{STYLE, render as html};
pub use markdown::render as markdown;

/// Everything a report shows.
pub struct Report {
    pub project: Project,
    /// The North Star, the stakeholders and the compliance notes.
    pub planning: crate::store::planning::Planning,
    pub scorecard: Scorecard,
    /// Oldest first.
    pub history: Vec<Assessment>,
    /// Show owners and the owner's email.
    pub include_personal: bool,
    pub generated_at: Millis,
}

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "md" | "markdown" => Some(Self::Markdown),
            "html" => Some(Self::Html),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
        }
    }
}

/// Renders `report` as `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Markdown => markdown(report),
        Format::Html => html(report),
    }
}

impl Report {
    /// The failing rules up to and including the next level: what to do next.
    fn to_do(&self) -> Vec<&str> {
        let Some(next) = self.scorecard.next_level else {
            return Vec::new();
        };
        self.scorecard
            .rules
            .iter()
            .filter(|r| !r.ok && r.level <= next)
            .map(|r| r.detail.as_str())
            .collect()
    }

    /// The open required tasks, by pillar, leaving out pillars with none.
    fn required_open(&self) -> Vec<(Pillar, Vec<&OpenTask>)> {
        self.scorecard
            .pillars
            .iter()
            .map(|p| {
                (
                    p.pillar,
                    p.open_tasks
                        .iter()
                        .filter(|t| t.required)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, tasks)| !tasks.is_empty())
            .collect()
    }

    fn date(at: Millis) -> String {
        crate::domain::rfc3339::format(at)[..10].to_owned()
    }
}
