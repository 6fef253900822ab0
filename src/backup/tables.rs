//! Which tables a backup carries and how their rows become frames and back.
//!
//! Sessions are left out on purpose: after a restore everyone signs in again.

use super::format::Frame;
use crate::store::StoreError;
use crate::store::engine::{Db, ReadTx, WriteTx};
use crate::store::tables::{
    ASSESSMENTS, AUDIT, CHECKLISTS, COMPLIANCE, COMPLIANCE_INVENTORY, COMPLIANCE_REVIEWS,
    COMPLIANCE_TRIGGERS, COMPLIANCE_VENDORS, IDEMPOTENCY, JOURNAL, META, NORTH_STAR_ROWS,
    NORTH_STARS, PROJECTS, STAKEHOLDERS, TASKS, TEMPLATES, TOKEN_HASHES, TOKENS, USER_EMAILS,
    USERS,
};
use redb::TableDefinition;

/// The four shapes of key and value the backed-up tables have.
#[derive(Clone, Copy)]
pub enum Shape {
    Named(TableDefinition<'static, &'static str, &'static [u8]>),
    Id(TableDefinition<'static, u128, &'static [u8]>),
    Pair(TableDefinition<'static, (u128, u128), &'static [u8]>),
    Index(TableDefinition<'static, &'static [u8], u128>),
}

/// Every backed-up table: its id in the frames, its name, its shape.
pub const BACKED_UP: &[(u8, &str, Shape)] = &[
    (1, "meta", Shape::Named(META)),
    (2, "projects", Shape::Id(PROJECTS)),
    (3, "checklists", Shape::Pair(CHECKLISTS)),
    (4, "tasks", Shape::Pair(TASKS)),
    (5, "journal", Shape::Id(JOURNAL)),
    (6, "users", Shape::Id(USERS)),
    (7, "user_emails", Shape::Index(USER_EMAILS)),
    (8, "tokens", Shape::Id(TOKENS)),
    (9, "token_hashes", Shape::Index(TOKEN_HASHES)),
    (10, "audit", Shape::Id(AUDIT)),
    (11, "assessments", Shape::Pair(ASSESSMENTS)),
    (12, "templates", Shape::Id(TEMPLATES)),
    (13, "north_stars", Shape::Pair(NORTH_STARS)),
    (14, "north_star_rows", Shape::Pair(NORTH_STAR_ROWS)),
    (15, "stakeholders", Shape::Pair(STAKEHOLDERS)),
    (16, "compliance", Shape::Pair(COMPLIANCE)),
    (
        17,
        "compliance_inventory",
        Shape::Pair(COMPLIANCE_INVENTORY),
    ),
    (18, "compliance_triggers", Shape::Pair(COMPLIANCE_TRIGGERS)),
    (19, "compliance_vendors", Shape::Pair(COMPLIANCE_VENDORS)),
    (20, "compliance_reviews", Shape::Pair(COMPLIANCE_REVIEWS)),
    (21, "idempotency", Shape::Id(IDEMPOTENCY)),
];

pub fn name(id: u8) -> Option<&'static str> {
    BACKED_UP
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, n, _)| *n)
}

/// The frame id of the table called `name`.
pub fn id(name: &str) -> Option<u8> {
    BACKED_UP
        .iter()
        .find(|(_, n, _)| *n == name)
        .map(|(i, _, _)| *i)
}

fn shape(id: u8) -> Option<Shape> {
    BACKED_UP
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, _, s)| *s)
}

/// Opens a table for reading; a table an older schema lacks reads as empty.
macro_rules! open_or_skip {
    ($tx:expr, $def:expr, $empty:expr) => {
        $tx.open_table($def)?
    };
}

/// Rows in a table, for the manifest.
pub fn count(tx: &ReadTx, shape: Shape) -> Result<u64, StoreError> {
    Ok(match shape {
        Shape::Named(def) => open_or_skip!(tx, def, 0).len()?,
        Shape::Id(def) => open_or_skip!(tx, def, 0).len()?,
        Shape::Pair(def) => open_or_skip!(tx, def, 0).len()?,
        Shape::Index(def) => open_or_skip!(tx, def, 0).len()?,
    })
}

/// Takes one row's key and value bytes.
pub type RowSink<'s> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 's;

/// Hands every row of one table to `each` as the bytes a backup frame
/// carries (keys big-endian), in key order.
pub fn dump(tx: &ReadTx, shape: Shape, each: &mut RowSink<'_>) -> Result<(), StoreError> {
    match shape {
        Shape::Named(def) => {
            for row in open_or_skip!(tx, def, ()).iter()? {
                let (k, v) = row?;
                each(k.value().as_bytes(), v.value())?;
            }
        }
        Shape::Id(def) => {
            for row in open_or_skip!(tx, def, ()).iter()? {
                let (k, v) = row?;
                each(&k.value().to_be_bytes(), v.value())?;
            }
        }
        Shape::Pair(def) => {
            for row in open_or_skip!(tx, def, ()).iter()? {
                let (k, v) = row?;
                let (a, b) = k.value();
                each(&[a.to_be_bytes(), b.to_be_bytes()].concat(), v.value())?;
            }
        }
        Shape::Index(def) => {
            for row in open_or_skip!(tx, def, ()).iter()? {
                let (k, v) = row?;
                each(k.value(), &v.value().to_be_bytes())?;
            }
        }
    }
    Ok(())
}

