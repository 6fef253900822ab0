//! A small cache of rendered read responses, keyed by what was asked and
//! tagged with the store generation it was read at.
//!
//! The store bumps its generation after every commit and before any writer
//! is answered, so an entry is served only while no acknowledged write has
//! happened since it was read: a client never reads older data than it has
//! written. The generation doubles as a weak ETag for `If-None-Match`.

use actix_web::http::header::{ETAG, IF_NONE_MATCH, LINK};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before the cache starts over; bounds memory.
const MAX_ENTRIES: usize = 256;

/// A rendered JSON body and its `Link` header, if any.
#[derive(Clone)]
pub struct Rendered {
    pub body: Bytes,
    pub link: Option<String>,
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (u64, Rendered)>>,
}

impl ResponseCache {
    pub fn get(&self, key: &str, generation: u64) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, r)| r.clone())
    }

    pub fn put(&self, key: String, generation: u64, rendered: Rendered) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (g, _)| *g == generation);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (generation, rendered));
    }
}

/// `200` with the body, or `304` when the client already holds this generation.
pub fn respond(req: &HttpRequest, generation: u64, rendered: Rendered) -> HttpResponse {
    let etag = format!("W/\"g{generation}\"");
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((ETAG, etag));
    if let Some(link) = rendered.link {
        response.insert_header((LINK, link));
    }
    if fresh {
        response.finish()
    } else {
        response
            .content_type("application/json")
            .body(rendered.body)
    }
}
