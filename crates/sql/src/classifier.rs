//! The cached classifier every PostgreSQL session shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Classification;
use crate::cache::BoundedCache;
use crate::cache_key::cache_key;
use crate::parse::classify_uncached;

/// Classifies statement batches, caching results by exact text.
#[derive(Debug)]
pub struct Classifier {
    cache: BoundedCache,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Cache counters, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to parse.
    pub misses: u64,
    /// Entries currently cached.
    pub entries: usize,
}

impl Classifier {
    /// The cache size used by [`Classifier::default`].
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A classifier caching at most `capacity` distinct statements (0 disables the cache).
    pub fn new(capacity: usize) -> Self {
        Classifier {
            cache: BoundedCache::new(capacity),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Classifies a statement batch; the same text is parsed once while it stays cached.
    ///
    /// Plain data statements that differ only in numeric literals share an entry (see
    /// `cache_key`); the entry is the classification of the key text itself.
    pub fn classify(&self, sql: &str) -> Arc<Classification> {
        let key = cache_key(sql);
        if let Some(found) = self.cache.get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return found;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let classification = Arc::new(classify_uncached(&key));
        self.cache.insert(&key, Arc::clone(&classification));
        classification
    }

    /// Hit and miss counts and the number of cached entries.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.cache.len(),
        }
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(Classifier::DEFAULT_CAPACITY)
    }
}
