//! The backup file: self-describing, checksummed, optionally age-encrypted.
//!
//! ```text
//! "LPBACKUP" | format: u16 | manifest length: u32 | manifest (JSON)
//! | body: zstd( frames… end ) | SHA-256 of everything before it
//! frame: table: u8 | key length: u32 | key | value length: u32 | value
//! ```
//! With `--encrypt-to` the whole file above is age-encrypted to a recipient.
//! A file is written under a temporary name, fsync'd, renamed into place and
//! its folder fsync'd, so no partial file ever carries the final name.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: &[u8; 8] = b"LPBACKUP";
pub const FORMAT_VERSION: u16 = 1;
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
const END: u8 = 0;

/// What a backup says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u16,
    pub schema_version: u32,
    pub app_version: String,
    pub created_at: String,
    pub data_key_fingerprint: String,
    pub counts: BTreeMap<String, u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a LaunchPad backup (the file does not start with the backup header)")]
    NotABackup,
    #[error("the file is truncated")]
    Truncated,
    #[error("the checksum does not match: the file is corrupt or was modified")]
    Checksum,
    #[error(
        "written by a newer LaunchPad (backup format {found}; this binary reads up to {supported}); use a newer launchpad"
    )]
    NewerFormat { found: u16, supported: u16 },
    #[error("the backup is age-encrypted; pass the identity of its recipient with --decrypt-with")]
    Encrypted,
    #[error("the identity cannot decrypt this backup (it was encrypted to another recipient)")]
    WrongIdentity,
    #[error("the backup body is damaged: {0}")]
    Body(String),
}

/// Counts bytes and hashes them on their way to `inner`.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A finished backup file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    /// SHA-256 of the file as stored, as `sha256sum` prints it.
    pub sha256: String,
}

/// Streams frames into the body of a backup being written.
pub struct Frames<'a> {
    encoder: zstd::Encoder<'static, &'a mut dyn Write>,
}

impl Frames<'_> {
    pub fn push(&mut self, table: u8, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.encoder.write_all(&[table])?;
        self.encoder.write_all(&(key.len() as u32).to_be_bytes())?;
        self.encoder.write_all(key)?;
        self.encoder
            .write_all(&(value.len() as u32).to_be_bytes())?;
        self.encoder.write_all(value)
    }
}

