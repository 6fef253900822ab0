//! Whether the service can do its job right now, check by check: the store
//! commits, the disk has room, the data key is loaded and its identity still
//! unwraps it, the last backup meets the policy, the configuration has no
//! drift, and an admin exists.
//!
//! `/ready` answers with these checks, `/metrics` exports them as
//! `launchpad_ready_check{check}`, and the systemd watchdog is fed only while
//! the store check passes.

use crate::config::{OpsSettings, Settings};
use crate::domain::now_millis;
use crate::store::Store;
use serde::Serialize;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// One readiness check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    /// `store`, `disk`, `data_key`, `backup`, `config` or `admin`.
    pub name: &'static str,
    pub ok: bool,
    /// What was found, or what is wrong and what to do; left out for
    /// callers outside `metrics.allowed_networks`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The readiness answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    pub checks: Vec<Check>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Free and total space of the filesystem holding a path.
#[derive(Debug, Clone, Copy)]
pub struct DiskSpace {
    /// Space an unprivileged writer may still use.
    pub free_bytes: u64,
    pub size_bytes: u64,
}

pub fn disk_space(path: &Path) -> std::io::Result<DiskSpace> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(DiskSpace {
        free_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
        size_bytes: stat.f_blocks.saturating_mul(stat.f_frsize),
    })
}

pub fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// Everything the checks look at, gathered once at start.
#[derive(Clone)]
pub struct Checker {
    store: Store,
    ops: OpsSettings,
    data_dir: PathBuf,
    identity: PathBuf,
    /// Unknown or deprecated configuration keys, as an operator should read them.
    drift: Vec<String>,
}

impl Checker {
    pub fn new(store: Store, settings: &Settings) -> Self {
        Self {
            store,
            ops: settings.ops.clone(),
            data_dir: settings.data_dir.clone(),
            identity: settings.identity.path.clone(),
            drift: settings
                .drift
                .iter()
                .map(|d| format!("{} ({}): {}", d.name, d.origin, d.hint))
                .collect(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn ops(&self) -> &OpsSettings {
        &self.ops
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn drift(&self) -> &[String] {
        &self.drift
    }

    /// Runs every check; the blocking ones off the async executor.
    pub async fn run(&self) -> Readiness {
        let store = self.store_check().await;
        let this = self.clone();
        let span = tracing::Span::current();
        let rest =
            tokio::task::spawn_blocking(move || span.in_scope(|| this.blocking_checks())).await;
        let mut checks = vec![store];
        match rest {
            Ok(rest) => checks.extend(rest),
            Err(e) => checks.push(Check {
                name: "store",
                ok: false,
                detail: format!("the checks could not run: {e}"),
            }),
        }
        let status = if checks.iter().all(|c| c.ok) {
            "ready"
        } else {
            "not ready"
        };
        Readiness { status, checks }
    }

    /// A real commit through the writer and a write in the data folder.
    pub async fn store_check(&self) -> Check {
        check(
            "store",
            self.store
                .probe()
                .await
                .map(|()| {
                    if self.store.pool_status().is_some() {
                        "readable and writable: a round trip and a commit to PostgreSQL, and a file write in the data folder"
                    } else {
                        "readable and writable: a commit and a file write were fsync'd"
                    }
                    .into()
                })
                .map_err(|e| e.to_string()),
        )
    }

    fn blocking_checks(&self) -> Vec<Check> {
        vec![
            check("disk", self.disk()),
            check(
                "data_key",
                self.store
                    .confirm_key(&self.identity)
                    .map(|info| {
                        format!(
                            "{} loaded; the identity {} unwraps it",
                            info.fingerprint,
                            self.identity.display()
                        )
                    })
                    .map_err(|e| e.to_string()),
            ),
            check("backup", self.backup()),
            check("config", self.config()),
            check("admin", self.admin()),
        ]
    }

    fn disk(&self) -> Result<String, String> {
        let space = disk_space(&self.data_dir).map_err(|e| {
            format!(
                "cannot read the free space of {}: {e}",
                self.data_dir.display()
            )
        })?;
        let detail = format!(
            "{} MiB free of {} MiB; the minimum is {} MiB (ready.min_free_disk_mb)",
            mib(space.free_bytes),
            mib(space.size_bytes),
            mib(self.ops.min_free_disk_bytes)
        );
        if space.free_bytes >= self.ops.min_free_disk_bytes {
            Ok(detail)
        } else {
            Err(format!(
                "{detail}; free space or grow the disk (see runbooks/disk-full.md)"
            ))
        }
    }

    fn backup(&self) -> Result<String, String> {
        let last = self.store.last_backup().map_err(|e| e.to_string())?;
        let at = last.as_ref().map(|b| b.at);
        let Some(limit) = self.ops.backup_max_age else {
            return Ok(match at {
                Some(at) => format!(
                    "last backup at {}; no freshness policy (backup.max_age_hours = 0)",
                    crate::domain::rfc3339::format(at)
                ),
                None => "no backup yet; no freshness policy (backup.max_age_hours = 0)".into(),
            });
        };
        let hours = limit.as_secs() / 3600;
        let fresh = self.ops.backup_fresh(at, now_millis());
        match (at, fresh) {
            (Some(at), true) => Ok(format!(
                "last backup at {}, within {hours} h",
                crate::domain::rfc3339::format(at)
            )),
            (Some(at), false) => Err(format!(
                "the last backup, at {}, is older than {hours} h; run `launchpad backup --out …` and check the backup timer",
                crate::domain::rfc3339::format(at)
            )),
            (None, _) => Err(format!(
                "no backup has been taken and the policy wants one every {hours} h; run `launchpad backup --out …`"
            )),
        }
    }

    fn config(&self) -> Result<String, String> {
        if self.drift.is_empty() {
            Ok("no unknown or deprecated keys".into())
        } else {
            Err(format!(
                "configuration drift: {}; `launchpad config check` lists it",
                self.drift.join("; ")
            ))
        }
    }

    fn admin(&self) -> Result<String, String> {
        match self.store.admin_exists() {
            Ok(true) => Ok("an admin account exists".into()),
            Ok(false) => Err(
                "no admin account exists; run `launchpad user add --email … --role admin`".into(),
            ),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    let (ok, detail) = match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check { name, ok, detail }
}
