//! The single writer and its group commit.
//!
//! Every change goes through one thread that owns redb's write side. Requests
//! queue their change as a closure; the writer drains whatever is waiting
//! (up to [`MAX_BATCH`]), applies each change in one write transaction and
//! commits once with `Durability::Immediate`. Only after that fsync does any
//! caller get its answer, so a 2xx always means "on disk". While one fsync
//! runs the next batch queues up, so throughput grows with concurrency
//! instead of being capped at one fsync per request.
//!
//! A change that fails cleanly (a missing parent, say) has written nothing and
//! does not disturb its batch-mates. A change that hits a storage error
//! poisons the transaction: the whole batch is aborted and every caller in it
//! is told the write did not happen.
//!
//! An I/O failure (a full disk) is an outage: every caller of the failed
//! batch is answered at once, and from then on every change is refused on
//! arrival, so no request ever waits on a store that cannot commit. Meanwhile
//! the writer tries to recover with growing pauses (up to [`MAX_RETRY`]): when
//! a write in the data folder succeeds again it re-opens the database (redb
//! must be re-opened after an I/O error) and proves a commit, then serves as
//! before. Nothing acknowledged is lost, since only a durable commit is ever
//! acknowledged.

use super::error::{Outage, StoreError};
use super::slot::DbSlot;
use super::tables::{META, meta_key};
use crate::crypto::Keyring;
use crate::domain::{Millis, now_millis};
use redb::{Database, ReadableDatabase, WriteTransaction};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most changes folded into one transaction; bounds a batch's latency.
pub const MAX_BATCH: usize = 512;
/// Changes that may wait for the writer before callers feel back-pressure.
const QUEUE_DEPTH: usize = 4096;
/// The first pause before trying to recover from an outage, and the longest.
const FIRST_RETRY: Duration = Duration::from_millis(250);
pub const MAX_RETRY: Duration = Duration::from_secs(2);
/// How long readers get to let go of the database when it is re-opened.
const REOPEN_PATIENCE: Duration = Duration::from_secs(2);

/// What a queued change sees while it runs inside the batch's transaction.
pub struct WriteCtx<'a> {
    pub tx: &'a WriteTransaction,
    /// Seals personal fields under the current data key.
    pub ring: &'a Keyring,
    /// One timestamp for the whole batch, so its changes agree on "now".
    pub now: Millis,
    ids: &'a mut IdMinter,
}

impl WriteCtx<'_> {
    /// A new time-ordered id, strictly greater than any minted before.
    pub fn mint_id(&mut self) -> u128 {
        self.ids.mint()
    }
}

/// Why a batch did not commit, shared by every caller in it; `down` when
/// the storage itself failed (an outage) rather than one change.
#[derive(Debug, Clone)]
struct CommitFailed {
    why: Outage,
    down: bool,
}

/// A queued change is either run inside the batch or, during an outage,
/// refused without running.
enum Attempt<'c, 'a> {
    Run(&'c mut WriteCtx<'a>),
    Refuse(Outage),
}

/// What running a change left: how to answer it once the batch's fate is
/// known, and whether it poisoned the transaction (with the outage behind
/// it, when the storage itself failed).
type Ran = (Reply, Option<Option<Outage>>);
type Reply = Box<dyn FnOnce(Result<(), CommitFailed>) + Send>;
type Job = Box<dyn FnOnce(Attempt<'_, '_>) -> Option<Ran> + Send>;

/// Work that needs the database to itself, outside any batch (key rotation);
/// it reports the outage it met, if any.
type Exclusive = Box<dyn FnOnce(Result<&Database, StoreError>) -> Option<Outage> + Send>;

/// Whether a queued job changes data. Probes commit nothing, so they leave
/// the generation (and every cached response) alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Changes,
    Probe,
}

enum Command {
    Change(Job, Effect),
    Exclusive(Exclusive),
    Shutdown(oneshot::Sender<()>),
}

/// Tuning for the writer, from configuration.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// redb's quick repair: a second fsync per commit for near-instant crash recovery.
    pub quick_repair: bool,
    /// Where each batch's commit time is recorded (`/metrics`).
    pub commit_seconds: prometheus::Histogram,
}

/// The handle requests use to queue changes.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Command>,
}

