//! Opening a backup file: one streamed pass checks the whole-file checksum
//! before any field is believed, then the header and the manifest are read.
//! Each later check (the tag, the frames) reads the same open file again.

use super::{
    AGE_MAGIC, DIGEST_LEN, FORMAT_VERSION, FormatError, HEADER_LEN, MAGIC, MAX_MANIFEST, Manifest,
    TAG_LEN, hex, malformed,
};
use crate::crypto::{DataKey, Identity};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// A backup whose checksum, header and manifest have been checked; its
/// content is read again, streamed, by each later check.
pub struct Backup<'a> {
    /// Opened once: every pass reads this same file, even if the path is
    /// replaced meanwhile.
    file: std::fs::File,
    decrypt_with: Option<&'a Identity>,
    pub manifest: Manifest,
    pub format: u16,
    pub encrypted: bool,
    /// SHA-256 of the file as stored.
    pub sha256: String,
    pub size: u64,
    /// Bytes from the magic to the end of the body: what the tag covers.
    pub(super) content_len: u64,
    pub(super) body_start: u64,
}

/// What a first pass over the plain bytes found.
struct Scan {
    head: Vec<u8>,
    len: u64,
    checksum_ok: bool,
    stored_sha256: String,
    stored_len: u64,
}

impl Scan {
    /// Whether the plain bytes are a whole backup as written: its magic, a
    /// possible length, and the embedded checksum over the rest.
    fn check_intact(&self) -> Result<(), FormatError> {
        if self.head.len() < MAGIC.len() || self.head[..MAGIC.len()] != *MAGIC {
            return Err(FormatError::NotABackup);
        }
        if self.len < (HEADER_LEN + DIGEST_LEN) as u64 {
            return Err(FormatError::Damaged(format!(
                "it is {} bytes long, shorter than any backup: truncated",
                self.len
            )));
        }
        if !self.checksum_ok {
            return Err(FormatError::Damaged(
                "checksum mismatch (a changed, missing or truncated part)".into(),
            ));
        }
        Ok(())
    }
}

/// Opens a backup: checks the checksum over the whole file, then the
/// header and the manifest. Nothing else is read yet.
pub fn open<'a>(
    path: &Path,
    decrypt_with: Option<&'a Identity>,
) -> Result<Backup<'a>, FormatError> {
    let file = std::fs::File::open(path)?;
    let encrypted = {
        let mut start = [0u8; AGE_MAGIC.len()];
        let n = read_up_to(&mut At::start(&file), &mut start)?;
        start[..n] == *AGE_MAGIC
    };
    if encrypted && decrypt_with.is_none() {
        return Err(FormatError::Encrypted);
    }
    let mut backup = Backup {
        file,
        decrypt_with,
        manifest: empty_manifest(),
        format: 0,
        encrypted,
        sha256: String::new(),
        size: 0,
        content_len: 0,
        body_start: 0,
    };
    let scan = backup.scan()?;
    scan.check_intact()?;
    backup.sha256 = scan.stored_sha256;
    backup.size = scan.stored_len;
    // From here on the bytes are as written: what they say can be believed
    // as far as the format goes.
    backup.read_header(&scan.head, scan.len)?;
    Ok(backup)
}

impl Backup<'_> {
    /// Reads the format, the content's extent and the manifest from the
    /// header of an intact file `len` plain bytes long.
    fn read_header(&mut self, head: &[u8], len: u64) -> Result<(), FormatError> {
        self.format = u16::from_be_bytes([head[8], head[9]]);
        match self.format {
            0 => return Err(malformed("format 0 does not exist")),
            f if f > FORMAT_VERSION => {
                return Err(FormatError::NewerFormat {
                    found: f,
                    supported: FORMAT_VERSION,
                });
            }
            _ => {}
        }
        let tag_len = if self.format >= 2 { TAG_LEN } else { 0 };
        self.content_len = len
            .checked_sub((DIGEST_LEN + tag_len) as u64)
            .filter(|n| *n >= HEADER_LEN as u64)
            .ok_or_else(|| malformed("too short for its format"))?;
        let manifest_len = u32::from_be_bytes(head[10..14].try_into().expect("four bytes"));
        let manifest_len = manifest_len as usize;
        if manifest_len > MAX_MANIFEST || (HEADER_LEN + manifest_len) as u64 > self.content_len {
            return Err(malformed(format!(
                "a manifest of {manifest_len} bytes (at most {MAX_MANIFEST}, and within the file)"
            )));
        }
        self.body_start = (HEADER_LEN + manifest_len) as u64;
        let mut manifest = vec![0u8; HEADER_LEN + manifest_len];
        self.plain()?.read_exact(&mut manifest)?;
        self.manifest = serde_json::from_slice(&manifest[HEADER_LEN..])
            .map_err(|e| malformed(format!("the manifest: {e}")))?;
        if self.manifest.format != self.format {
            return Err(malformed(format!(
                "the manifest says format {} but the header {}",
                self.manifest.format, self.format
            )));
        }
        Ok(())
    }
}

