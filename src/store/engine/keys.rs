//! Keys as PostgreSQL keeps them: bytes whose plain order is the store's
//! key order, and ranges of keys as bounds on those bytes.

use redb::Key;
use std::borrow::Borrow;
use std::ops::{Bound, RangeBounds};

/// The key types the store uses, with a byte form whose plain byte order
/// is the key order (PostgreSQL compares `bytea` byte by byte; redb's own
/// encoding of integers is little-endian).
pub trait OrderedKey: Key + 'static {
    /// redb's bytes of a key, as PostgreSQL keeps them.
    fn sortable(redb_bytes: &[u8]) -> Vec<u8>;
    /// The inverse of [`OrderedKey::sortable`].
    fn from_sortable(bytes: &[u8]) -> Vec<u8>;
}

/// Reverses each 16-byte group: little-endian `u128`s to big-endian, and back.
fn flip_u128s(bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks(16)
        .flat_map(|chunk| chunk.iter().rev().copied())
        .collect()
}

impl OrderedKey for u128 {
    fn sortable(bytes: &[u8]) -> Vec<u8> {
        flip_u128s(bytes)
    }
    fn from_sortable(bytes: &[u8]) -> Vec<u8> {
        flip_u128s(bytes)
    }
}

impl OrderedKey for (u128, u128) {
    fn sortable(bytes: &[u8]) -> Vec<u8> {
        flip_u128s(bytes)
    }
    fn from_sortable(bytes: &[u8]) -> Vec<u8> {
        flip_u128s(bytes)
    }
}

impl OrderedKey for &'static str {
    fn sortable(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
    fn from_sortable(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
}

impl OrderedKey for &'static [u8] {
    fn sortable(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
    fn from_sortable(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
}

/// The sortable bytes of `key`.
pub(super) fn sortable_key<'a, K: OrderedKey>(key: &K::SelfType<'a>) -> Vec<u8> {
    K::sortable(K::as_bytes(key).as_ref())
}

/// Bounds as sortable bytes.
pub type ByteBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

pub(super) fn byte_bounds<'a, K: OrderedKey, KR: Borrow<K::SelfType<'a>> + 'a>(
    range: &impl RangeBounds<KR>,
) -> ByteBounds {
    let map = |b: Bound<&KR>| match b {
        Bound::Included(k) => Bound::Included(sortable_key::<K>(k.borrow())),
        Bound::Excluded(k) => Bound::Excluded(sortable_key::<K>(k.borrow())),
        Bound::Unbounded => Bound::Unbounded,
    };
    (map(range.start_bound()), map(range.end_bound()))
}