/// Checks a frame's key and value lengths for its table.
pub fn check_frame(id: u8, key: &[u8], value: &[u8]) -> Result<(), String> {
    let ok = match shape(id) {
        Some(Shape::Named(_)) => !key.is_empty() && std::str::from_utf8(key).is_ok(),
        Some(Shape::Id(_)) => key.len() == 16,
        Some(Shape::Pair(_)) => key.len() == 32,
        Some(Shape::Index(_)) => key.len() == 32 && value.len() == 16,
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a malformed row in table {}",
            name(id).unwrap_or("?")
        ))
    }
}

fn id_of(bytes: &[u8]) -> u128 {
    u128::from_be_bytes(bytes[..16].try_into().expect("checked"))
}

/// Writes streamed frames into a store: rows are gathered in runs of one
/// table (at most [`RUN`]), so memory stays small whatever the backup holds.
///
/// Into a new store file ([`Loader::new`]) it commits every
/// [`COMMIT_EVERY`] rows: the file is built beside the live one and only
/// swapped in when whole, so the intermediate commits are never seen. Into
/// a store in use ([`Loader::replacing`], a PostgreSQL database) it clears
/// every backed-up table and loads in one transaction, so the previous data
/// stays until the new data is committed.
pub struct Loader<'d> {
    db: &'d Db,
    run: Vec<(u8, Vec<u8>, Vec<u8>)>,
    since_commit: usize,
    commit_every: usize,
    clear_first: bool,
    tx: Option<WriteTx>,
}

const RUN: usize = 4096;
const COMMIT_EVERY: usize = 50_000;

impl<'d> Loader<'d> {
    pub fn new(db: &'d Db) -> Self {
        Self {
            db,
            run: Vec::with_capacity(RUN),
            since_commit: 0,
            commit_every: COMMIT_EVERY,
            clear_first: false,
            tx: None,
        }
    }

    /// Replaces what `db` holds, in one transaction.
    pub fn replacing(db: &'d Db) -> Self {
        Self {
            commit_every: usize::MAX,
            clear_first: true,
            ..Self::new(db)
        }
    }

    pub fn push(&mut self, frame: &Frame<'_>) -> Result<(), StoreError> {
        check_frame(frame.table, frame.key, frame.value).map_err(StoreError::Corrupt)?;
        if self.run.len() >= RUN || self.run.last().is_some_and(|r| r.0 != frame.table) {
            self.flush()?;
        }
        self.run
            .push((frame.table, frame.key.to_vec(), frame.value.to_vec()));
        Ok(())
    }

    /// Writes what is gathered, creates every table (an empty one too) and
    /// commits.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.flush()?;
        let tx = self.transaction()?;
        for (_, _, shape) in BACKED_UP {
            match *shape {
                Shape::Named(def) => drop(tx.open_table(def)?),
                Shape::Id(def) => drop(tx.open_table(def)?),
                Shape::Pair(def) => drop(tx.open_table(def)?),
                Shape::Index(def) => drop(tx.open_table(def)?),
            }
        }
        self.tx.take().expect("opened above").commit()?;
        Ok(())
    }

    fn transaction(&mut self) -> Result<&WriteTx, StoreError> {
        if self.tx.is_none() {
            let tx = self.db.begin_write()?;
            if std::mem::take(&mut self.clear_first) {
                for (_, _, shape) in BACKED_UP {
                    match *shape {
                        Shape::Named(def) => tx.clear_table(def)?,
                        Shape::Id(def) => tx.clear_table(def)?,
                        Shape::Pair(def) => tx.clear_table(def)?,
                        Shape::Index(def) => tx.clear_table(def)?,
                    }
                }
            }
            self.tx = Some(tx);
        }
        Ok(self.tx.as_ref().expect("set above"))
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let Some(id) = self.run.first().map(|r| r.0) else {
            return Ok(());
        };
        let rows = std::mem::take(&mut self.run);
        let tx = self.transaction()?;
        match shape(id) {
            Some(Shape::Named(def)) => {
                let mut table = tx.open_table(def)?;
                for (_, key, value) in &rows {
                    let name = std::str::from_utf8(key)
                        .map_err(|_| StoreError::Corrupt("a meta key that is not text".into()))?;
                    table.insert(name, value.as_slice())?;
                }
            }
            Some(Shape::Id(def)) => {
                let mut table = tx.open_table(def)?;
                for (_, key, value) in &rows {
                    table.insert(id_of(key), value.as_slice())?;
                }
            }
            Some(Shape::Pair(def)) => {
                let mut table = tx.open_table(def)?;
                for (_, key, value) in &rows {
                    table.insert((id_of(key), id_of(&key[16..])), value.as_slice())?;
                }
            }
            Some(Shape::Index(def)) => {
                let mut table = tx.open_table(def)?;
                for (_, key, value) in &rows {
                    table.insert(key.as_slice(), id_of(value))?;
                }
            }
            None => {
                return Err(StoreError::Corrupt(format!(
                    "a frame for unknown table {id}"
                )));
            }
        }
        self.since_commit += rows.len();
        self.run = rows;
        self.run.clear();
        if self.since_commit >= self.commit_every {
            self.since_commit = 0;
            self.tx.take().expect("opened above").commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_table_is_backed_up() {
        for table in crate::store::tables::ROW_TABLES {
            assert!(
                BACKED_UP.iter().any(|(_, name, _)| *name == table.name),
                "{} is not in BACKED_UP",
                table.name
            );
        }
    }

    #[test]
    fn frame_ids_increase_in_table_order() {
        let ids: Vec<u8> = BACKED_UP.iter().map(|(id, _, _)| *id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }
}
