//! A JSON array sent as it is read: a blocking store read hands over one item
//! at a time, the items are written into chunks of about [`CHUNK`] bytes, and
//! at most [`IN_FLIGHT`] chunks wait for a slow client. Memory per response
//! stays bounded however long the list is.
//!
//! The read may still refuse before the first byte is sent (a list over its
//! limit, a store that cannot be read): that becomes an ordinary problem
//! answer. An error after the first chunk cuts the connection, so a client
//! never mistakes a partial array for a whole one.

use super::error::ApiError;
use crate::store::Store;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder, web};
use serde::Serialize;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Bytes gathered before a chunk is handed to the connection.
pub const CHUNK: usize = 32 * 1024;
/// Chunks that may wait for the client before the read pauses.
const IN_FLIGHT: usize = 4;
/// How long a client may leave a chunk unread before the answer is dropped,
/// which ends the read transaction it holds open.
const STALLED: Duration = Duration::from_secs(30);

type Chunk = Result<Bytes, std::io::Error>;

/// Streams the items `read` hands to its `emit` callback as a JSON array,
/// with the headers `response` already carries. `emit` answers `false` once
/// the client has gone, and the read should then stop. `read` may refuse
/// with an error before it emits anything.
pub async fn json_array<T, F>(
    store: web::Data<Store>,
    mut response: HttpResponseBuilder,
    read: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(&Store, &mut dyn FnMut(T) -> bool) -> Result<(), ApiError> + Send + 'static,
{
    let (started, start) = oneshot::channel();
    let (chunks, body) = mpsc::channel(IN_FLIGHT);
    let handle = tokio::runtime::Handle::current();
    let reading = async move {
        store
            .paced(move |store| {
                let mut out = Writer {
                    started: Some(started),
                    chunks,
                    handle,
                    buf: Vec::with_capacity(CHUNK + 1024),
                    items: 0,
                    gone: false,
                };
                out.buf.push(b'[');
                let outcome = read(store, &mut |item| out.push(&item));
                out.end(outcome);
                Ok(())
            })
            .await
    };
    tokio::spawn(async move {
        if let Err(e) = reading.await {
            tracing::error!(error = %e, "a streamed list could not be read");
        }
    });
    match start.await {
        Ok(Ok(())) => {
            Ok(response
                .content_type("application/json")
                .streaming(futures_util::stream::unfold(body, |mut body| async {
                    body.recv().await.map(|chunk: Chunk| (chunk, body))
                })))
        }
        Ok(Err(refused)) => Err(refused),
        Err(_) => Err(ApiError::Internal(anyhow::anyhow!(
            "a streamed list ended before it started"
        ))),
    }
}

/// The reading side: gathers items into chunks and hands them over.
struct Writer {
    /// Told once: whether the answer starts (`Ok`) or is refused.
    started: Option<oneshot::Sender<Result<(), ApiError>>>,
    chunks: mpsc::Sender<Chunk>,
    handle: tokio::runtime::Handle,
    buf: Vec<u8>,
    items: usize,
    /// The client left or stalled; nothing more is sent.
    gone: bool,
}

impl Writer {
    fn push<T: Serialize>(&mut self, item: &T) -> bool {
        if self.gone {
            return false;
        }
        if self.items > 0 {
            self.buf.push(b',');
        }
        self.items += 1;
        if let Err(e) = serde_json::to_writer(&mut self.buf, item) {
            self.gone = true;
            self.end(Err(ApiError::Internal(e.into())));
            return false;
        }
        if self.buf.len() >= CHUNK {
            self.flush();
        }
        !self.gone
    }

    /// Hands the gathered bytes to the connection, first saying the answer
    /// has started.
    fn flush(&mut self) {
        if let Some(started) = self.started.take() {
            self.gone |= started.send(Ok(())).is_err();
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK + 1024),
        ));
        self.send(Ok(chunk));
    }

    fn send(&mut self, chunk: Chunk) {
        if self.gone {
            return;
        }
        let sent = self
            .handle
            .block_on(self.chunks.send_timeout(chunk, STALLED));
        if sent.is_err() {
            tracing::warn!("a client stopped reading a streamed list; it was cut off");
            self.gone = true;
        }
    }

    /// Closes the array, or refuses the answer, or cuts it off mid-way.
    fn end(&mut self, outcome: Result<(), ApiError>) {
        match (outcome, self.started.take()) {
            (Ok(()), started) => {
                self.started = started;
                self.buf.push(b']');
                self.flush();
            }
            (Err(refused), Some(started)) => {
                let _ = started.send(Err(refused));
            }
            (Err(failed), None) => {
                tracing::error!(error = %failed, "a streamed list failed part-way; the answer was cut off");
                self.send(Err(std::io::Error::other(
                    "the list could not be read to the end",
                )));
            }
        }
    }
}
