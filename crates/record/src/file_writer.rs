//! The append-only, hashed, size-bounded writer behind [`crate::FileRecordingStore`].

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::compress::{Compression, pack};
use crate::file::RecordingLimits;
use crate::{FinishedRecording, RecordError, RecordingKind, RecordingWriter};

/// Writes `<session>.<ext>[.zst].part` and renames it to `<session>.<ext>[.zst]` on finish; a
/// background task writes out whatever is buffered every `flush_interval`, so events reach the
/// file within about that long whether the session is busy or idle. Compressed, each write is
/// one zstd frame of the events buffered since the last.
pub(crate) struct FileRecordingWriter {
    state: Arc<Mutex<WriterState>>,
    ticker: JoinHandle<()>,
}

impl FileRecordingWriter {
    /// Creates the `.part` file with mode 0600, append-only, refusing to reuse an existing one.
    pub(crate) async fn create(
        session: &str,
        kind: RecordingKind,
        part: PathBuf,
        finished: PathBuf,
        limits: RecordingLimits,
    ) -> Result<Self, RecordError> {
        let state = Arc::new(Mutex::new(
            WriterState::create(session, kind, part, finished, limits).await?,
        ));
        let ticker = tokio::spawn(flush_periodically(
            Arc::downgrade(&state),
            limits.flush_interval,
        ));
        Ok(Self { state, ticker })
    }
}

impl Drop for FileRecordingWriter {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// Writes out buffered events every `every` until the writer is finished or dropped.
async fn flush_periodically(state: Weak<Mutex<WriterState>>, every: std::time::Duration) {
    let every = every.max(std::time::Duration::from_millis(10));
    loop {
        tokio::time::sleep(every).await;
        let Some(state) = state.upgrade() else { return };
        let mut state = state.lock().await;
        if state.buf.is_empty() {
            continue;
        }
        if let Err(e) = state.flush().await {
            // Reported by the next append, flush or finish; the caller decides what to do.
            state.failed = Some(e);
            return;
        }
    }
}

#[async_trait]
impl RecordingWriter for FileRecordingWriter {
    async fn append(&mut self, event: &[u8]) -> Result<(), RecordError> {
        self.state.lock().await.append(event).await
    }

    fn try_append(&mut self, event: &[u8]) -> Result<bool, RecordError> {
        match self.state.try_lock() {
            Ok(mut state) => state.try_append(event),
            // The ticker is flushing: wait for it in `append`.
            Err(_) => Ok(false),
        }
    }

    async fn flush(&mut self) -> Result<(), RecordError> {
        self.state.lock().await.flush().await
    }

