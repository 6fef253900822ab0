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
//!
//! Writing lives in `write`, opening and checking a file in `read`, and
//! streaming its frames back in `frames`; this module holds the layout's
//! constants, the manifest and the errors they share.

mod frames;
mod read;
mod write;

pub use crate::fsutil::sync_dir;
pub use frames::Frame;
pub use read::{Backup, open};
pub use write::{Frames, Written, write};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;

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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
