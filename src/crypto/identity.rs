//! The operator's age identity and its recipients: what wraps the data key
//! for storage and unwraps it at start, and what encrypts a backup.

use super::{DataKey, KeyError};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use zeroize::Zeroizing;

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
    std::io::Write::write_all(&mut writer, key.bytes())
        .map_err(|e| KeyError::Wrap(e.to_string()))?;
    writer.finish().map_err(|e| KeyError::Wrap(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
