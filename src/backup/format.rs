//! The backup file: self-describing, checksummed, authenticated, optionally
//! age-encrypted.
//!
//! ```text
//! "LPBACKUP" | format: u16 | manifest length: u32 | manifest (JSON)
//! | body: zstd( frames… end ) | tag | SHA-256 of everything before it
//! frame: table: u8 | key length: u32 | key | value length: u32 | value
//! tag:   HMAC-SHA-256 of everything before it, under a subkey of the data key
//! ```
//! Format 1 had no tag. With `--encrypt-to` the whole file above is
//! age-encrypted to a recipient.
//!
//! A file is written under a temporary name, fsync'd, renamed into place and
//! its folder fsync'd, so no partial file ever carries the final name.
//!
//! Reading treats every file as hostile. The whole-file checksum is checked
//! before any field is interpreted, so damage is reported as damage. Then
//! every length is bounded before anything is allocated (the manifest by
//! [`MAX_MANIFEST`], keys and values by [`MAX_KEY`] and [`MAX_VALUE`], the
//! number of frames by the manifest's counts, the decompressed size by a
//! limit derived from them, the zstd window by [`MAX_WINDOW_LOG`]), and the
//! file is streamed, never read whole: verify and restore run in a few MiB
//! whatever the file claims. Rows must come in the order the store iterates
//! them (by table, then key), which rules out repeated rows.

use crate::crypto::{DataKey, Identity, Recipient};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: &[u8; 8] = b"LPBACKUP";
/// The format this binary writes: 2 adds the authentication tag.
pub const FORMAT_VERSION: u16 = 2;
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
const END: u8 = 0;
/// Magic, format and manifest length.
const HEADER_LEN: usize = 14;
const DIGEST_LEN: usize = 32;
const TAG_LEN: usize = 32;
/// The largest manifest accepted; a real one is a few hundred bytes.
pub const MAX_MANIFEST: usize = 1024 * 1024;
/// The longest key of any table (meta's names are the longest).
pub const MAX_KEY: usize = 256;
/// The largest value of any row; a real one is at most tens of KiB.
pub const MAX_VALUE: usize = 4 * 1024 * 1024;
/// zstd's window, capped: what we write uses 2 MiB; the library would
/// otherwise allocate up to 128 MiB for a file that asks.
const MAX_WINDOW_LOG: u32 = 23;

/// What a backup says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u16,
    pub schema_version: u32,
    pub app_version: String,
    pub created_at: String,
    pub data_key_fingerprint: String,
    /// The data key, wrapped by age as the store holds it (base64), so the
    /// tag can be checked before the body is read. Absent in format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_data_key: Option<String>,
    pub counts: BTreeMap<String, u64>,
}

impl Manifest {
    /// The wrapped data key's bytes, when the manifest carries it.
    pub fn wrapped_key(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let text = self.wrapped_data_key.as_deref()?;
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    }

    pub fn set_wrapped_key(&mut self, wrapped: &[u8]) {
        use base64::Engine;
        self.wrapped_data_key = Some(base64::engine::general_purpose::STANDARD.encode(wrapped));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(
        "not a LaunchPad backup (the file does not start with the backup header, or that header is damaged)"
    )]
    NotABackup,
    #[error("the file is damaged: {0}")]
    Damaged(String),
    #[error(
        "written by a newer LaunchPad (backup format {found}; this binary reads up to {supported}); use a newer launchpad"
    )]
    NewerFormat { found: u16, supported: u16 },
    #[error("the backup is age-encrypted; pass the identity of its recipient with --decrypt-with")]
    Encrypted,
    #[error("the identity cannot decrypt this backup (it was encrypted to another recipient)")]
    WrongIdentity,
    /// The checksum holds but the content breaks the format: a crafted file.
    #[error("the backup is malformed: {0}")]
    Malformed(String),
    #[error(
        "the backup is not authentic: its tag does not match its content under data key {0}, so it was changed after it was written"
    )]
    NotAuthentic(String),
}

