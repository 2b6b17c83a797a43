//! The cached classifier every PostgreSQL session shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Classification;
use crate::cache::BoundedCache;
use crate::cache_key::{cache_key, write_cache_key};
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
        self.classify_cached(&cache_key(sql))
    }

    /// The classification of the statement `key` was last [set](ShapeKey::set) from: the same
    /// as [`Self::classify`] of that statement.
    pub fn classify_key(&self, key: &ShapeKey) -> Arc<Classification> {
        self.classify_cached(&key.text)
    }

    fn classify_cached(&self, key: &str) -> Arc<Classification> {
        if let Some(found) = self.cache.get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return found;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let classification = Arc::new(classify_uncached(key));
        self.cache.insert(key, Arc::clone(&classification));
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

/// The text a statement is classified and cached under: statements of one shape (plain data
/// statements differing only in numeric literals, see [`Classifier::classify`]) share it. A
/// session keeps one and sets it for every statement, so comparing shapes allocates nothing.
#[derive(Debug, Default)]
pub struct ShapeKey {
    text: String,
}

impl ShapeKey {
    /// Makes this the key of `sql`.
    pub fn set(&mut self, sql: &str) {
        write_cache_key(sql, &mut self.text);
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(Classifier::DEFAULT_CAPACITY)
    }
}
