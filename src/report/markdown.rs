//! The report as Markdown, for a README or a pull request. Every piece of
//! user text is escaped, so a title cannot break a table or inject a link.

use super::Report;
use crate::domain::Pillar;
use std::fmt::Write;

/// Escapes the characters Markdown gives a meaning to, and keeps text on
/// one line where a table cell needs it.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn score(value: Option<u8>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let card = &report.scorecard;
    let project = &report.project;
    let _ = writeln!(
        out,
        "# Readiness report: {}\n",
        escape(project.name.as_str())
    );
    let next = card
        .next_level
        .map_or_else(String::new, |n| format!(" (next: {})", n.as_str()));
    let _ = writeln!(
        out,
        "**Level: {}**{next} · generated {}\n",
        card.level.as_str(),
        Report::date(report.generated_at)
    );
    if let Some(description) = &project.description {
        let _ = writeln!(out, "{}\n", escape(description.as_str()));
    }
    if report.include_personal
        && let Some(owner) = &project.owner_email
    {
        let _ = writeln!(out, "Owner: {}\n", escape(owner.as_str()));
    }
    planning(&mut out, report);
    pillars(&mut out, report);
    let to_do = report.to_do();
    if let Some(next) = card.next_level {
        let _ = writeln!(out, "## To reach {}\n", next.as_str());
        if to_do.is_empty() {
            let _ = writeln!(out, "Nothing: every rule of {} holds.\n", next.as_str());
        }
        for item in &to_do {
            let _ = writeln!(out, "- {}", escape(item));
        }
        if !to_do.is_empty() {
            out.push('\n');
        }
    }
    evidence(&mut out, report);
    open_tasks(&mut out, report);
    history(&mut out, report);
    out
}

fn planning(out: &mut String, report: &Report) {
    use super::planning::Block;
    for block in super::planning::blocks(report) {
        match block {
            Block::Heading(text) => {
                let _ = writeln!(out, "## {}\n", escape(&text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{}\n", escape(&text));
            }
            Block::Table(header, rows) => {
                let cells = |row: &[String]| {
                    row.iter()
                        .map(|c| escape(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                };
                let _ = writeln!(out, "| {} |", cells(&header));
                let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    let _ = writeln!(out, "| {} |", cells(&row));
                }
                out.push('\n');
            }
        }
    }
}

fn pillars(out: &mut String, report: &Report) {
    let personal = report.include_personal;
    let _ = writeln!(out, "## Pillars\n");
    let _ = write!(
        out,
        "| Pillar | First | Now | Target | Change | Next checkpoint |"
    );
    if personal {
        out.push_str(" Owner |");
    }
    let _ = write!(out, "\n|---|---|---|---|---|---|");
    if personal {
        out.push_str("---|");
    }
    out.push('\n');
    for p in &report.scorecard.pillars {
        let change = p
            .change
            .map_or_else(|| "–".to_owned(), |c| format!("{c:+}"));
        let checkpoint = match (&p.next_checkpoint, p.overdue) {
            (Some(date), true) => format!("{date} (overdue)"),
            (Some(date), false) => date.clone(),
            (None, _) => "–".to_owned(),
        };
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {change} | {checkpoint} |",
            p.pillar.title(),
            score(p.first_score),
            score(p.score),
            score(p.target),
        );
        if personal {
            let owner = p.owner.as_deref().map_or_else(|| "–".to_owned(), escape);
            let _ = write!(out, " {owner} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn evidence(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Evidence\n");
    for p in &report.scorecard.pillars {
        let _ = writeln!(
            out,
            "### {} ({}/5, target {})\n",
            p.pillar.title(),
            score(p.score),
            score(p.target)
        );
        match p.evidence.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(evidence) => {
                let _ = writeln!(out, "{}\n", escape(evidence));
            }
            None => out.push_str("No evidence recorded yet.\n\n"),
        }
        for link in &p.links {
            // A link is an http(s) URL checked on the way in; angle brackets
            // make Markdown take it whole.
            let _ = writeln!(out, "- <{}>", link.replace('>', "%3E"));
        }
        if !p.links.is_empty() {
            out.push('\n');
        }
    }
}

fn open_tasks(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Open required tasks\n");
    let groups = report.required_open();
    for (pillar, required) in &groups {
        let _ = writeln!(out, "### {}\n", pillar.title());
        for task in required {
            let _ = writeln!(
                out,
                "- [ ] {} ({})",
                escape(task.title.as_str()),
                task.status.as_str().replace('_', " ")
            );
        }
        out.push('\n');
    }
    if groups.is_empty() {
        out.push_str("None.\n\n");
    }
}

fn history(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Assessment history\n");
    if report.history.is_empty() {
        out.push_str("No assessment yet.\n");
        return;
    }
    let _ = write!(out, "| Recorded |");
    for pillar in Pillar::ALL {
        let _ = write!(out, " {} |", pillar.title());
    }
    out.push_str("\n|---|---|---|---|---|\n");
    for assessment in &report.history {
        let _ = write!(out, "| {} |", Report::date(assessment.recorded_at));
        for pillar in Pillar::ALL {
            let cell = assessment.score_of(pillar).map_or_else(
                || "–".to_owned(),
                |s| format!("{} / {}", s.score.value(), s.target.value()),
            );
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_characters_in_user_text_are_escaped() {
        assert_eq!(escape("a|b *c* [x](y) #1"), "a\\|b \\*c\\* \\[x\\](y) \\#1");
        assert_eq!(escape("two\nlines"), "two lines");
    }
}