fn malformed(why: impl Into<String>) -> FormatError {
    FormatError::Malformed(why.into())
}

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

pub use crate::fsutil::sync_dir;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One stored row as it streams past: table id, key bytes, value bytes.
pub struct Frame<'b> {
    pub table: u8,
    pub key: &'b [u8],
    pub value: &'b [u8],
}

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
    content_len: u64,
    body_start: u64,
}

/// What a first pass over the plain bytes found.
struct Scan {
    head: Vec<u8>,
    len: u64,
    checksum_ok: bool,
    stored_sha256: String,
    stored_len: u64,
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
    backup.sha256 = scan.stored_sha256;
    backup.size = scan.stored_len;
    if scan.head.len() < MAGIC.len() || scan.head[..MAGIC.len()] != *MAGIC {
        return Err(FormatError::NotABackup);
    }
    if scan.len < (HEADER_LEN + DIGEST_LEN) as u64 {
        return Err(FormatError::Damaged(format!(
            "it is {} bytes long, shorter than any backup: truncated",
            scan.len
        )));
    }
    if !scan.checksum_ok {
        return Err(FormatError::Damaged(
            "checksum mismatch (a changed, missing or truncated part)".into(),
        ));
    }
    // From here on the bytes are as written: what they say can be believed
    // as far as the format goes.
    backup.format = u16::from_be_bytes([scan.head[8], scan.head[9]]);
    match backup.format {
        0 => return Err(malformed("format 0 does not exist")),
        f if f > FORMAT_VERSION => {
            return Err(FormatError::NewerFormat {
                found: f,
                supported: FORMAT_VERSION,
            });
        }
        _ => {}
    }
    let tag_len = if backup.format >= 2 { TAG_LEN } else { 0 };
    backup.content_len = scan
        .len
        .checked_sub((DIGEST_LEN + tag_len) as u64)
        .filter(|n| *n >= HEADER_LEN as u64)
        .ok_or_else(|| malformed("too short for its format"))?;
    let manifest_len = u32::from_be_bytes(scan.head[10..14].try_into().expect("four bytes"));
    let manifest_len = manifest_len as usize;
    if manifest_len > MAX_MANIFEST || (HEADER_LEN + manifest_len) as u64 > backup.content_len {
        return Err(malformed(format!(
            "a manifest of {manifest_len} bytes (at most {MAX_MANIFEST}, and within the file)"
        )));
    }
    backup.body_start = (HEADER_LEN + manifest_len) as u64;
    let mut manifest = vec![0u8; HEADER_LEN + manifest_len];
    backup.plain()?.read_exact(&mut manifest)?;
    backup.manifest = serde_json::from_slice(&manifest[HEADER_LEN..])
        .map_err(|e| malformed(format!("the manifest: {e}")))?;
    if backup.manifest.format != backup.format {
        return Err(malformed(format!(
            "the manifest says format {} but the header {}",
            backup.manifest.format, backup.format
        )));
    }
    Ok(backup)
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
    fn plain(&self) -> Result<Box<dyn Read + '_>, FormatError> {
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