fn empty_manifest() -> Manifest {
    Manifest {
        format: 0,
        schema_version: 0,
        app_version: String::new(),
        created_at: String::new(),
        data_key_fingerprint: String::new(),
        wrapped_data_key: None,
        counts: BTreeMap::new(),
    }
}

/// Reads until `buf` is full or the source ends; returns the bytes read.
fn read_up_to(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Reads a file from the start by position, so passes over one open file
/// never disturb each other.
struct At<'f> {
    file: &'f std::fs::File,
    pos: u64,
}

impl<'f> At<'f> {
    fn start(file: &'f std::fs::File) -> Self {
        Self { file, pos: 0 }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Hashes what passes through it: the file as stored, under the decryptor.
struct TeeHash<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Read for TeeHash<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl Backup<'_> {
    /// The plain bytes from the start, decrypted as they are read if need be.
    pub(super) fn plain(&self) -> Result<Box<dyn Read + '_>, FormatError> {
        self.decrypting(BufReader::with_capacity(64 * 1024, At::start(&self.file)))
    }

    fn decrypting<'r, R: Read + 'r>(&self, source: R) -> Result<Box<dyn Read + 'r>, FormatError> {
        match (self.encrypted, self.decrypt_with) {
            (false, _) => Ok(Box::new(source)),
            (true, None) => Err(FormatError::Encrypted),
            (true, Some(identity)) => match identity.decrypting(source) {
                Ok(reader) => Ok(Box::new(DamageOnError(reader))),
                Err(crate::crypto::KeyError::Unwrap) => Err(FormatError::WrongIdentity),
                Err(e) => Err(FormatError::Damaged(format!("the age header: {e}"))),
            },
        }
    }

    /// One pass over every plain byte: its length, its first bytes, and
    /// whether the embedded checksum matches; also the stored file's hash.
    fn scan(&self) -> Result<Scan, FormatError> {
        let mut stored = TeeHash {
            inner: BufReader::with_capacity(64 * 1024, At::start(&self.file)),
            hash: Sha256::new(),
            bytes: 0,
        };
        let mut head = Vec::with_capacity(HEADER_LEN);
        let mut hash = Sha256::new();
        // The last DIGEST_LEN bytes seen, which are not hashed until more follow.
        let mut tail: Vec<u8> = Vec::with_capacity(2 * DIGEST_LEN);
        let mut len = 0u64;
        {
            let mut plain = self.decrypting(&mut stored)?;
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = match plain.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(FormatError::Damaged(e.to_string())),
                };
                let data = &chunk[..n];
                len += n as u64;
                let want = HEADER_LEN.saturating_sub(head.len()).min(n);
                head.extend_from_slice(&data[..want]);
                tail.extend_from_slice(data);
                if tail.len() > DIGEST_LEN {
                    let ready = tail.len() - DIGEST_LEN;
                    hash.update(&tail[..ready]);
                    tail.drain(..ready);
                }
            }
        }
        // Whatever the decryptor left unread still belongs to the stored file.
        io::copy(&mut stored, &mut io::sink())?;
        Ok(Scan {
            head,
            len,
            checksum_ok: tail.len() == DIGEST_LEN && hash.finalize().as_slice() == tail,
            stored_sha256: hex(&stored.hash.finalize()),
            stored_len: stored.bytes,
        })
    }

    /// Whether the tag proves the content was written under `key`.
    /// Format 1 files carry no tag: that is [`FormatError::Malformed`]'s
    /// cousin, reported by the caller, so this is only called for format 2+.
    pub fn authenticate(&self, key: &DataKey) -> Result<(), FormatError> {
        let mut reader = self.plain()?;
        let mut mac = key.backup_mac();
        let mut content = (&mut reader).take(self.content_len);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match content.read(&mut chunk)? {
                0 => break,
                n => mac.update(&chunk[..n]),
            }
        }
        let mut tag = [0u8; TAG_LEN];
        reader.read_exact(&mut tag)?;
        if mac.verify(&tag) {
            Ok(())
        } else {
            Err(FormatError::NotAuthentic(key.fingerprint()))
        }
    }
}

/// An age stream whose chunk failed to authenticate is damage, not an
/// ordinary I/O error.
struct DamageOnError<R>(R);

impl<R: Read> Read for DamageOnError<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the encrypted file does not decrypt: {e}"),
            )
        })
    }
}
