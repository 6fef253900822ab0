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

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
/// Bytes a sealed field adds to its plaintext.
pub const OVERHEAD: usize = 1 + KEY_ID_LEN + NONCE_LEN + 16;

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

/// The data key. Its bytes are wiped on drop and never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        Self(Zeroizing::new(key.into()))
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }

    /// A public, stable name for this key: `lpk1:` and 16 hex digits of a
    /// domain-separated SHA-256. Safe to store, log and show.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"launchpad data key v1\0")
            .chain_update(self.0.as_slice())
            .finalize();
        format!("lpk1:{}", hex(&digest[..8]))
    }

    fn id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::new()
            .chain_update(b"launchpad key id v1\0")
            .chain_update(self.0.as_slice())
            .finalize();
        digest[..KEY_ID_LEN].try_into().expect("four bytes")
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_slice().into())
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
        hkdf::Hkdf::<Sha256>::new(Some(b"launchpad backup"), self.0.as_slice())
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random secret: `prefix` and `bytes` random bytes, base64url.
/// Session ids, API tokens and the initial admin's password.
pub fn random_secret(prefix: &str, bytes: usize) -> String {
    use base64::Engine;
    use chacha20poly1305::aead::rand_core::RngCore;
    let mut raw = vec![0u8; bytes];
    OsRng.fill_bytes(&mut raw);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    )
}

/// The SHA-256 of a bearer secret (an API token or a session id): what the
/// store keeps and looks secrets up by, so a copy of the store holds no
/// usable credential.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, as the token records keep it.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    /// Parses [`SecretDigest::to_hex`]'s output.
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretDigest({}…)", &self.to_hex()[..8])
    }
}

/// A keyed lookup index for a sealed value (a user's email): equal inputs
/// give equal indexes under one data key, and nothing about the input can be
/// learnt or brute-forced without that key.
pub fn index_with(key: &DataKey, input: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.0.as_slice()).expect("HMAC takes any key length");
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

/// The operator's age identity (X25519), loaded from a file.
pub struct Identity {
    inner: age::x25519::Identity,
    pub path: PathBuf,
}

impl Identity {
    /// Reads the first `AGE-SECRET-KEY-1…` line of `path` (age-keygen's format).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let unreadable = |why: String| KeyError::IdentityUnreadable {
            path: path.to_owned(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .ok_or_else(|| KeyError::NoIdentity(path.to_owned()))?;
        let inner = age::x25519::Identity::from_str(line).map_err(|e| unreadable(e.to_string()))?;
        Ok(Self {
            inner,
            path: path.to_owned(),
        })
    }

