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
//! the writer tries to recover with growing pauses (up to [`MAX_RETRY`](outage::MAX_RETRY)): when
//! a write in the data folder succeeds again it re-opens the database (redb
//! must be re-opened after an I/O error) and proves a commit, then serves as
//! before. Nothing acknowledged is lost, since only a durable commit is ever
//! acknowledged.

//!
//! This module holds the queue and the [`Writer`] handle requests use; the
//! thread's loop and its batch commit live in `batch`, the outage and its
//! recovery in `outage`, and the id minter in `ids`.

mod batch;
mod ids;
mod outage;

use super::error::{Outage, StoreError};
use super::slot::DbSlot;
use crate::crypto::Keyring;
use crate::domain::Millis;
use crate::store::engine::{Db, WriteTx};
use ids::IdMinter;
use outage::Down;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot};

/// Most changes folded into one transaction; bounds a batch's latency.
pub const MAX_BATCH: usize = 512;
/// Changes that may wait for the writer before callers feel back-pressure.
const QUEUE_DEPTH: usize = 4096;

/// What a queued change sees while it runs inside the batch's transaction.
pub struct WriteCtx<'a> {
    pub tx: &'a WriteTx,
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
type Exclusive = Box<dyn FnOnce(Result<&Db, StoreError>) -> Option<Outage> + Send>;

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
        let ids = IdMinter::load(&slot.get()?)?;
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
        // A request sent with an Idempotency-Key keeps its answer with the
        // change it answers, in the same transaction.
        let pending = match effect {
            Effect::Changes => super::idempotency::pending_for::<T>(),
            Effect::Probe => None,
        };
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |attempt| {
            let ctx = match attempt {
                Attempt::Run(ctx) => ctx,
                Attempt::Refuse(outage) => {
                    let _ = answer.send(Err(StoreError::Unavailable(outage)));
                    return None;
                }
            };
            let result = super::idempotency::record(ctx, pending, change);
            let poisoned = match &result {
                Err(StoreError::Corrupt(_)) => Some(None),
                Err(e @ StoreError::Storage(_)) => Some(e.outage()),
                // PostgreSQL aborts a transaction at its first error, and a
                // lost connection is an outage.
                Err(StoreError::Database(_)) => Some(None),
                Err(e @ StoreError::Unavailable(_)) => Some(e.outage()),
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
        F: FnOnce(&Db) -> Result<T, StoreError> + Send + 'static,
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
