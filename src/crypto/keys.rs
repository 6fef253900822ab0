//! The data key and everything it does: sealing and opening fields, the
//! keyring that lets a rotation keep old ciphertexts readable, the keyed
//! lookup index and the backup authenticator.
//!
//! The key's bytes stay inside the crypto module: the age wrapping beside
//! this file reaches them through accessors private to it.

use super::{KeyError, hex};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
/// Bytes a sealed field adds to its plaintext.
pub const OVERHEAD: usize = 1 + KEY_ID_LEN + NONCE_LEN + 16;

/// The data key. Its bytes are wiped on drop and never printed.
pub struct DataKey {
    bytes: Zeroizing<[u8; 32]>,
    /// The id every field sealed under it carries, worked out once: opening
    /// a page of fields looks it up for each.
    id: [u8; KEY_ID_LEN],
}

impl DataKey {
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        Self::new(Zeroizing::new(key.into()))
    }

    /// A key unwrapped from its age envelope.
    pub(super) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::new(Zeroizing::new(array)))
    }

    fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        let digest = Sha256::new()
            .chain_update(b"launchpad key id v1\0")
            .chain_update(bytes.as_slice())
            .finalize();
        let id = digest[..KEY_ID_LEN].try_into().expect("four bytes");
        Self { bytes, id }
    }

    /// A public, stable name for this key: `lpk1:` and 16 hex digits of a
    /// domain-separated SHA-256. Safe to store, log and show.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"launchpad data key v1\0")
            .chain_update(self.bytes.as_slice())
            .finalize();
        format!("lpk1:{}", hex(&digest[..8]))
    }

    /// The raw key, for wrapping it to age recipients.
    pub(super) fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    fn id(&self) -> [u8; KEY_ID_LEN] {
        self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.bytes.as_slice().into())
    }
}

impl DataKey {
    /// The authenticator of backup files sealed under this key: HMAC-SHA-256
    /// under a subkey HKDF derives for that one purpose, so a backup's tag
    /// proves it was written by a holder of the data key and never reveals
    /// anything usable for sealing fields.
    pub fn backup_mac(&self) -> BackupMac {
        use hmac::Mac;
        let mut subkey = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<Sha256>::new(Some(b"launchpad backup"), self.bytes.as_slice())
            .expand(b"launchpad backup authentication v1", subkey.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        BackupMac(
            <hmac::Hmac<Sha256> as Mac>::new_from_slice(subkey.as_slice())
                .expect("HMAC takes any key length"),
        )
    }
}

/// An HMAC-SHA-256 over a backup file's content; see [`DataKey::backup_mac`].
pub struct BackupMac(hmac::Hmac<Sha256>);

impl BackupMac {
    pub fn update(&mut self, bytes: &[u8]) {
        hmac::Mac::update(&mut self.0, bytes);
    }

    pub fn finalize(self) -> [u8; 32] {
        hmac::Mac::finalize(self.0).into_bytes().into()
    }

    /// Whether `tag` is this content's tag, compared in constant time.
    pub fn verify(self, tag: &[u8]) -> bool {
        hmac::Mac::verify_slice(self.0, tag).is_ok()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({})", self.fingerprint())
    }
}

/// A keyed lookup index for a sealed value (a user's email): equal inputs
/// give equal indexes under one data key, and nothing about the input can be
/// learnt or brute-forced without that key.
pub fn index_with(key: &DataKey, input: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes.as_slice())
        .expect("HMAC takes any key length");
    mac.update(b"launchpad lookup index v1\0");
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().into()
}

/// What a sealed field is bound to: its table, record and field name.
pub fn binding(table: &str, record: u128, field: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(table.len() + field.len() + 40);
    aad.extend_from_slice(b"launchpad/field/v1\0");
    aad.extend_from_slice(table.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&record.to_be_bytes());
    aad.extend_from_slice(field.as_bytes());
    aad
}

/// The keys a process can seal and open with: the current data key, plus
/// keys it held earlier in this run (after a rotation) for opening only.
pub struct Keyring {
    current: DataKey,
    retired: Vec<DataKey>,
}

impl Keyring {
    pub fn new(current: DataKey) -> Self {
        Self {
            current,
            retired: Vec::new(),
        }
    }

    pub fn current(&self) -> &DataKey {
        &self.current
    }

    /// Makes `next` current; the old key may still open what it sealed.
    pub fn promote(&mut self, next: DataKey) {
        let old = std::mem::replace(&mut self.current, next);
        self.retired.push(old);
    }

    /// Lets this ring open (not seal) under `key`: a rotation admits the new
    /// key before its commit so no reader ever meets a ciphertext it cannot open.
    pub fn admit(&mut self, key: DataKey) {
        self.retired.push(key);
    }

