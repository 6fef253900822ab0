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

use super::StoreError;
use super::tables::{META, meta_key};
use crate::crypto::Keyring;
use crate::domain::{Millis, now_millis};
use redb::{Database, ReadableDatabase, WriteTransaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most changes folded into one transaction; bounds a batch's latency.
pub const MAX_BATCH: usize = 512;
/// Changes that may wait for the writer before callers feel back-pressure.
const QUEUE_DEPTH: usize = 4096;

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

/// Why a commit failed, shared by every caller of the batch.
#[derive(Debug, Clone)]
pub struct CommitFailed(pub Arc<str>);

type Reply = Box<dyn FnOnce(Result<(), CommitFailed>) + Send>;
type Job = Box<dyn FnOnce(&mut WriteCtx<'_>) -> (Reply, bool) + Send>;

/// Work that needs the database to itself, outside any batch (key rotation).
type Exclusive = Box<dyn FnOnce(&Database) + Send>;

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
    /// Starts the writer thread over `db`.
    pub fn start(
        db: Arc<Database>,
        keys: Arc<RwLock<Keyring>>,
        generation: Arc<AtomicU64>,
        options: WriterOptions,
    ) -> Result<Self, StoreError> {
        let ids = IdMinter::load(&db)?;
        let (queue, inbox) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let stop = run(&db, &keys, &generation, inbox, ids, options);
                // Release the database before saying we are done, so the
                // caller can rely on the file closing with the last handle.
                drop(db);
                if let Some(done) = stop {
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
        let job: Job = Box::new(move |ctx| {
            let result = change(ctx);
            let poisoned = matches!(result, Err(StoreError::Storage(_) | StoreError::Corrupt(_)));
            let reply: Reply = Box::new(move |committed| {
                let outcome = match committed {
                    Ok(()) => result,
                    // The change's own error says more than the batch's.
                    Err(_) if result.is_err() => result,
                    Err(CommitFailed(why)) => Err(StoreError::Unavailable(why.to_string())),
                };
                let _ = answer.send(outcome);
            });
            (reply, poisoned)
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
            let _ = answer.send(work(db));
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

/// The writer loop; returns the shutdown acknowledgement to send, if any.
fn run(
    db: &Database,
    keys: &RwLock<Keyring>,
    generation: &AtomicU64,
    mut inbox: mpsc::Receiver<Command>,
    mut ids: IdMinter,
    options: WriterOptions,
) -> Option<oneshot::Sender<()>> {
    let mut batch: Vec<(Job, Effect)> = Vec::with_capacity(MAX_BATCH);
    let mut stop: Option<oneshot::Sender<()>> = None;
    let mut exclusive: Option<Exclusive> = None;
    while stop.is_none() {
        match inbox.blocking_recv() {
            Some(Command::Change(job, effect)) => batch.push((job, effect)),
            Some(Command::Exclusive(work)) => exclusive = Some(work),
            Some(Command::Shutdown(done)) => stop = Some(done),
            None => break,
        }
        while batch.len() < MAX_BATCH && stop.is_none() && exclusive.is_none() {
            match inbox.try_recv() {
                Ok(Command::Change(job, effect)) => batch.push((job, effect)),
                Ok(Command::Exclusive(work)) => exclusive = Some(work),
                Ok(Command::Shutdown(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        // Changes queued before the exclusive work commit first.
        if !batch.is_empty() {
            let ring = keys.read().unwrap_or_else(|e| e.into_inner());
            commit_batch(db, &ring, generation, &mut batch, &mut ids, &options);
        }
        if let Some(work) = exclusive.take() {
            work(db);
            generation.fetch_add(1, Ordering::Release);
        }
    }
    tracing::info!("store writer stopped");
    stop
}

fn commit_batch(
    db: &Database,
    ring: &Keyring,
    generation: &AtomicU64,
    batch: &mut Vec<(Job, Effect)>,
    ids: &mut IdMinter,
    options: &WriterOptions,
) {
    let started = Instant::now();
    let size = batch.len();
    let changes = batch.iter().any(|(_, effect)| *effect == Effect::Changes);
    let mut replies = Vec::with_capacity(size);
    let outcome = (|| -> Result<(), CommitFailed> {
        let mut tx = db.begin_write().map_err(failed)?;
        tx.set_quick_repair(options.quick_repair);
        let before = ids.last;
        let mut poisoned = false;
        {
            let mut ctx = WriteCtx {
                tx: &tx,
                ring,
                now: now_millis(),
                ids,
            };
            for (job, _) in batch.drain(..) {
                let (reply, bad) = job(&mut ctx);
                replies.push(reply);
                poisoned |= bad;
            }
        }
        if poisoned {
            ids.last = before;
            let _ = tx.abort();
            return Err(CommitFailed(
                "a change in this batch hit a storage error".into(),
            ));
        }
        if ids.last != before {
            ids.save(&tx).map_err(failed)?;
        }
        tx.commit().map_err(failed)
    })();
    if let Err(CommitFailed(why)) = &outcome {
        tracing::error!(batch = size, error = %why, "store commit failed; no change in the batch was kept");
    }
    options
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
        generation.fetch_add(1, Ordering::Release);
    }
    for reply in replies {
        reply(outcome.clone());
    }
}

fn failed(e: impl std::fmt::Display) -> CommitFailed {
    CommitFailed(e.to_string().into())
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
