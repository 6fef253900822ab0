//! The writer's id minter, kept apart because its promise (ids only ever
//! grow, across restarts and clock steps) is what makes insertion order key
//! order in every table.

use crate::store::engine::{Db, WriteTx};
use crate::store::error::StoreError;
use crate::store::tables::{META, meta_key};
use uuid::Uuid;

/// Mints UUIDv7 ids that are strictly increasing for the store's lifetime,
/// even if the clock steps back between restarts: insertion order is key order.
pub(super) struct IdMinter {
    pub(super) last: u128,
}

impl IdMinter {
    pub(super) fn load(db: &Db) -> Result<Self, StoreError> {
        let tx = db.begin_read()?;
        let meta = tx.open_table(META)?;
        let row = meta.get(meta_key::ID_HIGH_WATER)?;
        let last = row
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .map(u128::from_be_bytes)
            .unwrap_or(0);
        Ok(Self { last })
    }

    /// Takes in what other instances on the same database minted since:
    /// ids stay increasing across every writer of the store.
    pub(super) fn catch_up(&mut self, tx: &WriteTx) -> Result<(), StoreError> {
        let meta = tx.open_table(META)?;
        if let Some(stored) = meta
            .get(meta_key::ID_HIGH_WATER)?
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .map(u128::from_be_bytes)
        {
            self.last = self.last.max(stored);
        }
        Ok(())
    }

    pub(super) fn mint(&mut self) -> u128 {
        let candidate = Uuid::now_v7().as_u128();
        self.last = candidate.max(self.last + 1);
        self.last
    }

    pub(super) fn save(&self, tx: &WriteTx) -> Result<(), StoreError> {
        let mut meta = tx.open_table(META)?;
        meta.insert(meta_key::ID_HIGH_WATER, self.last.to_be_bytes().as_slice())?;
        Ok(())
    }
}
