//! The store section: how much memory redb may use for its page cache, and
//! whether each commit pays a second fsync so recovery after a crash is
//! near-instant.

use super::keys;
use super::parser::Parser;

#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub cache_size_mb: usize,
    pub quick_repair: bool,
}

/// `store.cache_size_mb` and `store.quick_repair`.
pub(super) fn parse(parser: &mut Parser) -> StoreSettings {
    let cache_size_mb = parser.number(&keys::CACHE_SIZE, 16, 1..=4096);
    let quick_repair = parser.boolean(&keys::QUICK_REPAIR, true);
    StoreSettings {
        cache_size_mb: cache_size_mb as usize,
        quick_repair,
    }
}
