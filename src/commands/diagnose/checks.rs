//! The checks `launchpad diagnose` runs, one function per area, each
//! turning what it finds into a finding with a severity and a fix; kept
//! apart from the report they feed so each rule can be read (and tested)
//! on its own.

use super::{Finding, Severity, finding};
use crate::config::{IdentityOrigin, Settings, display_path};
use crate::domain::{Millis, now_millis, rfc3339};
use crate::readiness::{disk_space, mib};
use crate::store::StoreFacts;
use std::path::Path;

pub(super) fn config(settings: &Settings) -> Vec<Finding> {
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

pub(super) fn identity(settings: &Settings, store_exists: bool) -> Finding {
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

pub(super) fn schema(facts: &StoreFacts) -> Finding {
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

pub(super) fn data_key(settings: &Settings, facts: &StoreFacts) -> Finding {
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

pub(super) fn backup(settings: &Settings, facts: &StoreFacts) -> Finding {
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

pub(super) fn disk(settings: &Settings) -> Finding {
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
    use crate::config::Overrides;
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