    /// Generates a new identity and writes it to `path` with mode 0600,
    /// through a temporary file so a partial identity never exists.
    pub fn create(path: &Path) -> Result<Self, KeyError> {
        use age::secrecy::ExposeSecret;
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if path.exists() {
            return Err(KeyError::IdentityExists(path.to_owned()));
        }
        let unwritable = |e: std::io::Error| KeyError::IdentityUnreadable {
            path: path.to_owned(),
            why: e.to_string(),
        };
        let inner = age::x25519::Identity::generate();
        let recipient = inner.to_public();
        let created = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let text = Zeroizing::new(format!(
            "# created: {created}\n# public key: {recipient}\n{}\n",
            inner.to_string().expose_secret()
        ));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(unwritable)?;
        }
        let temp = path.with_extension("tmp-new");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(unwritable)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(unwritable)?;
        std::fs::hard_link(&temp, path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::IdentityExists(path.to_owned())
            } else {
                unwritable(e)
            }
        })?;
        std::fs::remove_file(&temp).map_err(unwritable)?;
        Ok(Self {
            inner,
            path: path.to_owned(),
        })
    }

    /// Decrypts a whole age file encrypted to this identity.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        age::decrypt(&self.inner, data).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => KeyError::Unwrap,
            other => KeyError::Wrap(other.to_string()),
        })
    }

    /// Decrypts an age stream encrypted to this identity as it is read, in
    /// bounded memory (age works in 64 KiB chunks, each authenticated).
    pub fn decrypting<R: std::io::Read>(
        &self,
        source: R,
    ) -> Result<impl std::io::Read + use<R>, KeyError> {
        let decryptor = age::Decryptor::new(source).map_err(|e| KeyError::Wrap(e.to_string()))?;
        decryptor
            .decrypt(std::iter::once(&self.inner as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => KeyError::Unwrap,
                other => KeyError::Wrap(other.to_string()),
            })
    }

    /// The public half, to wrap data keys to.
    pub fn recipient(&self) -> Recipient {
        Recipient(self.inner.to_public())
    }

    /// Fails when group or others may read the file. A systemd credential
    /// (under `$CREDENTIALS_DIRECTORY`) passes whatever its mode: systemd
    /// gives it to the service alone, in a folder only the service can
    /// enter, and newer versions grant the read through an ACL on a 0440 file.
    pub fn check_private(path: &Path) -> Result<(), KeyError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| KeyError::IdentityUnreadable {
                path: path.to_owned(),
                why: e.to_string(),
            })?
            .permissions()
            .mode();
        let credential = std::env::var_os("CREDENTIALS_DIRECTORY")
            .is_some_and(|dir| !dir.is_empty() && path.starts_with(dir));
        if mode & 0o077 != 0 && !credential {
            return Err(KeyError::IdentityTooOpen {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
        Ok(())
    }

    pub fn unwrap_key(&self, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        let bytes =
            Zeroizing::new(age::decrypt(&self.inner, wrapped).map_err(|_| KeyError::Unwrap)?);
        DataKey::from_bytes(&bytes).ok_or(KeyError::Unwrap)
    }
}

/// An age X25519 recipient (`age1…`), the public half of an identity.
#[derive(Clone)]
pub struct Recipient(age::x25519::Recipient);

impl Recipient {
    /// An age encryptor for this one recipient.
    pub fn encryptor(&self) -> age::Encryptor {
        age::Encryptor::with_recipients(std::iter::once(&self.0 as &dyn age::Recipient))
            .expect("one recipient is enough")
    }

    pub fn parse(text: &str) -> Result<Self, KeyError> {
        age::x25519::Recipient::from_str(text.trim())
            .map(Self)
            .map_err(|_| KeyError::BadRecipient(text.to_owned()))
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Wraps `key` so that any one of `recipients` can unwrap it.
pub fn wrap_key(key: &DataKey, recipients: &[Recipient]) -> Result<Vec<u8>, KeyError> {
    let boxed: Vec<&dyn age::Recipient> = recipients
        .iter()
        .map(|r| &r.0 as &dyn age::Recipient)
        .collect();
    let encryptor = age::Encryptor::with_recipients(boxed.into_iter())
        .map_err(|e| KeyError::Wrap(e.to_string()))?;
    let mut out = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| KeyError::Wrap(e.to_string()))?;
    std::io::Write::write_all(&mut writer, key.0.as_slice())
        .map_err(|e| KeyError::Wrap(e.to_string()))?;
    writer.finish().map_err(|e| KeyError::Wrap(e.to_string()))?;
    Ok(out)
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
    fn a_wrapped_key_unwraps_only_with_a_matching_identity() {
        let dir = tempfile::tempdir().unwrap();
        let mine = Identity::create(&dir.path().join("mine.age")).unwrap();
        let theirs = Identity::create(&dir.path().join("theirs.age")).unwrap();
        let key = DataKey::generate();

        let wrapped = wrap_key(&key, &[mine.recipient()]).unwrap();

        assert_eq!(
            mine.unwrap_key(&wrapped).unwrap().fingerprint(),
            key.fingerprint()
        );
        assert!(matches!(theirs.unwrap_key(&wrapped), Err(KeyError::Unwrap)));
    }

    #[test]
    fn a_created_identity_is_private_reloadable_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.age");
        let created = Identity::create(&path).unwrap();

        Identity::check_private(&path).unwrap();
        assert_eq!(
            Identity::load(&path).unwrap().recipient().to_string(),
            created.recipient().to_string()
        );
        assert!(matches!(
            Identity::create(&path),
            Err(KeyError::IdentityExists(_))
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("# public key: {}", created.recipient())));
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
