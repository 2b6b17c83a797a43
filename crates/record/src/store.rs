//! The storage interface every backend (local disk, later object storage) implements.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::{RecordError, RecordingKind};

/// Bytes of one recording being read back.
pub type RecordingReader = Box<dyn AsyncRead + Send + Unpin>;

/// Where recordings live: one append-only object per session.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Starts a new recording; fails if one already exists for the session.
    async fn create(
        &self,
        session: &str,
        kind: RecordingKind,
    ) -> Result<Box<dyn RecordingWriter>, RecordError>;
    /// Opens a recording for reading: the finished one, or the one still being written; its
    /// events as written, decoded if it is stored compressed.
    async fn open(&self, session: &str) -> Result<RecordingReader, RecordError>;
    /// Opens a recording as [`RecordingStore::open`] does, but reads the bytes as stored, which
    /// [`FinishedRecording::sha256_hex`] covers. A store that does not compress returns what
    /// `open` returns.
    async fn open_stored(&self, session: &str) -> Result<RecordingReader, RecordError> {
        self.open(session).await
    }
    /// Opens a recording for reading like [`RecordingStore::open`]; while it is still being
    /// written, the reader waits for more (looking again every `poll`) and ends only once it is
    /// finished or removed. A store that cannot follow returns what `open` returns.
    async fn follow(&self, session: &str, poll: Duration) -> Result<RecordingReader, RecordError> {
        let _ = poll;
        self.open(session).await
    }
    /// Describes every recording, finished or not.
    async fn list(&self) -> Result<Vec<RecordingInfo>, RecordError>;
    /// Deletes a recording, finished or not.
    async fn remove(&self, session: &str) -> Result<(), RecordError>;
}

/// An append-only sink for one recording.
#[async_trait]
pub trait RecordingWriter: Send {
    /// Appends one complete event (a whole line, newline included); dropped once `max_bytes` is
    /// reached, after a single truncation marker.
    async fn append(&mut self, event: &[u8]) -> Result<(), RecordError>;
    /// Appends `event` as [`RecordingWriter::append`] would, when that needs no I/O now;
    /// `Ok(false)` (the default) leaves it to `append`. Spares the hot path a boxed future.
    fn try_append(&mut self, event: &[u8]) -> Result<bool, RecordError> {
        let _ = event;
        Ok(false)
    }
    /// Pushes buffered bytes to storage; call it from a timer so an idle session loses nothing.
    async fn flush(&mut self) -> Result<(), RecordError>;
    /// Flushes, marks the recording finished and returns its hash for the audit chain.
    async fn finish(self: Box<Self>) -> Result<FinishedRecording, RecordError>;
}

/// A recording that is complete and will not change again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedRecording {
    /// The session it belongs to.
    pub session: String,
    /// Lowercase hex SHA-256 of every stored byte (compressed, if the store compresses).
    pub sha256_hex: String,
    /// How many bytes were stored (compressed, if the store compresses).
    pub bytes: u64,
    /// Whether events were dropped because the recording reached `max_bytes`.
    pub truncated: bool,
}

/// What the store knows about one recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingInfo {
    /// The session it belongs to.
    pub session: String,
    /// Its format.
    pub kind: RecordingKind,
    /// Stored size in bytes (an unfinished one may have more buffered in memory).
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
    /// Whether `finish` completed; unfinished recordings belong to live or crashed sessions.
    pub finished: bool,
}
