//! Safe retries: the first answer to a `POST` sent with an `Idempotency-Key`,
//! kept for [`KEPT_FOR`] and written in the same transaction as the change
//! it answers.
//!
//! Writing both at once is what makes a retry safe whatever was lost: if the
//! change committed, so did its answer, and a retry gets that answer back;
//! if it did not, neither exists, and the retry makes the change afresh.
//!
//! The HTTP layer names the key and how to render the answer
//! ([`answering`]); the writer picks that up for the change the request
//! queues ([`super::writer`]) and calls [`record`] inside the batch's
//! transaction. Answers are sealed under the data key, since they may carry
//! personal fields, and journaled as rows of the `idempotency` table so a
//! restored store replays them with the changes they answer.

use super::Store;
use super::error::StoreError;
use super::journal::{self, RowChange};
use super::records::{FieldSlot, Sealed, decode, encode};
use super::tables::IDEMPOTENCY;
use super::writer::WriteCtx;
use crate::domain::Millis;
use crate::store::engine::WriteTx;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::any::{Any, TypeId};
use std::cell::RefCell;

/// How long an answer is kept: a day, as the IETF draft and Stripe suggest.
pub const KEPT_FOR: Millis = 24 * 60 * 60 * 1000;

/// Where an answer's body is sealed.
pub const ANSWER: FieldSlot = FieldSlot {
    table: "idempotency",
    field: "answer",
};

/// An answer as it is kept and replayed: status, headers, JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A caller's key for one request, and the request's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Whose key it is: keys of different callers never meet.
    pub scope: String,
    pub key: String,
    /// A digest of the method, path and body the key was first sent with.
    pub fingerprint: String,
}

impl Claim {
    /// The row id: a digest of scope and key, so neither is a table key.
    pub fn id(&self) -> u128 {
        let mut hash = Sha256::new();
        hash.update(self.scope.as_bytes());
        hash.update([0]);
        hash.update(self.key.as_bytes());
        let digest = hash.finalize();
        u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"))
    }
}

/// What a key has already answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing kept (or kept too long ago): the request runs.
    Nothing,
    /// The same request was answered: replay this.
    Same(Answer),
    /// The key was used for another request.
    Different,
}

/// One stored answer.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    scope: String,
    key: String,
    fingerprint: String,
    status: u16,
    headers: Vec<(String, String)>,
    answer: Sealed,
    created_at: Millis,
}

/// Renders a write's value (as `Any`) into its answer, if it is one.
type Render = Box<dyn FnOnce(&dyn Any) -> Option<Answer> + Send>;

/// The answer a request still has to record, and which write it answers.
pub(super) struct Pending {
    claim: Claim,
    answers: TypeId,
    render: Render,
}

tokio::task_local! {
    static PENDING: RefCell<Option<Pending>>;
}

/// Runs `request`, a future that queues writes, so that the first write
/// whose value is a `T` also records `render(value)` as the answer to
/// `claim`. `render` answers `None` for a value that changed nothing (a
/// refused row), which is then not kept. Without a claim, just runs it.
pub async fn answering<T, F>(
    claim: Option<Claim>,
    render: impl FnOnce(&T) -> Option<Answer> + Send + 'static,
    request: F,
) -> F::Output
where
    T: 'static,
    F: Future,
{
    let Some(claim) = claim else {
        return request.await;
    };
    let pending = Pending {
        claim,
        answers: TypeId::of::<T>(),
        render: Box::new(move |value| value.downcast_ref::<T>().and_then(render)),
    };
    PENDING.scope(RefCell::new(Some(pending)), request).await
}