/// Writes a backup to `path` safely; `body` pushes every frame.
pub fn write(
    path: &Path,
    manifest: &Manifest,
    encrypt_to: Option<&crate::crypto::Recipient>,
    body: impl FnOnce(&mut Frames<'_>) -> io::Result<()>,
) -> io::Result<Written> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the backup path has no file name"))?;
    let temp = path.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)?;
    let result = (|| {
        let mut stored = Hashing {
            inner: io::BufWriter::new(&file),
            hash: Sha256::new(),
            bytes: 0,
        };
        match encrypt_to {
            Some(recipient) => {
                let mut encrypted = recipient.encryptor().wrap_output(&mut stored)?;
                write_plain(&mut encrypted, manifest, body)?;
                // The last age chunk is written only by finish().
                encrypted.finish()?;
            }
            None => write_plain(&mut stored, manifest, body)?,
        }
        stored.flush()?;
        let written = Written {
            path: path.to_owned(),
            size: stored.bytes,
            sha256: hex(&stored.hash.finalize()),
        };
        file.sync_all()?;
        Ok(written)
    })();
    match result {
        Ok(written) => {
            std::fs::rename(&temp, path)?;
            sync_dir(path)?;
            Ok(written)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Header, manifest, compressed body and the embedded checksum.
fn write_plain(
    sink: &mut dyn Write,
    manifest: &Manifest,
    body: impl FnOnce(&mut Frames<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut plain = Hashing {
        inner: sink,
        hash: Sha256::new(),
        bytes: 0,
    };
    let manifest_json = serde_json::to_vec(manifest).map_err(io::Error::other)?;
    plain.write_all(MAGIC)?;
    plain.write_all(&FORMAT_VERSION.to_be_bytes())?;
    plain.write_all(&(manifest_json.len() as u32).to_be_bytes())?;
    plain.write_all(&manifest_json)?;
    {
        let plain_dyn: &mut dyn Write = &mut plain;
        let mut frames = Frames {
            encoder: zstd::Encoder::new(plain_dyn, 3)?,
        };
        body(&mut frames)?;
        frames.encoder.write_all(&[END])?;
        frames.encoder.finish()?;
    }
    let digest = plain.hash.finalize();
    plain.inner.write_all(&digest)
}

/// fsyncs the folder holding `path`, so a rename survives a crash.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)?.sync_all()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One stored row: table id, key bytes, value bytes.
pub type Frame = (u8, Vec<u8>, Vec<u8>);

/// A backup read back into memory and checked.
pub struct Opened {
    pub manifest: Manifest,
    pub frames: Vec<Frame>,
    pub encrypted: bool,
    pub sha256: String,
    pub size: u64,
}

/// Reads, decrypts if needed, checks header, checksum and body framing.
pub fn open(
    path: &Path,
    identity: Option<&crate::crypto::Identity>,
) -> Result<Opened, FormatError> {
    let stored = std::fs::read(path)?;
    let sha256 = hex(&Sha256::digest(&stored));
    let size = stored.len() as u64;
    let encrypted = stored.starts_with(AGE_MAGIC);
    let plain = if encrypted {
        let identity = identity.ok_or(FormatError::Encrypted)?;
        identity.decrypt(&stored).map_err(|e| match e {
            crate::crypto::KeyError::Unwrap => FormatError::WrongIdentity,
            _ => FormatError::Truncated,
        })?
    } else {
        stored
    };
    if plain.len() < MAGIC.len() + 2 || &plain[..MAGIC.len()] != MAGIC {
        return Err(if plain.len() < MAGIC.len() && MAGIC.starts_with(&plain) {
            FormatError::Truncated
        } else {
            FormatError::NotABackup
        });
    }
    let format = u16::from_be_bytes([plain[8], plain[9]]);
    if format > FORMAT_VERSION {
        return Err(FormatError::NewerFormat {
            found: format,
            supported: FORMAT_VERSION,
        });
    }
    if plain.len() < 14 + 32 {
        return Err(FormatError::Truncated);
    }
    let manifest_len = u32::from_be_bytes(plain[10..14].try_into().expect("four bytes")) as usize;
    let body_start = 14usize
        .checked_add(manifest_len)
        .ok_or(FormatError::Truncated)?;
    if plain.len() < body_start + 32 {
        return Err(FormatError::Truncated);
    }
    let (content, digest) = plain.split_at(plain.len() - 32);
    if Sha256::digest(content).as_slice() != digest {
        return Err(FormatError::Checksum);
    }
    let manifest: Manifest = serde_json::from_slice(&content[14..body_start])
        .map_err(|e| FormatError::Body(format!("manifest: {e}")))?;
    let frames = read_frames(&content[body_start..])?;
    Ok(Opened {
        manifest,
        frames,
        encrypted,
        sha256,
        size,
    })
}

fn read_frames(body: &[u8]) -> Result<Vec<Frame>, FormatError> {
    let damaged = |what: &str| FormatError::Body(what.to_owned());
    let mut decoder = zstd::Decoder::new(body).map_err(|e| damaged(&e.to_string()))?;
    let mut frames = Vec::new();
    let mut read_exact = |buf: &mut [u8]| {
        decoder
            .read_exact(buf)
            .map_err(|e| damaged(&format!("decompressing: {e}")))
    };
    loop {
        let mut table = [0u8];
        read_exact(&mut table)?;
        if table[0] == END {
            return Ok(frames);
        }
        if super::tables::name(table[0]).is_none() {
            return Err(damaged(&format!("unknown table id {}", table[0])));
        }
        let mut len = [0u8; 4];
        read_exact(&mut len)?;
        let mut key = vec![0u8; u32::from_be_bytes(len) as usize];
        read_exact(&mut key)?;
        read_exact(&mut len)?;
        let value_len = u32::from_be_bytes(len) as usize;
        if value_len > 64 * 1024 * 1024 {
            return Err(damaged("a value larger than 64 MiB"));
        }
        let mut value = vec![0u8; value_len];
        read_exact(&mut value)?;
        frames.push((table[0], key, value));
    }
}
