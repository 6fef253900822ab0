//! The browser UI, served from the binary itself.
//!
//! The files under `web/` are embedded with rust-embed; debug builds read
//! them from disk, so a UI change needs no rebuild. `index.html` names its
//! assets under `/assets/<version>/…`, where the version is a digest of every
//! UI file: changing any file changes every asset URL, so assets are cached
//! for a year while `index.html` is revalidated on each load. Each file is
//! gzipped once, when first asked for, and served compressed to clients that
//! accept it; every answer carries an ETag and `If-None-Match` gets a 304.
//! Any other GET outside `/api` is answered with `index.html`, so the UI's own
//! routes survive a reload; unknown API paths stay problem+json 404s.

use super::error::ApiError;
use actix_web::http::Method;
use actix_web::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH,
    VARY,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(RustEmbed)]
#[folder = "web/"]
struct Files;

/// Where `index.html` names its assets; replaced by `/assets/<version>`.
const ASSETS_TOKEN: &str = "__ASSETS__";
/// Where `index.html`'s footer names the release; replaced by Cargo.toml's version.
const RELEASE_TOKEN: &str = "__RELEASE__";

/// The UI's policy: everything from this origin, nothing inline.
pub const UI_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// One servable file, ready to send.
struct Asset {
    content_type: &'static str,
    identity: Bytes,
    /// The gzipped bytes, when the type compresses and gzip is smaller.
    gzip: Option<Bytes>,
    /// A digest prefix naming this content, the ETag's core.
    tag: String,
}

/// The content type of a file the UI may serve, by extension; other files
/// (the folder's README, say) are not served.
fn content_type(path: &str) -> Option<(&'static str, bool)> {
    let ext = path.rsplit_once('.')?.1;
    Some(match ext {
        "html" => ("text/html; charset=utf-8", true),
        "js" => ("text/javascript; charset=utf-8", true),
        "css" => ("text/css; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "json" | "webmanifest" => ("application/manifest+json", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "png" => ("image/png", false),
        "ico" => ("image/x-icon", false),
        "woff2" => ("font/woff2", false),
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).ok()?;
    let packed = encoder.finish().ok()?;
    (packed.len() < data.len()).then(|| Bytes::from(packed))
}

/// A digest over every UI file: the version in asset URLs.
fn compute_version() -> String {
    let mut names: Vec<_> = Files::iter().collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        if let Some(file) = Files::get(&name) {
            hasher.update(name.as_bytes());
            hasher.update(file.metadata.sha256_hash());
        }
    }
    hex(&hasher.finalize()[..6])
}

/// Embedded files never change, so a release build computes this once; a
/// debug build reads `web/` from disk and recomputes it per page load.
fn version() -> String {
    if cfg!(debug_assertions) {
        return compute_version();
    }
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(compute_version).clone()
}

/// Prepared assets by path, each with the digest of the source it came from.
type Prepared = Mutex<HashMap<String, ([u8; 32], Arc<Asset>)>>;

fn prepared() -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(Mutex::default)
}

/// The asset at `path`, prepared from `source` unless it already was from
/// the same content (`digest`).
fn prepare(path: &str, digest: [u8; 32], source: impl FnOnce() -> Vec<u8>) -> Option<Arc<Asset>> {
    let (content_type, compresses) = content_type(path)?;
    let mut cache = prepared().lock().unwrap_or_else(|e| e.into_inner());
    if let Some((known, asset)) = cache.get(path)
        && *known == digest
    {
        return Some(Arc::clone(asset));
    }
    let data = source();
    let asset = Arc::new(Asset {
        content_type,
        gzip: if compresses { gzip(&data) } else { None },
        identity: Bytes::from(data),
        tag: hex(&digest[..10]),
    });
    cache.insert(path.to_owned(), (digest, Arc::clone(&asset)));
    Some(asset)
}

fn file(path: &str) -> Option<Arc<Asset>> {
    if path == "index.html" || path.split('/').any(|s| s.is_empty() || s.starts_with('.')) {
        return None;
    }
    let file = Files::get(path)?;
    prepare(path, file.metadata.sha256_hash(), || file.data.into_owned())
}

