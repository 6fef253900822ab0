//! `launchpad diagnose`: the core audit of a deployment, as a readable
//! summary or a JSON report, so an operator (or a cron job) sees in one
//! command what would hurt at 2 a.m.: configuration problems and drift, an
//! exposed identity, a key past its rotation policy, a stale backup, a
//! filling disk, a schema out of step with the binary.
//!
//! Store facts come from the running server over the admin socket, or from
//! a read-only open when no server runs, so diagnosing never changes the
//! store. Any critical finding makes the command exit non-zero.

use super::CommandError;
use crate::admin::{self, Reached, Request};
use crate::cli::DiagnoseArgs;
use crate::config::{IdentityOrigin, Overrides, Settings, display_path};
use crate::domain::{Millis, now_millis, rfc3339};
use crate::readiness::{disk_space, mib};
use crate::store::{self, StoreFacts, classification};
use anyhow::{Context, anyhow};
use serde::Serialize;
use std::path::Path;

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
    /// `config`, `identity`, `data_key`, `backup`, `store`, `disk`, `schema` or `classification`.
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
    let store_file = settings.data_dir.join(store::FILE_NAME);
    findings.push(identity(settings, store_file.exists()));
    match facts(settings, &store_file) {
        Ok(Some(facts)) => {
            let size = std::fs::metadata(&store_file).map_or(0, |m| m.len());
            findings.push(finding(
                "store",
                Severity::Ok,
                format!(
                    "{} ({:.1} MiB)",
                    display_path(&store_file),
                    size as f64 / 1_048_576.0
                ),
                "",
            ));
            findings.push(schema(&facts));
            findings.push(data_key(settings, &facts));
            findings.push(backup(settings, &facts));
        }
        Ok(None) => findings.push(finding(
            "store",
            Severity::Warning,
            format!("no store at {} yet", display_path(&store_file)),
            "start `launchpad serve` once to create it",
        )),
        Err(e) => findings.push(finding(
            "store",
            Severity::Critical,
            format!("cannot read {}: {e}", display_path(&store_file)),
            "see runbooks/store-corruption.md",
        )),
    }
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

fn facts(settings: &Settings, store_file: &Path) -> anyhow::Result<Option<StoreFacts>> {
    match admin::call(&settings.data_dir, &Request::StoreFacts)
        .context("asking the running server")?
    {
        Reached::Answered(answer) => {
            let value = answer.map_err(|e| anyhow!("the server says: {e}"))?;
            Ok(Some(serde_json::from_value(value)?))
        }
        Reached::NoServer if !store_file.exists() => Ok(None),
        Reached::NoServer => Ok(Some(store::read_facts(store_file)?)),
    }
}

fn config(settings: &Settings) -> Vec<Finding> {
    let mut findings: Vec<Finding> = settings
        .drift
        .iter()
        .map(|d| {
            finding(
                "config",
                Severity::Warning,
                format!("drift: {} ({}) is not a known key", d.name, d.origin),
                &d.hint,
            )
        })
        .collect();
    findings.extend(
        settings
            .warnings()
            .into_iter()
            .map(|w| finding("config", Severity::Warning, w, "")),
    );
    if findings.is_empty() {
        let source = settings
            .config_file
            .as_deref()
            .map_or("defaults and environment".to_owned(), display_path);
        findings.push(finding(
            "config",
            Severity::Ok,
            format!("valid, no drift ({:?}, from {source})", settings.env),
            "",
        ));
    }
    findings
}

fn identity(settings: &Settings, store_exists: bool) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    let path = &settings.identity.path;
    let shown = display_path(path);
    let Ok(meta) = std::fs::metadata(path) else {
        if !store_exists && settings.identity.origin == IdentityOrigin::DevelopmentDefault {
            return finding(
                "identity",
                Severity::Warning,
                format!(
                    "{shown} does not exist yet; the first start creates it inside the data folder (development only)"
                ),
                "for production create one elsewhere: `launchpad keys init --identity /etc/launchpad/age-identity`",
            );
        }
        return finding(
            "identity",
            Severity::Critical,
            format!("{shown} does not exist or cannot be read: the store cannot start"),
            "restore it from its offline copy (runbooks/lost-identity.md)",
        );
    };
    let mode = meta.permissions().mode() & 0o777;
    match crate::crypto::Identity::check_private(path) {
        Ok(()) => finding(
            "identity",
            Severity::Ok,
            format!("{shown}, mode {mode:04o}, readable by its owner only"),
            "",
        ),
        Err(_) => finding(
            "identity",
            Severity::Critical,
            format!(
                "{shown} has mode {mode:04o}: group or others can read the key that opens personal data"
            ),
            &format!("chmod 600 {shown}"),
        ),
    }
}

fn schema(facts: &StoreFacts) -> Finding {
    let (found, latest) = (facts.schema_version, facts.latest_schema_version);
    if found > latest {
        finding(
            "schema",
            Severity::Critical,
            format!("the store is at schema {found}, newer than this binary's {latest}"),
            "run the newer launchpad, or restore a backup taken by this version",
        )
    } else if found < latest {
        finding(
            "schema",
            Severity::Warning,
            format!("the store is at schema {found}; this binary migrates it to {latest} at start"),
            "take a backup, then restart (runbooks/upgrade.md)",
        )
    } else {
        finding(
            "schema",
            Severity::Ok,
            format!("schema {found}, current"),
            "",
        )
    }
}