/// For the writer: the answer to record with a write whose value is a `T`.
pub(super) fn pending_for<T: 'static>() -> Option<Pending> {
    PENDING
        .try_with(|pending| {
            let mut pending = pending.borrow_mut();
            if pending
                .as_ref()
                .is_some_and(|p| p.answers == TypeId::of::<T>())
            {
                pending.take()
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

/// Runs `change` in the batch's transaction and keeps its answer there too.
/// A key another request has just answered (another process, or a retry
/// that raced past the HTTP layer's check) refuses the change unmade.
pub(super) fn record<T: 'static>(
    ctx: &mut WriteCtx<'_>,
    pending: Option<Pending>,
    change: impl FnOnce(&mut WriteCtx<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let Some(pending) = pending else {
        return change(ctx);
    };
    let id = pending.claim.id();
    if live(ctx.tx, id, &pending.claim, ctx.now)?.is_some() {
        return Err(StoreError::Conflict(
            "a request with this Idempotency-Key has just been answered; send it again to get that answer".into(),
        ));
    }
    let value = change(ctx)?;
    if let Some(answer) = (pending.render)(&value) {
        put(ctx, id, pending.claim, answer)?;
    }
    Ok(value)
}

fn put(ctx: &mut WriteCtx<'_>, id: u128, claim: Claim, answer: Answer) -> Result<(), StoreError> {
    let record = Record {
        scope: claim.scope,
        key: claim.key,
        fingerprint: claim.fingerprint,
        status: answer.status,
        headers: answer.headers,
        answer: ANSWER.seal(ctx.ring, id, &answer.body),
        created_at: ctx.now,
    };
    let bytes = encode(&record);
    ctx.tx
        .open_table(IDEMPOTENCY)?
        .insert(id, bytes.as_slice())?;
    let stamp = ctx.stamp();
    journal::append_row(
        ctx.tx,
        ctx.ring,
        stamp,
        RowChange {
            table: "idempotency",
            project: None,
            row: id,
            record: Some(&bytes),
            sealed: true,
        },
    )
}

/// The record kept for `claim` in the writer's transaction, if still live.
fn live(tx: &WriteTx, id: u128, claim: &Claim, now: Millis) -> Result<Option<Record>, StoreError> {
    let table = tx.open_table(IDEMPOTENCY)?;
    let Some(row) = table.get(id)? else {
        return Ok(None);
    };
    let record: Record = decode("idempotency", row.value())?;
    Ok(is_live(&record, claim, now).then_some(record))
}

/// Kept for this caller's key, and not yet expired.
fn is_live(record: &Record, claim: &Claim, now: Millis) -> bool {
    record.scope == claim.scope && record.key == claim.key && now < record.created_at + KEPT_FOR
}

/// Checks that a sealed answer opens to JSON, for backup verify.
pub fn check_answer(text: &str) -> Result<(), crate::domain::TextError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(drop)
        .map_err(|_| crate::domain::TextError::Invalid("not JSON"))
}

/// Expired answers removed per change, so pruning never holds up the writer.
const PRUNE_BATCH: usize = 500;

impl Store {
    /// What `claim`'s key has already answered.
    pub fn idempotent_answer(&self, claim: &Claim) -> Result<Found, StoreError> {
        let id = claim.id();
        let tx = self.db.get()?.begin_read()?;
        let table = tx.open_table(IDEMPOTENCY)?;
        let Some(row) = table.get(id)? else {
            return Ok(Found::Nothing);
        };
        let record: Record = decode("idempotency", row.value())?;
        if !is_live(&record, claim, crate::domain::now_millis()) {
            return Ok(Found::Nothing);
        }
        if record.fingerprint != claim.fingerprint {
            return Ok(Found::Different);
        }
        let ring = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let body = ANSWER.open(&ring, id, &record.answer, |text| Ok(text.to_owned()))?;
        drop(ring);
        Ok(Found::Same(Answer {
            status: record.status,
            headers: record.headers,
            body,
        }))
    }

    /// Removes every answer kept longer than `older_than` (the service
    /// passes [`KEPT_FOR`]); how many went. Finds them in a read
    /// transaction and deletes them a batch per change.
    pub async fn prune_idempotency(&self, older_than: Millis) -> Result<usize, StoreError> {
        let cutoff = crate::domain::now_millis() - older_than;
        let expired = self
            .blocking(move |store| {
                let tx = store.db.get()?.begin_read()?;
                let mut expired = Vec::new();
                for row in tx.open_table(IDEMPOTENCY)?.iter()? {
                    let (id, value) = row?;
                    let record: Record = decode("idempotency", value.value())?;
                    if record.created_at <= cutoff {
                        expired.push(id.value());
                    }
                }
                Ok(expired)
            })
            .await?;
        let mut pruned = 0;
        for batch in expired.chunks(PRUNE_BATCH) {
            let batch = batch.to_vec();
            pruned += self
                .writer
                .submit(move |ctx| prune(ctx, &batch, cutoff))
                .await?;
        }
        Ok(pruned)
    }
}

/// Deletes those of `ids` still expired at `cutoff`, journaling each.
fn prune(ctx: &mut WriteCtx<'_>, ids: &[u128], cutoff: Millis) -> Result<usize, StoreError> {
    let mut pruned = 0;
    for &id in ids {
        let expired = {
            let table = ctx.tx.open_table(IDEMPOTENCY)?;
            match table.get(id)? {
                Some(row) => decode::<Record>("idempotency", row.value())?.created_at <= cutoff,
                None => false,
            }
        };
        if !expired {
            continue;
        }
        ctx.tx.open_table(IDEMPOTENCY)?.remove(id)?;
        let stamp = ctx.stamp();
        journal::append_row(
            ctx.tx,
            ctx.ring,
            stamp,
            RowChange {
                table: "idempotency",
                project: None,
                row: id,
                record: None,
                sealed: false,
            },
        )?;
        pruned += 1;
    }
    Ok(pruned)
}
