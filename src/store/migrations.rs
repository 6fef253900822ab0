//! Ordered, idempotent schema steps, run when the store opens.
//!
//! The `meta` table records the version reached. Each step runs in its own
//! transaction together with the version bump, so an interrupted start resumes
//! at the first step that did not commit. `launchpad migrate --plan` lists
//! the steps a store still needs without writing anything.

use super::error::StoreError;
use super::tables::{CHECKLISTS, META, PROJECTS, TASKS, meta_key};
use crate::crypto::Keyring;
use crate::store::engine::WriteTx;
use crate::store::engine::{Db, Table};

/// One schema step.
pub struct Migration {
    pub version: u32,
    pub description: &'static str,
    apply: fn(&WriteTx, &Keyring) -> Result<(), StoreError>,
}

/// Every step, in order. Append only: a released step never changes.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "create the meta, projects, checklists and tasks tables",
        apply: create_core_tables,
    },
    Migration {
        version: 2,
        description: "seal personal fields (project ownerEmail, task notes) under the data key",
        apply: seal_personal_fields,
    },
    Migration {
        version: 3,
        description: "create the journal table for point-in-time recovery",
        apply: create_journal,
    },
    Migration {
        version: 4,
        description: "create the users, sessions, tokens and audit tables",
        apply: create_account_tables,
    },
    Migration {
        version: 5,
        description: "create the assessments and templates tables for readiness scorecards",
        apply: create_readiness_tables,
    },
    Migration {
        version: 6,
        description: "create the planning tables: North Star, stakeholders and compliance notes",
        apply: create_planning_tables,
    },
    Migration {
        version: 7,
        description: "create the idempotency table, which keeps the answers to retried POSTs for a day",
        apply: create_idempotency_table,
    },
];

fn create_idempotency_table(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    tx.open_table(super::tables::IDEMPOTENCY)?;
    Ok(())
}

fn create_planning_tables(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    for table in super::tables::PLANNING {
        tx.open_table(*table)?;
    }
    Ok(())
}

fn create_readiness_tables(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    tx.open_table(super::tables::ASSESSMENTS)?;
    tx.open_table(super::tables::TEMPLATES)?;
    Ok(())
}

fn create_account_tables(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    use super::tables::{AUDIT, SESSIONS, TOKEN_HASHES, TOKENS, USER_EMAILS, USERS};
    tx.open_table(USERS)?;
    tx.open_table(USER_EMAILS)?;
    tx.open_table(SESSIONS)?;
    tx.open_table(TOKENS)?;
    tx.open_table(TOKEN_HASHES)?;
    tx.open_table(AUDIT)?;
    Ok(())
}

fn create_journal(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    tx.open_table(super::tables::JOURNAL)?;
    Ok(())
}

/// The schema version this binary writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The steps still to run on a store at `current`.
pub fn pending(current: u32) -> impl Iterator<Item = &'static Migration> {
    MIGRATIONS.iter().filter(move |m| m.version > current)
}

fn create_core_tables(tx: &WriteTx, _: &Keyring) -> Result<(), StoreError> {
    tx.open_table(PROJECTS)?;
    tx.open_table(CHECKLISTS)?;
    tx.open_table(TASKS)?;
    let mut meta = tx.open_table(META)?;
    if meta.get(meta_key::CREATED_AT)?.is_none() {
        let now = crate::domain::now_millis();
        meta.insert(meta_key::CREATED_AT, now.to_be_bytes().as_slice())?;
    }
    Ok(())
}

/// Version 1 kept `owner_email` and `notes` as plain strings; seal them.
fn seal_personal_fields(tx: &WriteTx, ring: &Keyring) -> Result<(), StoreError> {
    super::sealed::seal_plain_fields(tx, ring, 2)
}

/// Reads the schema version from a `meta` table (0 for a store never migrated).
pub fn version_in(meta: &Table<'_, &'static str, &'static [u8]>) -> Result<u32, StoreError> {
    match meta.get(meta_key::SCHEMA_VERSION)? {
        None => Ok(0),
        Some(row) => <[u8; 4]>::try_from(row.value())
            .map(u32::from_be_bytes)
            .map_err(|_| StoreError::Corrupt("the schema version in the meta table".into())),
    }
}

/// The schema version of an open store, read without writing.
pub fn current_version(db: &Db) -> Result<u32, StoreError> {
    current_version_of(db)
}

/// [`current_version`] for any readable database, read-only ones included.
pub fn current_version_of(db: &Db) -> Result<u32, StoreError> {
    let tx = db.begin_read()?;
    version_in(&tx.open_table(META)?)
}

/// Brings the store up to [`latest_version`], returning the version it started at.
pub fn run(db: &Db, ring: &Keyring) -> Result<u32, StoreError> {
    let start = current_version(db)?;
    if start > latest_version() {
        return Err(StoreError::TooNew {
            found: start,
            supported: latest_version(),
        });
    }
    for step in pending(start) {
        tracing::info!(
            version = step.version,
            step = step.description,
            "applying migration"
        );
        let status = format!("applying migration {}: {}", step.version, step.description);
        keep_start_alive(&status, || -> Result<(), StoreError> {
            let tx = db.begin_write()?;
            // Another instance on the same database may have applied it
            // while this one waited for the write lock.
            if version_in(&tx.open_table(META)?)? >= step.version {
                return tx.abort();
            }
            (step.apply)(&tx, ring)?;
            tx.open_table(META)?.insert(
                meta_key::SCHEMA_VERSION,
                step.version.to_be_bytes().as_slice(),
            )?;
            tx.commit()?;
            Ok(())
        })?;
    }
    Ok(start)
}

/// Asks the service manager for `extra` more start time, saying why.
pub type StartExtender = fn(std::time::Duration, &str);

static START_EXTENDER: std::sync::OnceLock<StartExtender> = std::sync::OnceLock::new();

/// Installs the hook long migrations call to keep a start from timing out
/// (the service's systemd notify); without one they just run.
pub fn on_long_start(extend: StartExtender) {
    let _ = START_EXTENDER.set(extend);
}

/// Runs `work` while asking for more start time every 20 s, so a migration
/// over a large store is never cut short by `TimeoutStartSec`.
fn keep_start_alive<T>(status: &str, work: impl FnOnce() -> T) -> T {
    const EXTRA: std::time::Duration = std::time::Duration::from_secs(60);
    let Some(extend) = START_EXTENDER.get().copied() else {
        return work();
    };
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                extend(EXTRA, status);
                match finished.recv_timeout(EXTRA / 3) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
        });
        let result = work();
        drop(done);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_versions_are_strictly_increasing_from_one() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<u32> = (1..=MIGRATIONS.len() as u32).collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn a_fresh_store_needs_every_step_and_a_current_one_none() {
        assert_eq!(pending(0).count(), MIGRATIONS.len());
        assert_eq!(pending(latest_version()).count(), 0);
    }
}
