//! Streaming a backup's frames back: every length bounded before anything
//! is allocated, every row checked against the manifest's counts and the
//! order the store iterates in, and nothing kept but the frame at hand.

use super::{Backup, END, FormatError, MAX_KEY, MAX_VALUE, MAX_WINDOW_LOG, malformed};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};

/// One stored row as it streams past: table id, key bytes, value bytes.
pub struct Frame<'b> {
    pub table: u8,
    pub key: &'b [u8],
    pub value: &'b [u8],
}

impl Backup<'_> {
    /// Streams every frame of the body to `each`, in file order, checking
    /// the framing and every bound as it goes. Nothing is kept but the frame
    /// at hand.
    pub fn frames<E: From<FormatError>>(
        &self,
        mut each: impl FnMut(Frame<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut expected: BTreeMap<u8, u64> = BTreeMap::new();
        for (name, count) in &self.manifest.counts {
            let id = crate::backup::tables::id(name)
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
            let name = crate::backup::tables::name(table)
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
                let name = crate::backup::tables::name(*table).unwrap_or("?");
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
