//! What the writer does when the storage fails under it: refuse every
//! change at once while it lasts, and try to recover with growing pauses
//! until the data folder takes writes and a commit succeeds again.

use super::Loop;
use crate::store::error::{Outage, StoreError};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The first pause before trying to recover from an outage, and the longest.
const FIRST_RETRY: Duration = Duration::from_millis(250);
pub const MAX_RETRY: Duration = Duration::from_secs(2);
/// How long readers get to let go of the database when it is re-opened.
const REOPEN_PATIENCE: Duration = Duration::from_secs(2);

/// An outage in progress: since when, and when to try recovering next.
pub(super) struct Down {
    pub(super) outage: Outage,
    since: Instant,
    pub(super) next_try: Instant,
    pause: Duration,
}

impl Down {
    fn new(outage: Outage) -> Self {
        let now = Instant::now();
        Self {
            outage,
            since: now,
            next_try: now + FIRST_RETRY,
            pause: FIRST_RETRY,
        }
    }

    fn failed_again(&mut self, outage: Outage) {
        self.outage = outage;
        self.pause = (self.pause * 2).min(MAX_RETRY);
        self.next_try = Instant::now() + self.pause;
    }
}

impl Loop<'_> {
    pub(super) fn enter_outage(&mut self, outage: Outage) {
        if self.outage.is_none() {
            tracing::error!(error = %outage, "the store cannot commit: refusing every change until the store takes writes again");
            self.outage = Some(Down::new(outage));
        }
    }

    /// One attempt to end the outage: the data folder takes a write again,
    /// the database re-opens and a commit succeeds.
    pub(super) fn recover(&mut self) {
        let Some(down) = &mut self.outage else {
            return;
        };
        let attempt = (|| -> Result<(), StoreError> {
            let folder = self.slot.path().parent().unwrap_or(Path::new("."));
            crate::store::probe_folder(folder, RECOVERY_PROBE_BYTES)?;
            self.slot.reopen(REOPEN_PATIENCE)?;
            let db = self.slot.get()?;
            let mut tx = db.begin_write()?;
            tx.set_quick_repair(self.options.quick_repair);
            tx.commit()?;
            Ok(())
        })();
        match attempt {
            Ok(()) => {
                tracing::info!(
                    down_ms = down.since.elapsed().as_millis() as u64,
                    "the store commits again; writes are accepted"
                );
                self.outage = None;
                // A batch that failed may still have reached the disk.
                self.generation.fetch_add(1, Ordering::Release);
            }
            Err(e) => {
                let outage = e
                    .outage()
                    .unwrap_or_else(|| Outage::Failed(e.to_string().into()));
                tracing::debug!(error = %outage, "the store is still down");
                down.failed_again(outage);
            }
        }
    }
}

/// Bytes written and fsync'd in the data folder before a recovery attempt
/// re-opens the store: a cheap sign that space is back.
const RECOVERY_PROBE_BYTES: usize = 64 * 1024;
