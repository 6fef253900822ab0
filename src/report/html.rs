//! The report as a printable HTML page: one stylesheet with print rules, no
//! script, every piece of user text escaped. The route serves it with a
//! Content-Security-Policy that allows exactly [`STYLE`] and nothing else.

use super::Report;
use crate::domain::Pillar;
use std::fmt::Write;

/// The page's only stylesheet; its SHA-256 goes into the CSP.
pub const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;color:#1b1f24;max-width:52rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #c9d1d9;padding-bottom:.2rem;margin-top:2rem}\
h3{font-size:1rem;margin-bottom:.2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{border:1px solid #c9d1d9;padding:.3rem .5rem;text-align:left}th{background:#f0f3f6}\
.level{display:inline-block;padding:.1rem .6rem;border-radius:1rem;background:#0b5cad;color:#fff;font-weight:600}\
.overdue{color:#a40e26;font-weight:600}.muted{color:#57606a}\
@media print{body{margin:0;max-width:none;font-size:11pt}a{color:#1b1f24}h2{break-after:avoid}table,section{break-inside:avoid}}";

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn score(value: Option<u8>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

pub fn render(report: &Report) -> String {
    let card = &report.scorecard;
    let name = escape(report.project.name.as_str());
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Readiness report: {name}</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(out, "<h1>Readiness report: {name}</h1>");
    let next = card.next_level.map_or_else(String::new, |n| {
        format!(" <span class=\"muted\">next: {}</span>", n.as_str())
    });
    let _ = writeln!(
        out,
        "<p><span class=\"level\">{}</span>{next} <span class=\"muted\">· generated {}</span></p>",
        card.level.as_str(),
        Report::date(report.generated_at)
    );
    if let Some(description) = &report.project.description {
        let _ = writeln!(out, "<p>{}</p>", escape(description.as_str()));
    }
    if report.include_personal
        && let Some(owner) = &report.project.owner_email
    {
        let _ = writeln!(out, "<p>Owner: {}</p>", escape(owner.as_str()));
    }
    planning(&mut out, report);
    pillars(&mut out, report);
    to_do(&mut out, report);
    evidence(&mut out, report);
    open_tasks(&mut out, report);
    history(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn planning(out: &mut String, report: &Report) {
    use super::planning::Block;
    for block in super::planning::blocks(report) {
        match block {
            Block::Heading(text) => {
                let _ = writeln!(out, "<h2>{}</h2>", escape(&text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(&text));
            }
            Block::Table(header, rows) => {
                out.push_str("<table><thead><tr>");
                for cell in &header {
                    let _ = write!(out, "<th>{}</th>", escape(cell));
                }
                out.push_str("</tr></thead><tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in &row {
                        let _ = write!(out, "<td>{}</td>", escape(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table>\n");
            }
        }
    }
}

fn pillars(out: &mut String, report: &Report) {
    let personal = report.include_personal;
    out.push_str("<h2>Pillars</h2><table><thead><tr><th>Pillar</th><th>First</th><th>Now</th><th>Target</th><th>Change</th><th>Next checkpoint</th>");
    if personal {
        out.push_str("<th>Owner</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for p in &report.scorecard.pillars {
        let change = p
            .change
            .map_or_else(|| "–".to_owned(), |c| format!("{c:+}"));
        let checkpoint = match (&p.next_checkpoint, p.overdue) {
            (Some(date), true) => format!("<span class=\"overdue\">{date} (overdue)</span>"),
            (Some(date), false) => date.clone(),
            (None, _) => "–".to_owned(),
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{change}</td><td>{checkpoint}</td>",
            p.pillar.title(),
            score(p.first_score),
            score(p.score),
            score(p.target)
        );
        if personal {
            let owner = p.owner.as_deref().map_or_else(|| "–".to_owned(), escape);
            let _ = write!(out, "<td>{owner}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn to_do(out: &mut String, report: &Report) {
    let Some(next) = report.scorecard.next_level else {
        return;
    };
    let _ = writeln!(out, "<h2>To reach {}</h2>", next.as_str());
    let items = report.to_do();
    if items.is_empty() {
        let _ = writeln!(
            out,
            "<p>Nothing: every rule of {} holds.</p>",
            next.as_str()
        );
        return;
    }
    out.push_str("<ul>\n");
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", escape(item));
    }
    out.push_str("</ul>\n");
}

fn evidence(out: &mut String, report: &Report) {
    out.push_str("<h2>Evidence</h2>\n");
    for p in &report.scorecard.pillars {
        let _ = writeln!(
            out,
            "<section><h3>{} ({}/5, target {})</h3>",
            p.pillar.title(),
            score(p.score),
            score(p.target)
        );
        match p.evidence.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(evidence) => {
                let _ = writeln!(out, "<p>{}</p>", escape(evidence));
            }
            None => out.push_str("<p class=\"muted\">No evidence recorded yet.</p>\n"),
        }
        if !p.links.is_empty() {
            out.push_str("<ul>");
            for link in &p.links {
                let link = escape(link);
                let _ = write!(out, "<li><a href=\"{link}\">{link}</a></li>");
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
}

fn open_tasks(out: &mut String, report: &Report) {
    out.push_str("<h2>Open required tasks</h2>\n");
    let groups = report.required_open();
    for (pillar, required) in &groups {
        let _ = write!(out, "<h3>{}</h3><ul>", pillar.title());
        for task in required {
            let _ = write!(
                out,
                "<li>{} <span class=\"muted\">({})</span></li>",
                escape(task.title.as_str()),
                task.status.as_str().replace('_', " ")
            );
        }
        out.push_str("</ul>\n");
    }
    if groups.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
}

fn history(out: &mut String, report: &Report) {
    out.push_str("<h2>Assessment history</h2>\n");
    if report.history.is_empty() {
        out.push_str("<p>No assessment yet.</p>\n");
        return;
    }
    out.push_str("<table><thead><tr><th>Recorded</th>");
    for pillar in Pillar::ALL {
        let _ = write!(out, "<th>{}</th>", pillar.title());
    }
    out.push_str("</tr></thead><tbody>\n");
    for assessment in &report.history {
        let _ = write!(out, "<tr><td>{}</td>", Report::date(assessment.recorded_at));
        for pillar in Pillar::ALL {
            let cell = assessment.score_of(pillar).map_or_else(
                || "–".to_owned(),
                |s| format!("{} / {}", s.score.value(), s.target.value()),
            );
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_in_user_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
