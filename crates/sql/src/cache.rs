//! A bounded, thread-safe map from statement text to its classification.
//!
//! Two generations approximate LRU cheaply: new entries go into `current`; when it is full it
//! becomes `previous` (dropping the old `previous`), and a hit in `previous` is promoted back.
//! Recently used statements survive a rotation, and the total never exceeds the capacity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::Classification;

/// Statements longer than this are classified but not cached: they are rarely repeated and
/// would let a few huge batches hold most of the cache's memory.
pub(crate) const MAX_CACHED_STATEMENT_BYTES: usize = 64 * 1024;

type Entries = HashMap<Box<str>, Arc<Classification>>;

/// The two generations behind one lock.
#[derive(Debug, Default)]
struct Generations {
    current: Entries,
    previous: Entries,
}

/// A bounded cache of classifications keyed by exact statement text.
#[derive(Debug)]
pub(crate) struct BoundedCache {
    capacity: usize,
    generations: Mutex<Generations>,
}

impl BoundedCache {
    /// A cache holding at most `capacity` entries (0 disables caching).
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            capacity,
            generations: Mutex::new(Generations::default()),
        }
    }

    /// The classification cached for `sql`, promoting it if it was about to age out.
    pub(crate) fn get(&self, sql: &str) -> Option<Arc<Classification>> {
        let mut generations = self.lock();
        if let Some(found) = generations.current.get(sql) {
            return Some(Arc::clone(found));
        }
        let (key, found) = generations.previous.remove_entry(sql)?;
        self.insert_current(&mut generations, key, Arc::clone(&found));
        Some(found)
    }

    /// Caches `classification` for `sql` unless caching is off or the text is too long.
    pub(crate) fn insert(&self, sql: &str, classification: Arc<Classification>) {
        if self.capacity == 0 || sql.len() > MAX_CACHED_STATEMENT_BYTES {
            return;
        }
        let mut generations = self.lock();
        self.insert_current(&mut generations, sql.into(), classification);
    }

    /// How many entries are cached.
    pub(crate) fn len(&self) -> usize {
        let generations = self.lock();
        generations.current.len() + generations.previous.len()
    }

    fn insert_current(
        &self,
        generations: &mut Generations,
        key: Box<str>,
        value: Arc<Classification>,
    ) {
        let limit = (self.capacity / 2).max(1);
        if generations.current.len() >= limit && !generations.current.contains_key(&key) {
            if self.capacity >= 2 {
                generations.previous = std::mem::take(&mut generations.current);
            } else {
                generations.current.clear();
            }
        }
        generations.previous.remove(&key);
        generations.current.insert(key, value);
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // A panic while holding the lock cannot leave the maps inconsistent, so keep going.
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
