//! The open database handle, and its re-opening after an I/O error.
//!
//! redb latches the first I/O error it meets (a full disk, say): from then
//! on every operation of that `Database` fails with "Previous I/O error
//! occurred. Please close and re-open the database." So the handle lives in
//! one slot shared by every reader and the writer. Callers borrow it for one
//! transaction at a time; only the writer re-opens it, once the disk takes
//! writes again, and only when nobody else holds it (the file lock allows one
//! `Database` per file).

use super::engine::Db;
use super::error::{Outage, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub struct DbSlot {
    path: PathBuf,
    cache_bytes: usize,
    current: RwLock<Option<Db>>,
}

impl DbSlot {
    /// The slot of `db`, whose file (over redb) is `path`.
    pub fn new(db: Db, path: PathBuf, cache_bytes: usize) -> Self {
        Self {
            path,
            cache_bytes,
            current: RwLock::new(Some(db)),
        }
    }

    /// The database, for one transaction or one piece of work. While it is
    /// being re-opened this is a short outage, never a wait.
    pub fn get(&self) -> Result<Db, StoreError> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Unavailable(Outage::Reopening))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the database and opens it again, which runs redb's repair if
    /// the file was not closed cleanly. Readers that hold the old handle get
    /// up to `patience` to finish; if they do not, the old handle is put back
    /// and the caller tries again later. If opening fails the slot stays
    /// empty: reads are refused until a later attempt succeeds, rather than
    /// served from a handle that can no longer read.
    pub fn reopen(&self, patience: Duration) -> Result<(), StoreError> {
        if let Some(Db::Postgres(_)) = &*self.current.read().unwrap_or_else(|e| e.into_inner()) {
            // A lost connection is the pool's to replace; nothing to re-open.
            return Ok(());
        }
        if let Taken::Busy = self.take(patience) {
            return Err(StoreError::Unavailable(Outage::Failed(
                "a long read (a backup?) still holds the store; re-opening later".into(),
            )));
        }
        let db = super::open_database(&self.path, self.cache_bytes)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Db::Redb(Arc::new(db)));
        Ok(())
    }

    /// Takes the handle out of the slot and waits up to `patience` for every
    /// other holder to let go, then drops it, which closes the file. When
    /// someone still holds it, it is put back.
    pub fn take(&self, patience: Duration) -> Taken {
        let Some(taken) = self
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return Taken::Empty;
        };
        let Db::Redb(mut db) = taken else {
            // The pool closes its connections as the last handle drops.
            return Taken::Closed;
        };
        let deadline = Instant::now() + patience;
        loop {
            match Arc::try_unwrap(db) {
                Ok(db) => {
                    drop(db);
                    return Taken::Closed;
                }
                Err(shared) if Instant::now() < deadline => {
                    db = shared;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(shared) => {
                    *self.current.write().unwrap_or_else(|e| e.into_inner()) =
                        Some(Db::Redb(shared));
                    return Taken::Busy;
                }
            }
        }
    }
}

/// What [`DbSlot::take`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The handle was the last one and is closed now.
    Closed,
    /// The slot was already empty.
    Empty,
    /// Someone still held it; it is back in the slot.
    Busy,
}