    /// Streams every frame of the body to `each`, in file order, checking
    /// the framing and every bound as it goes. Nothing is kept but the frame
    /// at hand.
    pub fn frames<E: From<FormatError>>(
        &self,
        mut each: impl FnMut(Frame<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut expected: BTreeMap<u8, u64> = BTreeMap::new();
        for (name, count) in &self.manifest.counts {
            let id = super::tables::id(name)
                .ok_or_else(|| malformed(format!("the manifest counts an unknown table {name}")))?;
            expected.insert(id, *count);
        }
        let limit = expected.values().fold(1u64, |sum, n| {
            sum.saturating_add(n.saturating_mul((9 + MAX_KEY + MAX_VALUE) as u64))
        });
        let mut reader = self.plain()?;
        io::copy(&mut (&mut reader).take(self.body_start), &mut io::sink())
            .map_err(FormatError::from)?;
        let body = (&mut reader).take(self.content_len - self.body_start);
        let mut decoder = zstd::Decoder::new(body).map_err(|e| damaged_body(&e))?;
        decoder
            .window_log_max(MAX_WINDOW_LOG)
            .map_err(|e| damaged_body(&e))?;
        let mut frames = FrameReader {
            source: BufReader::new(decoder.take(limit)),
            key: Vec::with_capacity(MAX_KEY),
            value: Vec::new(),
        };
        let mut seen: BTreeMap<u8, u64> = BTreeMap::new();
        // Rows come as the store iterates them: by table, then by key. Any
        // other order (a duplicate row, say) is not a backup this wrote.
        let mut previous: (u8, Vec<u8>) = (0, Vec::with_capacity(MAX_KEY));
        while let Some(table) = frames.next_table()? {
            let name = super::tables::name(table)
                .ok_or_else(|| malformed(format!("a frame for unknown table id {table}")))?;
            let count = seen.entry(table).or_default();
            *count += 1;
            let promised = expected.get(&table).copied().unwrap_or(0);
            if *count > promised {
                return Err(malformed(format!(
                    "more {name} rows than the {promised} the manifest promises"
                ))
                .into());
            }
            let (key, value) = frames.key_and_value(name)?;
            if (table, key) <= (previous.0, previous.1.as_slice()) {
                return Err(
                    malformed(format!("the {name} rows are out of order or repeated")).into(),
                );
            }
            previous.0 = table;
            previous.1.clear();
            previous.1.extend_from_slice(key);
            each(Frame { table, key, value })?;
        }
        for (table, promised) in &expected {
            let found = seen.get(table).copied().unwrap_or(0);
            if found != *promised {
                let name = super::tables::name(*table).unwrap_or("?");
                return Err(malformed(format!(
                    "the manifest promises {promised} {name} rows, the body holds {found}"
                ))
                .into());
            }
        }
        Ok(())
    }
}

fn damaged_body(e: &dyn std::fmt::Display) -> FormatError {
    malformed(format!("the compressed body: {e}"))
}

/// Reads frames off the decompressed body, one at a time, into two
/// reusable buffers.
struct FrameReader<R> {
    source: R,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl<R: BufRead> FrameReader<R> {
    /// The next frame's table id, or `None` at the end marker, which must be
    /// the last byte of the body.
    fn next_table(&mut self) -> Result<Option<u8>, FormatError> {
        let mut table = [0u8];
        self.exact(&mut table)?;
        if table[0] != END {
            return Ok(Some(table[0]));
        }
        match self.source.fill_buf() {
            Ok([]) => Ok(None),
            Ok(_) => Err(malformed("bytes after the end of the body")),
            Err(e) => Err(damaged_body(&e)),
        }
    }

    fn key_and_value(&mut self, table: &str) -> Result<(&[u8], &[u8]), FormatError> {
        let key_len = self.length()?;
        if key_len > MAX_KEY {
            return Err(malformed(format!(
                "a key of {key_len} bytes in table {table} (at most {MAX_KEY})"
            )));
        }
        self.key.resize(key_len, 0);
        let mut key = std::mem::take(&mut self.key);
        self.exact(&mut key)?;
        self.key = key;
        let value_len = self.length()?;
        if value_len > MAX_VALUE {
            return Err(malformed(format!(
                "a value of {value_len} bytes in table {table} (at most {MAX_VALUE})"
            )));
        }
        self.value.resize(value_len, 0);
        let mut value = std::mem::take(&mut self.value);
        self.exact(&mut value)?;
        self.value = value;
        Ok((&self.key, &self.value))
    }

    fn length(&mut self) -> Result<usize, FormatError> {
        let mut len = [0u8; 4];
        self.exact(&mut len)?;
        Ok(u32::from_be_bytes(len) as usize)
    }

    fn exact(&mut self, buf: &mut [u8]) -> Result<(), FormatError> {
        self.source.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                malformed("the body ends early, or decompresses to more than the manifest allows")
            }
            _ => damaged_body(&e),
        })
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