/// `index.html` with its asset URLs pointing at this version.
fn index() -> Option<Arc<Asset>> {
    let file = Files::get("index.html")?;
    let version = version();
    let mut hasher = Sha256::new();
    hasher.update(file.metadata.sha256_hash());
    hasher.update(version.as_bytes());
    prepare("index.html", hasher.finalize().into(), || {
        String::from_utf8_lossy(&file.data)
            .replace(ASSETS_TOKEN, &format!("/assets/{version}"))
            .replace(RELEASE_TOKEN, env!("CARGO_PKG_VERSION"))
            .into_bytes()
    })
}

/// What a UI path means: an asset and how long it may be cached, or none.
fn resolve(path: &str) -> Option<(Arc<Asset>, &'static str)> {
    let path = path.trim_start_matches('/');
    if let Some(rest) = path.strip_prefix("assets/") {
        let (asked, name) = rest.split_once('/')?;
        // An old version's URL still gets today's file, but not for long.
        let cache = if asked == version() {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return Some((file(name)?, cache));
    }
    if path.is_empty() || path == "index.html" {
        return Some((index()?, REVALIDATE));
    }
    if let Some(asset) = file(path) {
        // Vendored files carry their version in their name.
        let cache = if path.starts_with("vendor/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return Some((asset, cache));
    }
    // A UI route such as /projects/<id>, but not a missing file.
    let last = path.rsplit('/').next().unwrap_or_default();
    (!last.contains('.')).then(|| index().map(|i| (i, REVALIDATE)))?
}

/// Whether `Accept-Encoding` allows gzip (by name or `*`, with q > 0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Whether `If-None-Match` names this content, in either encoding.
fn not_modified(headers: &HeaderMap, asset: &Asset) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t.strip_suffix("-gzip").unwrap_or(t) == asset.tag)
}

/// Serves the UI for GET and HEAD outside `/api`. Another method on a page
/// or file the UI has is a 405; anything else, and every path under `/api`
/// that no route matched, is the API's problem+json 404.
#[tracing::instrument(skip_all)]
pub async fn serve(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return Err(ApiError::NoRoute);
    }
    let (asset, cache) = resolve(path).ok_or(ApiError::NoRoute)?;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow: "GET, HEAD".into(),
        });
    }
    let gzip = asset.gzip.as_ref().filter(|_| accepts_gzip(req.headers()));
    let etag = match gzip {
        Some(_) => format!("\"{}-gzip\"", asset.tag),
        None => format!("\"{}\"", asset.tag),
    };
    let fresh = not_modified(req.headers(), &asset);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header(("Content-Security-Policy", UI_CSP));
    if asset.gzip.is_some() {
        response.insert_header((VARY, "Accept-Encoding"));
    }
    if fresh {
        return Ok(response.finish());
    }
    response.insert_header((CONTENT_TYPE, asset.content_type));
    Ok(match gzip {
        Some(packed) => response
            .insert_header((CONTENT_ENCODING, "gzip"))
            .body(packed.clone()),
        None => response.body(asset.identity.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(name: actix_web::http::header::HeaderName, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn gzip_is_accepted_by_name_or_wildcard_unless_its_quality_is_zero() {
        assert!(accepts_gzip(&headers(ACCEPT_ENCODING, "gzip, deflate, br")));
        assert!(accepts_gzip(&headers(ACCEPT_ENCODING, "br;q=1.0, *;q=0.5")));
        assert!(!accepts_gzip(&headers(ACCEPT_ENCODING, "gzip;q=0, br")));
        assert!(!accepts_gzip(&headers(ACCEPT_ENCODING, "identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn ui_routes_fall_back_to_the_index_but_missing_files_do_not() {
        let index = index().expect("web/index.html exists");
        assert_eq!(resolve("/projects/abc").unwrap().0.tag, index.tag);
        assert_eq!(resolve("/").unwrap().1, REVALIDATE);
        assert!(resolve("/nothing-here.js").is_none());
        assert!(
            resolve("/README.md").is_none(),
            "the folder's notes are not served"
        );
        assert!(resolve("/assets/x/../Cargo.toml").is_none());
    }
}
