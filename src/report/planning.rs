//! The planning sections of the report: the North Star, the stakeholder
//! canvas and the compliance snapshot, as a list of plain blocks that each
//! format renders its own way (so both formats always hold the same facts).

use super::Report;

/// A block of the planning part of the report.
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// A header row and body rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

fn or_dash(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "–".to_owned())
}

/// The planning sections, each omitted when the project has nothing in it.
pub fn blocks(report: &Report) -> Vec<Block> {
    let planning = &report.planning;
    let mut out = Vec::new();
    let star = planning.north_star.as_ref().map(|r| &r.value);
    if star.is_some_and(|s| s.headline.is_some()) || !planning.alignment.is_empty() {
        out.push(Block::Heading("North Star".into()));
        if let Some(star) = star {
            if let Some(headline) = &star.headline {
                out.push(Block::Paragraph(headline.clone()));
            }
            if star.leading_metric.is_some() || star.metric_target.is_some() {
                out.push(Block::Paragraph(format!(
                    "Leading metric: {}; target: {}",
                    or_dash(&star.leading_metric),
                    or_dash(&star.metric_target)
                )));
            }
        }
        if !planning.alignment.is_empty() {
            let mut header: Vec<String> = [
                "Goal",
                "Success metric",
                "Deadline or guardrail",
                "Risks and mitigations",
            ]
            .map(str::to_owned)
            .to_vec();
            if report.include_personal {
                header.insert(3, "Stakeholders".into());
            }
            let rows = planning
                .alignment
                .iter()
                .map(|r| {
                    let v = &r.value;
                    let mut cells = vec![
                        v.goal.clone(),
                        or_dash(&v.success_metric),
                        or_dash(&v.guardrail),
                        or_dash(&v.risks),
                    ];
                    if report.include_personal {
                        cells.insert(3, or_dash(&v.stakeholders));
                    }
                    cells
                })
                .collect();
            out.push(Block::Table(header, rows));
        }
    }
    if !planning.stakeholders.is_empty() {
        out.push(Block::Heading("Stakeholders".into()));
        if report.include_personal {
            let header = [
                "Role or group",
                "Why they care",
                "Success looks like",
                "Cadence and channel",
                "Risks or questions",
                "Owner",
            ]
            .map(str::to_owned)
            .to_vec();
            let rows = planning
                .stakeholders
                .iter()
                .map(|r| {
                    let v = &r.value;
                    vec![
                        v.role.clone(),
                        or_dash(&v.why_they_care),
                        or_dash(&v.success),
                        or_dash(&v.cadence),
                        or_dash(&v.risks),
                        or_dash(&v.owner),
                    ]
                })
                .collect();
            out.push(Block::Table(header, rows));
        } else {
            let rows = planning
                .stakeholders
                .iter()
                .map(|r| vec![r.value.role.clone()])
                .collect();
            out.push(Block::Table(vec!["Role or group".into()], rows));
        }
    }
    compliance(report, &mut out);
    out
}

fn compliance(report: &Report, out: &mut Vec<Block>) {
    let planning = &report.planning;
    let rhythm = planning.compliance.as_ref().map(|r| &r.value);
    let any = rhythm.is_some_and(|r| r.next_review.is_some() || r.last_reviewed.is_some())
        || !planning.inventory.is_empty()
        || !planning.triggers.is_empty()
        || !planning.reviews.is_empty();
    if !any {
        return;
    }
    out.push(Block::Heading("Compliance".into()));
    let last = planning
        .last_review()
        .map_or_else(|| "never".to_owned(), String::from);
    let next = rhythm
        .and_then(|r| r.next_review.clone())
        .unwrap_or_else(|| "not set".into());
    let mut rhythm_line = format!("Last reviewed: {last}. Next review: {next}.");
    if report.include_personal
        && let Some(owner) = rhythm.and_then(|r| r.owner.as_ref())
    {
        rhythm_line.push_str(&format!(" Owner: {owner}."));
    }
    out.push(Block::Paragraph(rhythm_line));
    if !planning.inventory.is_empty() {
        let header = ["Data", "Source", "Stored in", "Retention", "Access"]
            .map(str::to_owned)
            .to_vec();
        let rows = planning
            .inventory
            .iter()
            .map(|r| {
                let v = &r.value;
                vec![
                    v.category.clone(),
                    or_dash(&v.source),
                    or_dash(&v.stored_in),
                    or_dash(&v.retention),
                    or_dash(&v.access),
                ]
            })
            .collect();
        out.push(Block::Table(header, rows));
    }
    if !planning.triggers.is_empty() {
        let header = ["Standard", "Status", "Why", "Controls"]
            .map(str::to_owned)
            .to_vec();
        let rows = planning
            .triggers
            .iter()
            .map(|r| {
                let v = &r.value;
                vec![
                    v.standard.title().to_owned(),
                    v.status.as_str().to_owned(),
                    or_dash(&v.reason),
                    or_dash(&v.controls),
                ]
            })
            .collect();
        out.push(Block::Table(header, rows));
    }
    if !planning.vendors.is_empty() {
        let header = ["Vendor", "Data shared", "Compliance verified", "Actions"]
            .map(str::to_owned)
            .to_vec();
        let rows = planning
            .vendors
            .iter()
            .map(|r| {
                let v = &r.value;
                let verified = if v.compliance_verified { "yes" } else { "no" };
                vec![
                    v.vendor.clone(),
                    or_dash(&v.data_shared),
                    verified.to_owned(),
                    or_dash(&v.actions),
                ]
            })
            .collect();
        out.push(Block::Table(header, rows));
    }
}
