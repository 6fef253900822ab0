//! Field sealing and key handling; key material never leaves this module.
//!
//! Envelope encryption (DESIGN §6): a random 256-bit data key seals each
//! sensitive field with XChaCha20-Poly1305. The associated data binds the
//! table, record id and field name, so a ciphertext moved to another record
//! or field fails to open instead of yielding the wrong data. The data key is
//! stored only wrapped by age to the operator's X25519 recipient(s).
//!
//! A sealed field is `[version][key id: 4][nonce: 24][ciphertext + tag: n+16]`.
//! The key id lets a process that has just rotated keep reading ciphertexts
//! sealed under the previous key while its read transactions drain.
//!
//! The data key and what it seals live in `keys`, the age identity that
//! wraps it in `identity`, bearer secrets and their digests in `secrets`;
//! this module names their public items once.

mod identity;
mod keys;
mod secrets;

pub use identity::{Identity, Recipient, wrap_key};
pub use keys::{BackupMac, DataKey, Keyring, OVERHEAD, binding, index_with, seal_with};
pub use secrets::{SecretDigest, random_secret};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a sealed field failed to open (wrong key, tampered, or moved from another record)")]
    Tampered,
    #[error("a sealed field was sealed under data key {0}, which this process does not hold")]
    UnknownKey(String),
    #[error("the identity file {path} could not be read: {why}")]
    IdentityUnreadable { path: PathBuf, why: String },
    #[error("the identity file {0} holds no AGE-SECRET-KEY line")]
    NoIdentity(PathBuf),
    #[error("{0} already exists; `keys init` never overwrites an identity")]
    IdentityExists(PathBuf),
    #[error(
        "the identity file {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`"
    )]
    IdentityTooOpen { path: PathBuf, mode: u32 },
    #[error("`{0}` is not an age X25519 recipient (age1…)")]
    BadRecipient(String),
    #[error("wrapping the data key failed: {0}")]
    Wrap(String),
    #[error("the identity cannot unwrap the data key")]
    Unwrap,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