fn days(since: Millis) -> i64 {
    now_millis().saturating_sub(since) / 86_400_000
}

fn data_key(settings: &Settings, facts: &StoreFacts) -> Finding {
    let Some(key) = &facts.data_key else {
        return finding(
            "data_key",
            Severity::Critical,
            "the store has no data key".into(),
            "see runbooks/store-corruption.md",
        );
    };
    let age = days(key.created_at);
    let policy = (settings.ops.key_rotation.as_secs() / 86_400) as i64;
    let summary = format!(
        "{} created {} ({age} days ago; rotation policy {policy} days)",
        key.fingerprint,
        rfc3339::format(key.created_at)
    );
    if age >= policy {
        finding(
            "data_key",
            Severity::Warning,
            summary,
            "run `launchpad keys rotate`, then take a backup (runbooks/key-rotation.md)",
        )
    } else {
        finding("data_key", Severity::Ok, summary, "")
    }
}

fn backup(settings: &Settings, facts: &StoreFacts) -> Finding {
    let at = facts.last_backup.as_ref().map(|b| b.at);
    let fresh = settings.ops.backup_fresh(at, now_millis());
    let policy = settings.ops.backup_max_age.map(|d| d.as_secs() / 3600);
    let summary = match (&facts.last_backup, policy) {
        (Some(b), Some(hours)) => format!(
            "last backup {} ({} h ago; policy {hours} h), {}",
            rfc3339::format(b.at),
            now_millis().saturating_sub(b.at) / 3_600_000,
            display_path(&b.path)
        ),
        (Some(b), None) => format!(
            "last backup {}, {}; no freshness policy (backup.max_age_hours = 0)",
            rfc3339::format(b.at),
            display_path(&b.path)
        ),
        (None, _) => "no backup has been taken".to_owned(),
    };
    let fix = "run `launchpad backup --out …` and check launchpad-backup.timer (runbooks/backup-stale.md)";
    match (fresh, &facts.last_backup) {
        (false, _) => finding("backup", Severity::Critical, summary, fix),
        (true, None) => finding("backup", Severity::Warning, summary, fix),
        (true, Some(_)) => finding("backup", Severity::Ok, summary, ""),
    }
}

fn disk(settings: &Settings) -> Finding {
    let folder = if settings.data_dir.exists() {
        settings.data_dir.as_path()
    } else {
        settings.data_dir.parent().unwrap_or(Path::new("."))
    };
    let minimum = settings.ops.min_free_disk_bytes;
    match disk_space(folder) {
        Ok(space) => {
            let summary = format!(
                "{} MiB free of {} MiB at {} (minimum {} MiB)",
                mib(space.free_bytes),
                mib(space.size_bytes),
                display_path(folder),
                mib(minimum)
            );
            if space.free_bytes < minimum {
                finding(
                    "disk",
                    Severity::Critical,
                    summary,
                    "free space or grow the volume (runbooks/disk-full.md)",
                )
            } else if space.free_bytes < minimum.saturating_mul(2) {
                finding("disk", Severity::Warning, summary, "plan more space")
            } else {
                finding("disk", Severity::Ok, summary, "")
            }
        }
        Err(e) => finding(
            "disk",
            Severity::Critical,
            format!("cannot read free space at {}: {e}", display_path(folder)),
            "",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::KeyInfo;

    fn settings(env: &[(&str, &str)]) -> Settings {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let overrides = Overrides {
            data_dir: Some("/tmp/launchpad-diagnose-unit".into()),
            ..Default::default()
        };
        Settings::from_sources(&overrides, &env).unwrap()
    }

    fn facts_with_key_aged(days: i64) -> StoreFacts {
        StoreFacts {
            schema_version: 4,
            latest_schema_version: 4,
            data_key: Some(KeyInfo {
                fingerprint: "lpk1:0123".into(),
                recipients: vec![],
                created_at: now_millis() - days * 86_400_000,
            }),
            last_backup: None,
        }
    }

    #[test]
    fn a_data_key_past_the_rotation_policy_is_a_warning_and_within_it_ok() {
        let default_policy = settings(&[]);
        let short_policy = settings(&[("LAUNCHPAD_KEYS_ROTATION_DAYS", "7")]);

        assert_eq!(
            data_key(&default_policy, &facts_with_key_aged(91)).severity,
            Severity::Warning
        );
        assert_eq!(
            data_key(&default_policy, &facts_with_key_aged(89)).severity,
            Severity::Ok
        );
        let late = data_key(&short_policy, &facts_with_key_aged(8));
        assert_eq!(late.severity, Severity::Warning);
        assert!(late.fix.contains("keys rotate"));
    }

    #[test]
    fn a_store_newer_than_the_binary_is_critical_and_an_older_one_a_warning() {
        let mut facts = facts_with_key_aged(0);
        facts.schema_version = 5;
        assert_eq!(schema(&facts).severity, Severity::Critical);
        facts.schema_version = 3;
        assert_eq!(schema(&facts).severity, Severity::Warning);
    }
}