    /// Makes the admitted key with `fingerprint` current; false if absent.
    pub fn make_current(&mut self, fingerprint: &str) -> bool {
        match self
            .retired
            .iter()
            .position(|k| k.fingerprint() == fingerprint)
        {
            Some(i) => {
                let next = self.retired.remove(i);
                self.promote(next);
                true
            }
            None => false,
        }
    }

    /// Drops an admitted key again (its rotation did not commit).
    pub fn forget(&mut self, fingerprint: &str) {
        self.retired.retain(|k| k.fingerprint() != fingerprint);
    }

    /// The key with `fingerprint`, current or retired, if this ring holds it.
    pub fn with_fingerprint(&self, fingerprint: &str) -> Option<&DataKey> {
        std::iter::once(&self.current)
            .chain(self.retired.iter())
            .find(|k| k.fingerprint() == fingerprint)
    }

    /// The lookup index of `input` under the current key.
    pub fn index(&self, input: &str) -> [u8; 32] {
        index_with(&self.current, input)
    }

    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        seal_with(&self.current, aad, plaintext)
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if sealed.len() < OVERHEAD || sealed[0] != FORMAT_V1 {
            return Err(KeyError::Tampered);
        }
        let id = &sealed[1..1 + KEY_ID_LEN];
        let key = std::iter::once(&self.current)
            .chain(self.retired.iter().rev())
            .find(|k| k.id() == id)
            .ok_or_else(|| KeyError::UnknownKey(hex(id)))?;
        open_with(key, aad, sealed)
    }
}

/// Seals under `key` without a keyring: used while re-sealing for a rotation.
pub fn seal_with(key: &DataKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&key.id());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

fn open_with(key: &DataKey, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let nonce = XNonce::from_slice(&sealed[1 + KEY_ID_LEN..1 + KEY_ID_LEN + NONCE_LEN]);
    let body = &sealed[1 + KEY_ID_LEN + NONCE_LEN..];
    key.cipher()
        .decrypt(nonce, Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_field_opens_only_with_the_same_binding() {
        let ring = Keyring::new(DataKey::generate());
        let sealed = ring.seal(&binding("tasks", 1, "notes"), b"secret notes");

        assert_eq!(
            ring.open(&binding("tasks", 1, "notes"), &sealed)
                .unwrap()
                .as_slice(),
            b"secret notes"
        );
        assert!(matches!(
            ring.open(&binding("tasks", 2, "notes"), &sealed),
            Err(KeyError::Tampered)
        ));
        assert!(matches!(
            ring.open(&binding("projects", 1, "notes"), &sealed),
            Err(KeyError::Tampered)
        ));
        assert!(matches!(
            ring.open(&binding("tasks", 1, "title"), &sealed),
            Err(KeyError::Tampered)
        ));
    }

    #[test]
    fn a_flipped_bit_or_truncation_is_refused() {
        let ring = Keyring::new(DataKey::generate());
        let aad = binding("projects", 7, "owner_email");
        let sealed = ring.seal(&aad, b"ada@example.com");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(ring.open(&aad, &bad).is_err(), "flip at {i} was accepted");
        }
        assert!(ring.open(&aad, &sealed[..sealed.len() - 1]).is_err());
        assert!(ring.open(&aad, &[]).is_err());
    }

    #[test]
    fn sealing_adds_a_fixed_overhead_and_never_repeats() {
        let ring = Keyring::new(DataKey::generate());
        let a = ring.seal(b"aad", b"same");
        let b = ring.seal(b"aad", b"same");
        assert_eq!(a.len(), 4 + OVERHEAD);
        assert_ne!(a, b);
    }

    #[test]
    fn after_promotion_old_ciphertexts_still_open_and_new_ones_use_the_new_key() {
        let mut ring = Keyring::new(DataKey::generate());
        let old = ring.seal(b"aad", b"before");
        let old_fingerprint = ring.current().fingerprint();
        ring.promote(DataKey::generate());
        let new = ring.seal(b"aad", b"after");

        assert_eq!(ring.open(b"aad", &old).unwrap().as_slice(), b"before");
        assert_eq!(ring.open(b"aad", &new).unwrap().as_slice(), b"after");
        assert_ne!(ring.current().fingerprint(), old_fingerprint);
        let stranger = Keyring::new(DataKey::generate());
        assert!(matches!(
            stranger.open(b"aad", &new),
            Err(KeyError::UnknownKey(_))
        ));
    }

    #[test]
    fn debug_output_of_a_data_key_shows_only_its_fingerprint() {
        let key = DataKey::generate();
        assert_eq!(
            format!("{key:?}"),
            format!("DataKey({})", key.fingerprint())
        );
    }
}
