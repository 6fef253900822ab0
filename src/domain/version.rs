//! Versions of a single resource (a project, a checklist, a task) as clients
//! see it, for strong `ETag`s and `If-Match`.
//!
//! A version is a digest of the resource's JSON representation, exactly the
//! bytes a `GET` sends: two representations share a version only when they
//! are byte for byte the same, which is what a strong validator promises.
//! Resealing personal fields under a new key changes no version, since the
//! representation holds them opened.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The digest of one representation: 32 hex digits (128 bits of SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// The version of `value` as the API renders it.
    pub fn of<T: Serialize>(value: &T) -> Self {
        Self::of_body(&serde_json::to_vec(value).expect("API values serialize"))
    }

    /// The version of a body already rendered.
    pub fn of_body(body: &[u8]) -> Self {
        let digest = Sha256::digest(body);
        Self(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// As an `ETag` header value: quoted, and strong.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// One entity tag of an `If-Match` list. A weak tag (`W/"…"`) never
    /// names a version: `If-Match` compares strongly.
    fn from_etag(tag: &str) -> Option<Self> {
        let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
        (inner.len() == 32 && inner.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(inner.to_ascii_lowercase()))
    }
}

/// Which versions a change may be applied to, from `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expected {
    /// No `If-Match`, or `If-Match: *`: whatever is stored now.
    #[default]
    Any,
    /// Only these (possibly none, when every tag sent was weak or foreign).
    OneOf(Vec<Version>),
}

impl Expected {
    /// Reads an `If-Match` header value.
    pub fn from_if_match(header: &str) -> Self {
        if header.trim() == "*" {
            return Self::Any;
        }
        Self::OneOf(
            header
                .split(',')
                .filter_map(|tag| Version::from_etag(tag.trim()))
                .collect(),
        )
    }

    /// Whether a resource now at `current` may be changed.
    pub fn admits(&self, current: &Version) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(current),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_changes_with_any_byte_of_the_representation() {
        let one = Version::of(&serde_json::json!({ "name": "Checkout" }));
        let same = Version::of(&serde_json::json!({ "name": "Checkout" }));
        let other = Version::of(&serde_json::json!({ "name": "Checkouts" }));

        assert_eq!(one, same);
        assert_ne!(one, other);
        assert_eq!(one.etag().len(), 34);
    }

    #[test]
    fn if_match_admits_a_listed_strong_tag_or_a_star_and_never_a_weak_one() {
        let current = Version::of(&1);
        let listed = format!("\"{}\", {}", "0".repeat(32), current.etag());
        let weak = format!("W/{}", current.etag());

        assert!(Expected::from_if_match(&listed).admits(&current));
        assert!(Expected::from_if_match("*").admits(&current));
        assert!(!Expected::from_if_match(&weak).admits(&current));
        assert!(!Expected::from_if_match("\"nonsense\"").admits(&current));
    }
}
