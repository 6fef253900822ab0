//! The writer thread's loop: it gathers a batch from the queue, applies
//! every change in one write transaction, commits once and only then
//! answers the batch's callers.

use super::{
    Attempt, Command, CommitFailed, Effect, Exclusive, Job, Loop, MAX_BATCH, Reply, WriteCtx,
};
use crate::crypto::Keyring;
use crate::domain::now_millis;
use crate::store::error::{Outage, StoreError};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

impl Loop<'_> {
    /// Serves the queue until shutdown; returns the acknowledgement to send.
    pub(super) fn run(
        &mut self,
        mut inbox: mpsc::Receiver<Command>,
    ) -> Option<oneshot::Sender<()>> {
        let mut batch: Vec<(Job, Effect)> = Vec::with_capacity(MAX_BATCH);
        let mut stop: Option<oneshot::Sender<()>> = None;
        let mut exclusive: Option<Exclusive> = None;
        while stop.is_none() {
            let Some(first) = self.next_command(&mut inbox) else {
                if inbox.is_closed() && inbox.is_empty() {
                    break;
                }
                continue;
            };
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Change(job, effect) => batch.push((job, effect)),
                    Command::Exclusive(work) => exclusive = Some(work),
                    Command::Shutdown(done) => stop = Some(done),
                }
                if batch.len() < MAX_BATCH && stop.is_none() && exclusive.is_none() {
                    next = inbox.try_recv().ok();
                }
            }
            if self
                .outage
                .as_ref()
                .is_some_and(|d| Instant::now() >= d.next_try)
            {
                self.recover();
            }
            // Changes queued before the exclusive work commit first.
            if !batch.is_empty() {
                match &self.outage {
                    Some(down) => refuse(&mut batch, &down.outage),
                    None => self.commit_batch(&mut batch),
                }
            }
            if let Some(work) = exclusive.take() {
                self.run_exclusive(work);
            }
        }
        tracing::info!("store writer stopped");
        stop
    }

    /// The next command: waited for as long as it takes while the store is
    /// healthy; during an outage only until the next recovery attempt, which
    /// runs when the wait ends with nothing queued (`None`).
    fn next_command(&mut self, inbox: &mut mpsc::Receiver<Command>) -> Option<Command> {
        let Some(down) = &self.outage else {
            return inbox.blocking_recv();
        };
        let wait = down.next_try.saturating_duration_since(Instant::now());
        match self
            .clock
            .block_on(async { tokio::time::timeout(wait, inbox.recv()).await })
        {
            Ok(command) => command,
            Err(_) => {
                self.recover();
                None
            }
        }
    }

    fn commit_batch(&mut self, batch: &mut Vec<(Job, Effect)>) {
        let started = Instant::now();
        let size = batch.len();
        let changes = batch.iter().any(|(_, effect)| *effect == Effect::Changes);
        let mut replies = Vec::with_capacity(size);
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let outcome = self.apply(&ring, batch, &mut replies);
        drop(ring);
        if let Err(CommitFailed { why, .. }) = &outcome {
            tracing::error!(batch = size, error = %why, "store commit failed; no change in the batch was kept");
            // A batch that could not start still holds its jobs.
            refuse(batch, why);
        }
        self.options
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        tracing::trace!(
            batch = size,
            elapsed_us = started.elapsed().as_micros() as u64,
            "batch committed"
        );
        if outcome.is_ok() && changes {
            // Before any caller hears back, so a cached read never hides an
            // acknowledged write.
            self.generation.fetch_add(1, Ordering::Release);
        }
        if let Err(CommitFailed { why, down: true }) = &outcome {
            self.enter_outage(why.clone());
        }
        for reply in replies {
            reply(outcome.clone());
        }
    }

    /// Runs every job of the batch in one write transaction and commits it.
    fn apply(
        &mut self,
        ring: &Keyring,
        batch: &mut Vec<(Job, Effect)>,
        replies: &mut Vec<Reply>,
    ) -> Result<(), CommitFailed> {
        let db = self.slot.get().map_err(failed)?;
        let mut tx = db.begin_write().map_err(failed)?;
        tx.set_quick_repair(self.options.quick_repair);
        if db.postgres().is_some() {
            // Other instances write too; this one holds the write lock now.
            self.ids.catch_up(&tx).map_err(failed)?;
            same_key(&tx, ring).map_err(|why| CommitFailed { why, down: false })?;
        }
        let before = self.ids.last;
        let mut poisoned: Option<Option<Outage>> = None;
        {
            let mut ctx = WriteCtx {
                tx: &tx,
                ring,
                now: now_millis(),
                ids: &mut self.ids,
            };
            for (job, _) in batch.drain(..) {
                if let Some((reply, poison)) = job(Attempt::Run(&mut ctx)) {
                    replies.push(reply);
                    if let Some(cause) = poison {
                        poisoned = Some(poisoned.flatten().or(cause));
                    }
                }
            }
        }
        if let Some(cause) = poisoned {
            self.ids.last = before;
            let _ = tx.abort();
            return Err(match cause {
                Some(why) => CommitFailed { why, down: true },
                None => CommitFailed {
                    why: Outage::Failed("a change in this batch hit a storage error".into()),
                    down: false,
                },
            });
        }
        if self.ids.last != before {
            self.ids.save(&tx).map_err(failed)?;
        }
        tx.commit().map_err(failed)
    }

    fn run_exclusive(&mut self, work: Exclusive) {
        let met = match &self.outage {
            Some(down) => work(Err(StoreError::Unavailable(down.outage.clone()))),
            None => match self.slot.get() {
                Ok(db) => work(Ok(&db)),
                Err(e) => work(Err(e)),
            },
        };
        self.generation.fetch_add(1, Ordering::Release);
        if let Some(outage) = met {
            self.enter_outage(outage);
        }
    }
}

/// Refuses to write when the store's data key is no longer the one this
/// instance holds (another instance rotated it): what it sealed now could
/// not be opened by the others.
fn same_key(tx: &crate::store::engine::WriteTx, ring: &Keyring) -> Result<(), Outage> {
    use crate::store::tables::{META, meta_key};
    let stored = (|| -> Result<Option<String>, StoreError> {
        let meta = tx.open_table(META)?;
        let fingerprint = meta.get(meta_key::DATA_KEY_FINGERPRINT)?;
        Ok(fingerprint.map(|v| String::from_utf8_lossy(v.value()).into_owned()))
    })()
    .map_err(|e| Outage::Failed(e.to_string().into()))?;
    match stored {
        Some(stored) if stored != ring.current().fingerprint() => Err(Outage::Failed(
            format!(
                "the store's data key is now {stored}, rotated by another instance; restart this instance to load it"
            )
            .into(),
        )),
        _ => Ok(()),
    }
}

/// Answers every job in `batch` with `outage`, without running it.
fn refuse(batch: &mut Vec<(Job, Effect)>, outage: &Outage) {
    for (job, _) in batch.drain(..) {
        job(Attempt::Refuse(outage.clone()));
    }
}

fn failed(e: impl Into<StoreError>) -> CommitFailed {
    let e: StoreError = e.into();
    match e.outage() {
        Some(why) => CommitFailed { why, down: true },
        None => CommitFailed {
            why: Outage::Failed(e.to_string().into()),
            down: false,
        },
    }
}
