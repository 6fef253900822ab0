//! Ordered, idempotent schema steps, run when the store opens.
//!
//! The `meta` table records the version reached. Each step runs in its own
//! transaction together with the version bump, so an interrupted start resumes
//! at the first step that did not commit. `launchpad migrate --plan` lists
//! the steps a store still needs without writing anything.

use super::StoreError;
use super::tables::{CHECKLISTS, META, PROJECTS, TASKS, meta_key};
use redb::{ReadableTable, WriteTransaction};

/// One schema step.
pub struct Migration {
    pub version: u32,
    pub description: &'static str,
    apply: fn(&WriteTransaction) -> Result<(), StoreError>,
}

/// Every step, in order. Append only: a released step never changes.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "create the meta, projects, checklists and tasks tables",
    apply: create_core_tables,
}];

/// The schema version this binary writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The steps still to run on a store at `current`.
pub fn pending(current: u32) -> impl Iterator<Item = &'static Migration> {
    MIGRATIONS.iter().filter(move |m| m.version > current)
}

fn create_core_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
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

/// Reads the schema version from a `meta` table (0 for a store never migrated).
pub fn version_in(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u32, StoreError> {
    match meta.get(meta_key::SCHEMA_VERSION)? {
        None => Ok(0),
        Some(row) => <[u8; 4]>::try_from(row.value())
            .map(u32::from_be_bytes)
            .map_err(|_| StoreError::Corrupt("the schema version in the meta table".into())),
    }
}

/// Brings the store up to [`latest_version`], returning the version it started at.
pub fn run(db: &redb::Database) -> Result<u32, StoreError> {
    let start = {
        let tx = db.begin_write()?;
        let version = version_in(&tx.open_table(META)?)?;
        tx.commit()?;
        version
    };
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
        let tx = db.begin_write()?;
        (step.apply)(&tx)?;
        tx.open_table(META)?.insert(
            meta_key::SCHEMA_VERSION,
            step.version.to_be_bytes().as_slice(),
        )?;
        tx.commit()?;
    }
    Ok(start)
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
