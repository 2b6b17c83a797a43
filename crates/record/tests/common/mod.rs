#![allow(clippy::unwrap_used, dead_code)]
//! Shared fixtures: a store in a fresh temporary directory.

use std::time::Duration;

use warden_record::{FileRecordingStore, RecordingLimits};

/// A store under a temporary data directory; keep the `TempDir` alive for the test.
pub async fn store(limits: RecordingLimits) -> (tempfile::TempDir, FileRecordingStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileRecordingStore::open(dir.path(), limits).await.unwrap();
    (dir, store)
}

/// Limits small enough that tests hit them.
pub fn small_limits(max_bytes: u64) -> RecordingLimits {
    RecordingLimits {
        max_bytes,
        flush_bytes: 64,
        flush_interval: Duration::from_secs(1),
    }
}
