//! What can go wrong in the store, and which failures are outages.
//!
//! An [`Outage`] is a failure of the storage underneath (a full disk, an I/O
//! error) rather than of one request: the writer refuses every change while
//! it lasts and recovers on its own once the disk takes writes again.

use crate::crypto::KeyError;
use crate::domain::{ChecklistId, ProjectId, TaskId};
use std::path::PathBuf;
use std::sync::Arc;

/// Which record a request named that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Project(ProjectId),
    Checklist(ChecklistId),
    Task(TaskId),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0:?} not found")]
    NotFound(Missing),
    #[error("the store at {0} is held by another process (is `launchpad serve` running?)")]
    Locked(PathBuf),
    #[error(
        "the store's schema version {found} is newer than this binary supports ({supported}); run a newer launchpad or restore a backup taken by this version"
    )]
    TooNew { found: u32, supported: u32 },
    #[error(
        "the store at {0} was not closed cleanly and needs the repair that `launchpad serve` runs at start; start the service once (or run `launchpad migrate`) and look again"
    )]
    NeedsRepair(PathBuf),
    #[error("the store is shutting down")]
    Closed,
    #[error("{0}")]
    Unavailable(Outage),
    #[error("the store holds a record it cannot read: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Storage(#[from] redb::Error),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Conflict(String),
    /// PostgreSQL refused a statement (not a lost connection: an outage).
    #[error("the PostgreSQL database refused a statement: {0}")]
    Database(String),
    /// `If-Match` named another version than the one stored, now this one.
    #[error("the resource changed since it was read; it is now at {0:?}")]
    Changed(crate::domain::Version),
    #[error(transparent)]
    Key(KeyError),
    #[error(
        "the store's data key {fingerprint} is wrapped for {recipients:?}, but the identity {path} (public key {recipient}) cannot unwrap it.\nlikely cause: the wrong identity file, or a store copied from another installation.\nfix: point --identity or LAUNCHPAD_IDENTITY_FILE at the identity whose public key is listed above (see runbooks/lost-identity.md). nothing was changed"
    )]
    IdentityMismatch {
        path: PathBuf,
        recipient: String,
        fingerprint: String,
        recipients: Vec<String>,
    },
    #[error(
        "the store's data key {fingerprint} is wrapped for {recipients:?}, but there is no identity file at {path}.\nfix: restore that identity file, or point --identity or LAUNCHPAD_IDENTITY_FILE at it (see runbooks/lost-identity.md). nothing was changed"
    )]
    IdentityMissing {
        path: PathBuf,
        fingerprint: String,
        recipients: Vec<String>,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                Self::Storage(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TableError,
    redb::StorageError,
    redb::TransactionError,
    redb::CommitError
);

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        Self::Storage(e.into())
    }
}

/// Why the store cannot take writes right now. Cheap to clone: one outage
/// answers every caller that meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outage {
    /// The filesystem holding the store has no space (or quota) left.
    DiskFull(Arc<str>),
    /// Any other I/O failure under the store, or a commit that failed.
    Failed(Arc<str>),
    /// The store is being re-opened after an I/O error; a moment's wait.
    Reopening,
    /// The PostgreSQL database cannot be reached, or the connection or the
    /// server went away (a restart, a failover).
    Database(Arc<str>),
}

impl Outage {
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Self::DiskFull(_))
    }
}

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DiskFull(why) => write!(
                f,
                "the disk holding the store is full ({why}); nothing was written. free space on it: the service recovers by itself"
            ),
            Self::Failed(why) => write!(f, "the store could not commit: {why}"),
            Self::Database(why) => write!(f, "the database is unavailable: {why}"),
            Self::Reopening => write!(f, "the store is re-opening after an I/O error"),
        }
    }
}

/// The outage behind a storage error, if it is one: an I/O error (redb then
/// needs re-opening before it will work again) rather than a bad record.
pub fn outage_of(e: &redb::Error) -> Option<Outage> {
    match e {
        redb::Error::Io(io) => Some(outage_of_io(io)),
        redb::Error::PreviousIo => Some(Outage::Failed(
            "an earlier I/O error left the store needing a re-open".into(),
        )),
        _ => None,
    }
}

fn outage_of_io(io: &std::io::Error) -> Outage {
    use std::io::ErrorKind;
    match io.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            Outage::DiskFull(io.to_string().into())
        }
        _ => Outage::Failed(io.to_string().into()),
    }
}

impl StoreError {
    /// The outage this error reports or was caused by, if any.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            Self::Unavailable(outage) => Some(outage.clone()),
            Self::Storage(e) => outage_of(e),
            _ => None,
        }
    }
}
