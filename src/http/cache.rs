//! A small cache of rendered read responses, keyed by what was asked and
//! tagged with the store generation it was read at.
//!
//! The store bumps its generation after every commit and before any writer
//! is answered, so an entry is served only while no acknowledged write has
//! happened since it was read: a client never reads older data than it has
//! written. The generation doubles as a weak ETag for `If-None-Match` on
//! lists; a single resource carries the strong ETag of its representation.
//!
//! Requests that miss the same entry at the same generation share one read
//! (single flight): after a write, a burst of clients costs one render, not
//! one each.
//!
//! An answer is kept from the second time its key is asked for: a client
//! paging through a long list asks for each page once, and those pages
//! would only push out the answers asked for again and again.

use super::error::ApiError;
use crate::domain::Version;
use crate::store::{Store, StoreError};
use actix_web::http::header::{ETAG, IF_NONE_MATCH, LINK};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

/// Entries kept before the cache starts over.
const MAX_ENTRIES: usize = 256;
/// Body bytes kept before the cache starts over: paging through a long list
/// visits each page once, and must not leave every page resident.
const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Keys remembered as asked for, before the cache forgets them all.
const MAX_SEEN: usize = 4096;

/// A rendered JSON body, its `Link` header if any, and for a single
/// resource the version its strong `ETag` names.
#[derive(Clone)]
pub struct Rendered {
    pub body: Bytes,
    pub link: Option<String>,
    pub version: Option<Version>,
}

/// One read in progress, which every request for the same key and
/// generation waits on.
type Flight = Arc<tokio::sync::OnceCell<Rendered>>;

/// The kept answers, with the bytes their bodies hold, and the keys asked
/// for so far (hashed).
#[derive(Default)]
struct Entries {
    by_key: HashMap<String, (u64, Rendered)>,
    bytes: usize,
    seen: HashSet<u64>,
    hasher: RandomState,
}

impl Entries {
    /// Whether `key` was asked for before; remembers that it now has been.
    fn seen_before(&mut self, key: &str) -> bool {
        let hash = self.hasher.hash_one(key);
        if self.seen.contains(&hash) {
            return true;
        }
        if self.seen.len() >= MAX_SEEN {
            self.seen.clear();
        }
        self.seen.insert(hash);
        false
    }
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<Entries>,
    flights: Mutex<HashMap<String, (u64, Flight)>>,
}

impl ResponseCache {
    /// The read in progress for `key` at `generation`, or a new one.
    fn flight(&self, key: &str, generation: u64) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        match flights.get(key) {
            Some((g, flight)) if *g == generation => Arc::clone(flight),
            _ => {
                if flights.len() >= MAX_ENTRIES {
                    flights.retain(|_, (g, _)| *g == generation);
                }
                let flight = Flight::default();
                flights.insert(key.to_owned(), (generation, Arc::clone(&flight)));
                flight
            }
        }
    }

    /// Forgets a finished read, unless a newer one took its place.
    fn landed(&self, key: &str, generation: u64) {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if flights.get(key).is_some_and(|(g, _)| *g == generation) {
            flights.remove(key);
        }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .by_key
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, r)| r.clone())
    }

    /// Keeps `rendered`, unless its key is asked for the first time. When
    /// the cache is full (by count or bytes), entries of older generations
    /// go first, then everything.
    pub fn put(&self, key: String, generation: u64, rendered: Rendered) {
        let size = rendered.body.len();
        if size > MAX_BYTES / 4 {
            return; // served, but too big to keep
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if !entries.seen_before(&key) {
            return;
        }
        if let Some((_, old)) = entries.by_key.remove(&key) {
            entries.bytes -= old.body.len();
        }
        let full = |e: &Entries| e.by_key.len() >= MAX_ENTRIES || e.bytes + size > MAX_BYTES;
        if full(&entries) {
            entries.by_key.retain(|_, (g, _)| *g == generation);
            entries.bytes = entries.by_key.values().map(|(_, r)| r.body.len()).sum();
            if full(&entries) {
                entries.by_key.clear();
                entries.bytes = 0;
            }
        }
        entries.bytes += size;
        entries.by_key.insert(key, (generation, rendered));
    }
}

/// Serves `key` from the cache at the store's current generation, or reads
/// it off the async executor with `load` (the value and its `Link` header),
/// renders it and keeps it. Tagged with the generation's weak `ETag`.
pub async fn cached<T, F>(
    req: &HttpRequest,
    store: web::Data<Store>,
    cache: &ResponseCache,
    key: String,
    load: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&Store) -> Result<(T, Option<String>), StoreError> + Send + 'static,
{
    cached_as(req, store, cache, key, false, load).await
}

