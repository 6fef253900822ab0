//! `launchpad diagnose`: the core audit of a deployment, as a readable
//! summary or a JSON report, so an operator (or a cron job) sees in one
//! command what would hurt at 2 a.m.: configuration problems and drift, an
//! exposed identity, a key past its rotation policy, a stale backup, a
//! filling disk, a schema out of step with the binary, and, on PostgreSQL,
//! the server that answers and how.
//!
//! Store facts come from the running server over the admin socket, or from
//! a read-only open when no server runs, so diagnosing never changes the
//! store. Any critical finding makes the command exit non-zero.
//!
//! The report and its output live here; the check of each area lives in
//! `checks`.

mod checks;
mod database;

use super::CommandError;
use crate::admin::{self, Reached, Request};
use crate::cli::DiagnoseArgs;
use crate::config::{Overrides, Settings, display_path};
use crate::domain::{Millis, now_millis};
use crate::store::{self, StoreFacts, classification};
use anyhow::{Context, anyhow};
use checks::{backup, config, data_key, disk, identity, schema};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Warning,
    Critical,
}

/// One thing looked at.
#[derive(Debug, Serialize)]
pub struct Finding {
    /// `config`, `identity`, `data_key`, `backup`, `store`, `database`, `disk`, `schema` or `classification`.
    pub area: &'static str,
    pub severity: Severity,
    pub summary: String,
    /// What to do about it; empty when nothing.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub version: &'static str,
    #[serde(with = "crate::domain::rfc3339")]
    pub generated_at: Millis,
    /// The worst severity found.
    pub status: Severity,
    pub findings: Vec<Finding>,
    /// Every stored field and its class.
    pub classification: Vec<serde_json::Value>,
}

fn finding(area: &'static str, severity: Severity, summary: String, fix: &str) -> Finding {
    Finding {
        area,
        severity,
        summary,
        fix: fix.to_owned(),
    }
}

pub fn diagnose(overrides: &Overrides, args: &DiagnoseArgs) -> Result<(), CommandError> {
    let overrides = Overrides {
        identity_not_needed: true,
        ..overrides.clone()
    };
    let (findings, config_error) = match Settings::load(&overrides) {
        Ok(settings) => (audit(&settings), None),
        Err(e) => {
            let findings = e
                .problems
                .iter()
                .map(|p| finding("config", Severity::Critical, p.to_string(), &p.fix))
                .collect();
            (findings, Some(e))
        }
    };
    let report = Report {
        version: crate::cli::VERSION,
        generated_at: now_millis(),
        status: findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok),
        findings,
        classification: classification::FIELDS
            .iter()
            .map(|f| {
                serde_json::json!({
                    "table": f.table, "field": f.field,
                    "class": f.class.to_string(), "protection": f.protection(),
                })
            })
            .collect(),
    };
    let json = serde_json::to_string_pretty(&report).expect("the report serializes");
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{json}\n"))
            .with_context(|| format!("writing the report to {}", display_path(out)))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print_summary(&report);
    }
    if let Some(e) = config_error {
        return Err(e.into());
    }
    let critical = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    if critical > 0 {
        return Err(anyhow!(
            "{critical} critical finding(s); fix them and run `launchpad diagnose` again"
        )
        .into());
    }
    Ok(())
}

fn print_summary(report: &Report) {
    println!("launchpad {} diagnose", report.version);
    for f in &report.findings {
        let mark = match f.severity {
            Severity::Ok => "ok      ",
            Severity::Warning => "WARNING ",
            Severity::Critical => "CRITICAL",
        };
        println!("{mark} {:<14} {}", f.area, f.summary);
        if !f.fix.is_empty() {
            println!("{:>24}fix: {}", "", f.fix);
        }
    }
    let count = |s| report.findings.iter().filter(|f| f.severity == s).count();
    println!(
        "{} critical, {} warning(s), {} ok",
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Ok)
    );
}

fn audit(settings: &Settings) -> Vec<Finding> {
    let mut findings = config(settings);
    let location = match super::store_location(settings) {
        Ok(location) => location,
        Err(e) => {
            findings.push(finding(
                "store",
                Severity::Critical,
                e.to_string(),
                "check the store.postgres_* settings with `launchpad config check`",
            ));
            return findings;
        }
    };
    let store_file = location.shown();
    let exists = location.exists().unwrap_or(true);
    findings.push(identity(settings, exists));
    match facts(settings, &location, exists) {
        Ok(Some(facts)) => {
            let described = match &location {
                store::Location::Folder(dir) => {
                    let size = std::fs::metadata(dir.join(store::FILE_NAME)).map_or(0, |m| m.len());
                    format!("redb, {store_file} ({:.1} MiB)", size as f64 / 1_048_576.0)
                }
                store::Location::Postgres(_) => format!("PostgreSQL, {store_file}"),
            };
            findings.push(finding("store", Severity::Ok, described, ""));
            findings.push(schema(&facts));
            if let Some(pending) = sql_schema_pending(&location) {
                findings.push(pending);
            }
            findings.push(data_key(settings, &facts));
            findings.push(backup(settings, &facts));
        }
        Ok(None) => findings.push(finding(
            "store",
            Severity::Warning,
            format!("no store in {store_file} yet"),
            "start `launchpad serve` once to create it",
        )),
        Err(e) => findings.push(finding(
            "store",
            Severity::Critical,
            format!("cannot read {store_file}: {e}"),
            "see runbooks/store-corruption.md",
        )),
    }
    findings.extend(database::database(settings));
    findings.push(disk(settings));
    let summary: Vec<String> = classification::summary()
        .iter()
        .map(|(class, n)| format!("{n} {class}"))
        .collect();
    findings.push(finding(
        "classification",
        Severity::Ok,
        format!(
            "{} stored fields classified: {}; pii sealed with the data key",
            classification::FIELDS.len(),
            summary.join(", ")
        ),
        "",
    ));
    findings
}

/// On PostgreSQL, the schema steps this binary would still apply.
fn sql_schema_pending(location: &store::Location) -> Option<Finding> {
    let plan = store::migration_plan(location).ok()?;
    if matches!(location, store::Location::Folder(_)) {
        return None;
    }
    Some(if plan.schema.is_empty() {
        finding(
            "database_schema",
            Severity::Ok,
            "every PostgreSQL schema step applied".to_owned(),
            "",
        )
    } else {
        let steps: Vec<String> = plan.schema.iter().map(|s| s.version.to_string()).collect();
        finding(
            "database_schema",
            Severity::Warning,
            format!("PostgreSQL schema steps pending: {}", steps.join(", ")),
            "run `launchpad migrate` once, from one instance",
        )
    })
}

fn facts(
    settings: &Settings,
    location: &store::Location,
    exists: bool,
) -> anyhow::Result<Option<StoreFacts>> {
    match admin::call(&settings.data_dir, &Request::StoreFacts)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => {
            let value = answer.map_err(|e| anyhow!("the server says: {e}"))?;
            Ok(Some(serde_json::from_value(value)?))
        }
        Reached::NoServer if !exists => Ok(None),
        Reached::NoServer => Ok(Some(store::read_facts(location)?)),
    }
}
