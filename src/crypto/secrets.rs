//! Bearer secrets: how they are made, and the digest the store keeps of
//! them instead of the secret itself.

use super::hex;
use chacha20poly1305::aead::OsRng;
use sha2::{Digest, Sha256};
use std::fmt;

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