/// As [`cached`], for a single resource: tagged with the strong `ETag` of
/// its representation, which `If-Match` on its changes names.
pub async fn cached_resource<T, F>(
    req: &HttpRequest,
    store: web::Data<Store>,
    cache: &ResponseCache,
    key: String,
    load: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    cached_as(req, store, cache, key, true, |s| Ok((load(s)?, None))).await
}

async fn cached_as<T, F>(
    req: &HttpRequest,
    store: web::Data<Store>,
    cache: &ResponseCache,
    key: String,
    strong: bool,
    load: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&Store) -> Result<(T, Option<String>), StoreError> + Send + 'static,
{
    let generation = store.fresh_generation().await?;
    if let Some(hit) = cache.get(&key, generation) {
        return Ok(respond(req, generation, hit));
    }
    let flight = cache.flight(&key, generation);
    let rendered = flight
        .get_or_try_init(|| async move {
            let (value, link) = store.blocking(load).await?;
            let body = serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.into()))?;
            Ok::<_, ApiError>(Rendered {
                version: strong.then(|| Version::of_body(&body)),
                body: Bytes::from(body),
                link,
            })
        })
        .await?
        .clone();
    cache.put(key.clone(), generation, rendered.clone());
    cache.landed(&key, generation);
    Ok(respond(req, generation, rendered))
}

/// The weak validator of everything read at `generation`.
pub fn etag(generation: u64) -> String {
    format!("W/\"g{generation}\"")
}

/// Whether `If-None-Match` names `etag` (or is `*`): the client holds it.
pub fn client_holds(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                // If-None-Match compares weakly: W/"x" matches "x".
                t == "*" || t.trim_start_matches("W/") == etag.trim_start_matches("W/")
            })
        })
}

/// `304` when the client already holds what was read at `generation`.
pub fn not_modified(req: &HttpRequest, generation: u64) -> Option<HttpResponse> {
    let etag = etag(generation);
    client_holds(req, &etag).then(|| {
        HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .finish()
    })
}

/// `200` with the body, or `304` when the client already holds it.
pub fn respond(req: &HttpRequest, generation: u64, rendered: Rendered) -> HttpResponse {
    let etag = match &rendered.version {
        Some(version) => version.etag(),
        None => etag(generation),
    };
    if client_holds(req, &etag) {
        return HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response.insert_header((ETAG, etag));
    if let Some(link) = rendered.link {
        response.insert_header((LINK, link));
    }
    response
        .content_type("application/json")
        .body(rendered.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(bytes: usize) -> Rendered {
        Rendered {
            body: Bytes::from(vec![b' '; bytes]),
            link: None,
            version: None,
        }
    }

    #[test]
    fn paging_through_a_long_list_keeps_at_most_the_byte_budget() {
        let cache = ResponseCache::default();

        for cursor in 0..200 {
            // Asked for twice, so kept.
            cache.put(format!("list:{cursor}"), 7, page(64 * 1024));
            cache.put(format!("list:{cursor}"), 7, page(64 * 1024));
            let entries = cache.entries.lock().unwrap();
            assert!(entries.bytes <= MAX_BYTES, "{} bytes kept", entries.bytes);
            assert_eq!(
                entries.bytes,
                entries
                    .by_key
                    .values()
                    .map(|(_, r)| r.body.len())
                    .sum::<usize>()
            );
        }
        assert!(
            cache.get("list:199", 7).is_some(),
            "the newest page is kept"
        );
    }

    #[test]
    fn an_answer_is_kept_from_the_second_time_it_is_asked_for() {
        let cache = ResponseCache::default();

        cache.put("list:once".into(), 3, page(1024));
        cache.put("list:twice".into(), 3, page(1024));
        cache.put("list:twice".into(), 3, page(1024));

        assert!(cache.get("list:once", 3).is_none(), "asked for once");
        assert!(cache.get("list:twice", 3).is_some());
        // A key asked for before is kept at once after a write.
        cache.put("list:twice".into(), 4, page(1024));
        assert!(cache.get("list:twice", 4).is_some());
    }

    #[test]
    fn a_body_too_big_to_keep_is_not_kept() {
        let cache = ResponseCache::default();

        cache.put("huge".into(), 1, page(MAX_BYTES));
        cache.put("huge".into(), 1, page(MAX_BYTES));

        assert!(cache.get("huge", 1).is_none());
    }
}
