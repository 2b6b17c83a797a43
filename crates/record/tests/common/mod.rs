#![allow(clippy::unwrap_used, dead_code)]
//! Shared fixtures: a store in a fresh temporary directory.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use warden_record::{Compression, FileRecordingStore, RecordingLimits, RecordingStore};

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
        compression: Compression::None,
    }
}

/// The bytes of recording `id` as a plain open reads them now.
pub async fn bytes(store: &dyn RecordingStore, id: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    store
        .open(id)
        .await
        .unwrap()
        .read_to_end(&mut buf)
        .await
        .unwrap();
    buf
}

/// The text of recording `id` as a plain open reads it now.
pub async fn text(store: &dyn RecordingStore, id: &str) -> String {
    String::from_utf8(bytes(store, id).await).unwrap()
}
