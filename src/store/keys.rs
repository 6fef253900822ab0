//! The data key's life in the store: created with the store, unwrapped at
//! every start, rotated and re-wrapped on request.
//!
//! The `meta` table holds the age-wrapped key, its fingerprint, the
//! recipients it is wrapped to and its creation time. Every change to them
//! happens in one transaction together with whatever it implies (a rotation
//! re-seals every sealed field in that same transaction), so an interrupted
//! command leaves the store readable under exactly one key.

use super::error::StoreError;
use super::tables::{META, meta_key};
use crate::crypto::{DataKey, Identity, KeyError, Keyring, Recipient, wrap_key};
use crate::domain::{Millis, now_millis};
use crate::store::engine::{Db, WriteTx};
use serde::Serialize;
use std::sync::RwLock;

/// What the store says about its data key; public facts only.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct KeyInfo {
    pub fingerprint: String,
    pub recipients: Vec<String>,
    pub created_at: Millis,
}

/// The wrapped key and its facts, if the store has a key yet.
pub fn read(db: &Db) -> Result<Option<(KeyInfo, Vec<u8>)>, StoreError> {
    let tx = db.begin_read()?;
    let meta = tx.open_table(META)?;
    let Some(wrapped) = meta
        .get(meta_key::DATA_KEY_WRAPPED)?
        .map(|v| v.value().to_vec())
    else {
        return Ok(None);
    };
    let text = |key: &str| -> Result<String, StoreError> {
        let row = meta
            .get(key)?
            .ok_or_else(|| StoreError::Corrupt(format!("meta.{key} is missing")))?;
        String::from_utf8(row.value().to_vec())
            .map_err(|_| StoreError::Corrupt(format!("meta.{key} is not text")))
    };
    let recipients: Vec<String> = serde_json::from_str(&text(meta_key::DATA_KEY_RECIPIENTS)?)
        .map_err(|_| StoreError::Corrupt("meta.data_key_recipients".into()))?;
    let created_at = text(meta_key::DATA_KEY_CREATED_AT)?
        .parse()
        .map_err(|_| StoreError::Corrupt("meta.data_key_created_at".into()))?;
    Ok(Some((
        KeyInfo {
            fingerprint: text(meta_key::DATA_KEY_FINGERPRINT)?,
            recipients,
            created_at,
        },
        wrapped,
    )))
}

/// Unwraps the stored key with `identity`, checking it is the key the store names.
pub fn unlock(info: &KeyInfo, wrapped: &[u8], identity: &Identity) -> Result<Keyring, StoreError> {
    let mismatch = || StoreError::IdentityMismatch {
        path: identity.path.clone(),
        recipient: identity.recipient().to_string(),
        fingerprint: info.fingerprint.clone(),
        recipients: info.recipients.clone(),
    };
    let key = identity.unwrap_key(wrapped).map_err(|_| mismatch())?;
    if key.fingerprint() != info.fingerprint {
        return Err(StoreError::Corrupt(format!(
            "the unwrapped data key is {} but the store names {}",
            key.fingerprint(),
            info.fingerprint
        )));
    }
    Ok(Keyring::new(key))
}

/// Creates the store's first data key, wrapped to `identity`; or, when
/// another instance on the same database created one first, unlocks that.
pub fn create(db: &Db, identity: &Identity) -> Result<Keyring, StoreError> {
    let key = DataKey::generate();
    let recipients = vec![identity.recipient()];
    let tx = db.begin_write()?;
    if tx
        .open_table(META)?
        .get(meta_key::DATA_KEY_WRAPPED)?
        .is_some()
    {
        tx.abort()?;
        let (info, wrapped) =
            read(db)?.ok_or_else(|| StoreError::Corrupt("the data key vanished".into()))?;
        return unlock(&info, &wrapped, identity);
    }
    write_key(&tx, &key, &recipients, now_millis())?;
    tx.commit()?;
    tracing::info!(fingerprint = %key.fingerprint(), recipient = %recipients[0], "created the store's data key");
    Ok(Keyring::new(key))
}

fn write_key(
    tx: &WriteTx,
    key: &DataKey,
    recipients: &[Recipient],
    created_at: Millis,
) -> Result<(), StoreError> {
    let wrapped = wrap_key(key, recipients).map_err(StoreError::Key)?;
    let names: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    let mut meta = tx.open_table(META)?;
    meta.insert(meta_key::DATA_KEY_WRAPPED, wrapped.as_slice())?;
    meta.insert(meta_key::DATA_KEY_FINGERPRINT, key.fingerprint().as_bytes())?;
    meta.insert(
        meta_key::DATA_KEY_RECIPIENTS,
        serde_json::to_string(&names)
            .expect("strings serialize")
            .as_bytes(),
    )?;
    meta.insert(
        meta_key::DATA_KEY_CREATED_AT,
        created_at.to_string().as_bytes(),
    )?;
    Ok(())
}

/// What a rotation did.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    pub previous: String,
    pub current: String,
    pub resealed_fields: usize,
}

/// Re-seals every sealed field under a new data key, in one transaction.
/// Runs on the writer thread, so no other change interleaves.
pub fn rotate(db: &Db, ring: &RwLock<Keyring>) -> Result<Rotation, StoreError> {
    let (info, _) =
        read(db)?.ok_or_else(|| StoreError::Corrupt("the store has no data key".into()))?;
    let recipients = parse_recipients(&info.recipients)?;
    let next = DataKey::generate();
    let next_fingerprint = next.fingerprint();
    let tx = db.begin_write()?;
    let resealed = {
        let current = ring.read().unwrap_or_else(|e| e.into_inner());
        super::sealed::reseal_all(&tx, &current, &next)?
    };
    write_key(&tx, &next, &recipients, now_millis())?;
    // Readers may meet the new ciphertexts the moment the commit lands.
    ring.write().unwrap_or_else(|e| e.into_inner()).admit(next);
    match tx.commit() {
        Ok(()) => {
            ring.write()
                .unwrap_or_else(|e| e.into_inner())
                .make_current(&next_fingerprint);
            tracing::info!(previous = %info.fingerprint, current = %next_fingerprint, resealed, "rotated the data key");
            Ok(Rotation {
                previous: info.fingerprint,
                current: next_fingerprint,
                resealed_fields: resealed,
            })
        }
        Err(e) => {
            ring.write()
                .unwrap_or_else(|e| e.into_inner())
                .forget(&next_fingerprint);
            Err(e)
        }
    }
}

/// Wraps the current data key to `to` instead of its present recipients.
pub fn rewrap(db: &Db, ring: &RwLock<Keyring>, to: &Recipient) -> Result<KeyInfo, StoreError> {
    let (info, _) =
        read(db)?.ok_or_else(|| StoreError::Corrupt("the store has no data key".into()))?;
    let tx = db.begin_write()?;
    {
        let ring = ring.read().unwrap_or_else(|e| e.into_inner());
        write_key(
            &tx,
            ring.current(),
            std::slice::from_ref(to),
            info.created_at,
        )?;
    }
    tx.commit()?;
    tracing::info!(fingerprint = %info.fingerprint, from = ?info.recipients, to = %to, "re-wrapped the data key");
    Ok(KeyInfo {
        recipients: vec![to.to_string()],
        ..info
    })
}

fn parse_recipients(names: &[String]) -> Result<Vec<Recipient>, StoreError> {
    names
        .iter()
        .map(|n| Recipient::parse(n).map_err(StoreError::Key))
        .collect()
}

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        StoreError::Key(e)
    }
}
