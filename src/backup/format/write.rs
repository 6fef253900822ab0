//! Writing a backup file: the plain layout streamed through its checksum
//! and tag, optionally age-encrypted, under a temporary name until it is
//! whole and durable.

use super::{END, FORMAT_VERSION, MAGIC, MAX_KEY, MAX_VALUE, Manifest, hex, sync_dir};
use crate::crypto::{DataKey, Recipient};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Counts bytes and hashes them (and, for the content, authenticates them)
/// on their way to `inner`.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    mac: Option<crate::crypto::BackupMac>,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W, mac: Option<crate::crypto::BackupMac>) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            mac,
            bytes: 0,
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        if let Some(mac) = &mut self.mac {
            mac.update(&buf[..n]);
        }
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
        if key.len() > MAX_KEY || value.len() > MAX_VALUE {
            return Err(io::Error::other(format!(
                "a row of table {table} is larger than a backup may hold"
            )));
        }
        self.encoder.write_all(&[table])?;
        self.encoder.write_all(&(key.len() as u32).to_be_bytes())?;
        self.encoder.write_all(key)?;
        self.encoder
            .write_all(&(value.len() as u32).to_be_bytes())?;
        self.encoder.write_all(value)
    }
}

/// Writes a backup to `path` safely, authenticated under `key`; `body`
/// pushes every frame.
pub fn write(
    path: &Path,
    manifest: &Manifest,
    encrypt_to: Option<&Recipient>,
    key: &DataKey,
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
        let mut stored = Hashing::new(io::BufWriter::new(&file), None);
        match encrypt_to {
            Some(recipient) => {
                let mut encrypted = recipient.encryptor().wrap_output(&mut stored)?;
                write_plain(&mut encrypted, manifest, key, body)?;
                // The last age chunk is written only by finish().
                encrypted.finish()?;
            }
            None => write_plain(&mut stored, manifest, key, body)?,
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

/// Header, manifest, compressed body, the tag and the embedded checksum.
fn write_plain(
    sink: &mut dyn Write,
    manifest: &Manifest,
    key: &DataKey,
    body: impl FnOnce(&mut Frames<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut plain = Hashing::new(sink, Some(key.backup_mac()));
    let manifest_json = serde_json::to_vec(manifest).map_err(io::Error::other)?;
    plain.write_all(MAGIC)?;
    plain.write_all(&FORMAT_VERSION.to_be_bytes())?;
    plain.write_all(&(manifest_json.len() as u32).to_be_bytes())?;
    plain.write_all(&manifest_json)?;
    {
        let plain_dyn: &mut dyn Write = &mut plain;
        let mut encoder = zstd::Encoder::new(plain_dyn, 3)?;
        encoder.window_log(21)?;
        let mut frames = Frames { encoder };
        body(&mut frames)?;
        frames.encoder.write_all(&[END])?;
        frames.encoder.finish()?;
    }
    let tag = plain.mac.take().expect("set above").finalize();
    plain.write_all(&tag)?;
    let digest = plain.hash.finalize();
    plain.inner.write_all(&digest)
}