    async fn finish(self: Box<Self>) -> Result<FinishedRecording, RecordError> {
        self.ticker.abort();
        self.state.lock().await.finish().await
    }
}

/// The file, the unwritten buffer and the running hash of one recording.
struct WriterState {
    session: String,
    kind: RecordingKind,
    part: PathBuf,
    finished: PathBuf,
    limits: RecordingLimits,
    file: tokio::fs::File,
    /// Events not yet handed to the OS; written out at `flush_bytes`, by the ticker every
    /// `flush_interval`, or at finish.
    buf: Vec<u8>,
    /// `buf` compressed, reused from write to write.
    packed: Vec<u8>,
    /// Hash of every byte written to the file (compressed, if it is).
    hasher: Sha256,
    /// Bytes of events taken (before compression), which `max_bytes` bounds.
    bytes: u64,
    /// Bytes written to the file.
    stored: u64,
    truncated: bool,
    /// An error from a background flush, returned by the next call.
    failed: Option<RecordError>,
}

impl WriterState {
    /// Creates the `.part` file with mode 0600, append-only, refusing to reuse an existing one.
    async fn create(
        session: &str,
        kind: RecordingKind,
        part: PathBuf,
        finished: PathBuf,
        limits: RecordingLimits,
    ) -> Result<Self, RecordError> {
        let file = tokio::fs::OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&part)
            .await
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    RecordError::AlreadyExists(session.to_owned())
                } else {
                    RecordError::io(format!("create {}", part.display()), e)
                }
            })?;
        Ok(Self {
            session: session.to_owned(),
            kind,
            part,
            finished,
            file,
            buf: Vec::with_capacity(limits.flush_bytes),
            packed: Vec::new(),
            limits,
            hasher: Sha256::new(),
            bytes: 0,
            stored: 0,
            truncated: false,
            failed: None,
        })
    }

    fn write_raw(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        self.bytes += data.len() as u64;
    }

    /// The single line written in place of the first event that did not fit.
    fn truncation_marker(&self, rejected: &[u8]) -> Result<Vec<u8>, RecordError> {
        let value: Option<serde_json::Value> = serde_json::from_slice(rejected).ok();
        let t = match (&value, self.kind) {
            (Some(v), RecordingKind::Sql | RecordingKind::Http) => {
                v.get("t").and_then(|t| t.as_f64())
            }
            (Some(v), RecordingKind::Terminal) => v.get(0).and_then(|t| t.as_f64()),
            (None, _) => None,
        }
        .unwrap_or(0.0);
        let reason = format!(
            "recording truncated: max_bytes {} reached, later events dropped",
            self.limits.max_bytes
        );
        let marker = match self.kind {
            RecordingKind::Sql | RecordingKind::Http => serde_json::json!({
                "t": t, "type": "truncated", "max_bytes": self.limits.max_bytes, "reason": reason,
            }),
            // asciicast v2 "m" (marker) events are ignored by players that do not know them.
            RecordingKind::Terminal => serde_json::json!([t, "m", reason]),
        };
        let mut line = serde_json::to_vec(&marker)?;
        line.push(b'\n');
        Ok(line)
    }

    fn check_failed(&mut self) -> Result<(), RecordError> {
        self.failed.take().map_or(Ok(()), Err)
    }

    /// [`Self::append`] when it would neither truncate nor flush; `Ok(false)` otherwise.
    fn try_append(&mut self, event: &[u8]) -> Result<bool, RecordError> {
        self.check_failed()?;
        if self.truncated {
            return Ok(true);
        }
        if self.bytes + event.len() as u64 > self.limits.max_bytes
            || self.buf.len() + event.len() >= self.limits.flush_bytes
        {
            return Ok(false);
        }
        self.write_raw(event);
        Ok(true)
    }

    async fn append(&mut self, event: &[u8]) -> Result<(), RecordError> {
        if self.try_append(event)? {
            return Ok(());
        }
        // The event either does not fit (it becomes the truncation marker) or is due a flush.
        if self.bytes + event.len() as u64 > self.limits.max_bytes {
            let marker = self.truncation_marker(event)?;
            self.truncated = true;
            self.write_raw(&marker);
        } else {
            self.write_raw(event);
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), RecordError> {
        self.check_failed()?;
        let ctx = || format!("write {}", self.part.display());
        if !self.buf.is_empty() {
            let stored = match self.limits.compression {
                Compression::Zstd => {
                    pack(&self.buf, &mut self.packed).map_err(|e| RecordError::io(ctx(), e))?;
                    &self.packed
                }
                Compression::None => &self.buf,
            };
            self.hasher.update(stored);
            self.stored += stored.len() as u64;
            self.file
                .write_all(stored)
                .await
                .map_err(|e| RecordError::io(ctx(), e))?;
            self.buf.clear();
        }
        // tokio's File writes in the background; flush waits until the OS has the bytes.
        self.file
            .flush()
            .await
            .map_err(|e| RecordError::io(ctx(), e))?;
        Ok(())
    }

    async fn finish(&mut self) -> Result<FinishedRecording, RecordError> {
        self.flush().await?;
        let ctx = |what: &str, path: &PathBuf| format!("{what} {}", path.display());
        self.file
            .sync_all()
            .await
            .map_err(|e| RecordError::io(ctx("sync", &self.part), e))?;
        tokio::fs::rename(&self.part, &self.finished)
            .await
            .map_err(|e| RecordError::io(ctx("finish (rename)", &self.part), e))?;
        if let Some(dir) = self.finished.parent() {
            // Make the rename itself durable; a failure here is not worth losing the hash over.
            if let Ok(d) = tokio::fs::File::open(dir).await {
                let _ = d.sync_all().await;
            }
        }
        let hasher = std::mem::take(&mut self.hasher);
        Ok(FinishedRecording {
            session: self.session.clone(),
            sha256_hex: hex::encode(hasher.finalize()),
            bytes: self.stored,
            truncated: self.truncated,
        })
    }
}