impl Writer {
    /// Starts the writer thread over the database in `slot`.
    pub fn start(
        slot: Arc<DbSlot>,
        keys: Arc<RwLock<Keyring>>,
        generation: Arc<AtomicU64>,
        options: WriterOptions,
    ) -> Result<Self, StoreError> {
        let ids = IdMinter::load(&*slot.get()?)?;
        let (queue, inbox) = mpsc::channel(QUEUE_DEPTH);
        let clock = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| StoreError::Io(format!("starting the writer's clock: {e}")))?;
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let mut writer = Loop {
                    slot: &slot,
                    keys: &keys,
                    generation: &generation,
                    ids,
                    options,
                    outage: None,
                    clock,
                };
                if let Some(done) = writer.run(inbox) {
                    let _ = done.send(());
                }
            })
            .map_err(|e| StoreError::Io(format!("starting the writer thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Queues `change` and waits until its batch is durable.
    pub async fn submit<T, F>(&self, change: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_job(change, Effect::Changes).await
    }

    /// Joins the next batch with nothing to change and waits for its
    /// durable commit: the store is writable right now.
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.queue_job(|_| Ok(()), Effect::Probe).await
    }

    async fn queue_job<T, F>(&self, change: F, effect: Effect) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |attempt| {
            let ctx = match attempt {
                Attempt::Run(ctx) => ctx,
                Attempt::Refuse(outage) => {
                    let _ = answer.send(Err(StoreError::Unavailable(outage)));
                    return None;
                }
            };
            let result = change(ctx);
            let poisoned = match &result {
                Err(StoreError::Corrupt(_)) => Some(None),
                Err(e @ StoreError::Storage(_)) => Some(e.outage()),
                _ => None,
            };
            let reply: Reply = Box::new(move |committed| {
                let outcome = match committed {
                    Ok(()) => result,
                    // The change's own error says more than the batch's,
                    // unless the storage failed under it.
                    Err(_) if result.as_ref().is_err_and(|e| e.outage().is_none()) => result,
                    Err(CommitFailed { why, .. }) => Err(StoreError::Unavailable(why)),
                };
                let _ = answer.send(outcome);
            });
            Some((reply, poisoned))
        });
        self.queue
            .send(Command::Change(job, effect))
            .await
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `work` on the writer thread between batches, with no other
    /// change in flight, and waits for its result.
    pub async fn exclusive<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Exclusive = Box::new(move |db| {
            let result = db.and_then(work);
            let outage = result.as_ref().err().and_then(StoreError::outage);
            let _ = answer.send(result);
            outage
        });
        self.queue
            .send(Command::Exclusive(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Lets every queued change finish, then stops the writer thread.
    pub async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self.queue.send(Command::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
    }
}

/// An outage in progress: since when, and when to try recovering next.
struct Down {
    outage: Outage,
    since: Instant,
    next_try: Instant,
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

/// The writer thread's state.
struct Loop<'a> {
    slot: &'a DbSlot,
    keys: &'a RwLock<Keyring>,
    generation: &'a AtomicU64,
    ids: IdMinter,
    options: WriterOptions,
    outage: Option<Down>,
    /// Lets the thread wait for the queue with a timeout during an outage.
    clock: tokio::runtime::Runtime,
}

impl Loop<'_> {
    /// Serves the queue until shutdown; returns the acknowledgement to send.
    fn run(&mut self, mut inbox: mpsc::Receiver<Command>) -> Option<oneshot::Sender<()>> {
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

    fn enter_outage(&mut self, outage: Outage) {
        if self.outage.is_none() {
            tracing::error!(error = %outage, "the store cannot commit: refusing every change until the disk takes writes again");
            self.outage = Some(Down::new(outage));
        }
    }

    /// One attempt to end the outage: the data folder takes a write again,
    /// the database re-opens and a commit succeeds.
    fn recover(&mut self) {
        let Some(down) = &mut self.outage else {
            return;
        };
        let attempt = (|| -> Result<(), StoreError> {
            let folder = self.slot.path().parent().unwrap_or(Path::new("."));
            super::probe_folder(folder, RECOVERY_PROBE_BYTES)?;
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

/// Mints UUIDv7 ids that are strictly increasing for the store's lifetime,
/// even if the clock steps back between restarts: insertion order is key order.
struct IdMinter {
    last: u128,
}

impl IdMinter {
    fn load(db: &Database) -> Result<Self, StoreError> {
        let meta = db.begin_read()?.open_table(META)?;
        let row = meta.get(meta_key::ID_HIGH_WATER)?;
        let last = row
            .and_then(|v| <[u8; 16]>::try_from(v.value()).ok())
            .map(u128::from_be_bytes)
            .unwrap_or(0);
        Ok(Self { last })
    }

    fn mint(&mut self) -> u128 {
        let candidate = Uuid::now_v7().as_u128();
        self.last = candidate.max(self.last + 1);
        self.last
    }

    fn save(&self, tx: &WriteTransaction) -> Result<(), redb::Error> {
        let mut meta = tx.open_table(META)?;
        meta.insert(meta_key::ID_HIGH_WATER, self.last.to_be_bytes().as_slice())?;
        Ok(())
    }
}
