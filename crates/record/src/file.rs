//! Recordings as files in `<data_dir>/recordings/`.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;

use crate::compress::{Compression, Unpack, ZSTD_SUFFIX};
use crate::file_writer::FileRecordingWriter;
use crate::{
    RecordError, RecordingInfo, RecordingKind, RecordingReader, RecordingStore, RecordingWriter,
    validate_session_id,
};

/// Suffix of a recording still being written; removed by renaming when it is finished.
pub(crate) const PART_SUFFIX: &str = ".part";

/// Size, durability and storage settings for each recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingLimits {
    /// Most bytes of events (before compression) per recording before events are dropped
    /// (the marker may exceed it).
    pub max_bytes: u64,
    /// Buffered bytes that force a write to the file.
    pub flush_bytes: usize,
    /// Longest time an appended event stays buffered when more events follow.
    pub flush_interval: Duration,
    /// How new recordings are stored; any recording is read back whichever way it was stored.
    /// Plain here by default; the gateway's `[gateway.recordings] compression` defaults to zstd.
    pub compression: Compression,
}

impl Default for RecordingLimits {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            flush_bytes: 64 * 1024,
            flush_interval: Duration::from_secs(1),
            compression: Compression::None,
        }
    }
}

/// A [`RecordingStore`] over one directory, one file per session.
#[derive(Debug, Clone)]
pub struct FileRecordingStore {
    dir: PathBuf,
    limits: RecordingLimits,
}

impl FileRecordingStore {
    /// Opens (creating with mode 0700 if needed) `<data_dir>/recordings/`.
    pub async fn open(data_dir: &Path, limits: RecordingLimits) -> Result<Self, RecordError> {
        let dir = data_dir.join("recordings");
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder
            .create(&dir)
            .await
            .map_err(|e| RecordError::io(format!("create {}", dir.display()), e))?;
        Ok(Self { dir, limits })
    }

    /// The directory holding the recording files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a finished recording of this session and kind, stored as new ones are.
    pub fn finished_path(&self, session: &str, kind: RecordingKind) -> PathBuf {
        self.path(session, kind, self.limits.compression, "")
    }

    /// The path of a recording of this session and kind that is still being written, stored as
    /// new ones are.
    pub fn part_path(&self, session: &str, kind: RecordingKind) -> PathBuf {
        self.path(session, kind, self.limits.compression, PART_SUFFIX)
    }

    fn path(&self, session: &str, kind: RecordingKind, c: Compression, part: &str) -> PathBuf {
        let (ext, zst) = (kind.extension(), c.suffix());
        self.dir.join(format!("{session}.{ext}{zst}{part}"))
    }

    /// Every existing file of this session, finished ones first.
    async fn existing(&self, session: &str) -> Result<Vec<PathBuf>, RecordError> {
        validate_session_id(session)?;
        let mut found = Vec::new();
        let mut candidates = Vec::new();
        for part in ["", PART_SUFFIX] {
            for kind in RecordingKind::ALL {
                for compression in [Compression::Zstd, Compression::None] {
                    candidates.push(self.path(session, kind, compression, part));
                }
            }
        }
        // The twelve names are looked up in one trip to the blocking pool, not one each: this
        // runs whenever a session starts.
        tokio::task::spawn_blocking(move || {
            for path in candidates {
                match std::fs::symlink_metadata(&path) {
                    Ok(_) => found.push(path),
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(RecordError::io(format!("stat {}", path.display()), e)),
                }
            }
            Ok(found)
        })
        .await
        .map_err(|e| RecordError::io("look up the recording files", std::io::Error::other(e)))?
    }

    /// The session's recording file (the finished one if there is one) and its path.
    async fn open_file(&self, session: &str) -> Result<(tokio::fs::File, PathBuf), RecordError> {
        let Some(path) = self.existing(session).await?.into_iter().next() else {
            return Err(RecordError::NotFound(session.to_owned()));
        };
        match tokio::fs::File::open(&path).await {
            Ok(file) => Ok((file, path)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Err(RecordError::NotFound(session.to_owned()))
            }
            Err(e) => Err(RecordError::io(format!("open {}", path.display()), e)),
        }
    }
}

/// Splits a directory entry name into session, kind and whether it is finished.
fn parse_name(name: &str) -> Option<(String, RecordingKind, bool)> {
    let (name, finished) = match name.strip_suffix(PART_SUFFIX) {
        Some(stem) => (stem, false),
        None => (name, true),
    };
    let name = name.strip_suffix(ZSTD_SUFFIX).unwrap_or(name);
    let (session, ext) = name.rsplit_once('.')?;
    let kind = RecordingKind::from_extension(ext)?;
    validate_session_id(session).ok()?;
    Some((session.to_owned(), kind, finished))
}

#[async_trait]
impl RecordingStore for FileRecordingStore {
    async fn create(
        &self,
        session: &str,
        kind: RecordingKind,
    ) -> Result<Box<dyn RecordingWriter>, RecordError> {
        if !self.existing(session).await?.is_empty() {
            return Err(RecordError::AlreadyExists(session.to_owned()));
        }
        let writer = FileRecordingWriter::create(
            session,
            kind,
            self.part_path(session, kind),
            self.finished_path(session, kind),
            self.limits,
        )
        .await?;
        Ok(Box::new(writer))
    }

    async fn open(&self, session: &str) -> Result<RecordingReader, RecordError> {
        let (file, path) = self.open_file(session).await?;
        decoded(Box::new(file), &path)
    }

    async fn open_stored(&self, session: &str) -> Result<RecordingReader, RecordError> {
        let (file, _) = self.open_file(session).await?;
        Ok(Box::new(file))
    }

    async fn follow(&self, session: &str, poll: Duration) -> Result<RecordingReader, RecordError> {
        let Some(path) = self.existing(session).await?.into_iter().next() else {
            return Err(RecordError::NotFound(session.to_owned()));
        };
        // Finished files come first, so a `.part` here means the recording is still open.
        if !path.to_string_lossy().ends_with(PART_SUFFIX) {
            return self.open(session).await;
        }
        match tokio::fs::File::open(&path).await {
            Ok(file) => decoded(crate::follow::reader(file, path.clone(), poll), &path),
            // Finished (renamed) in between: read the finished file.
            Err(e) if e.kind() == ErrorKind::NotFound => self.open(session).await,
            Err(e) => Err(RecordError::io(format!("open {}", path.display()), e)),
        }
    }

    async fn list(&self) -> Result<Vec<RecordingInfo>, RecordError> {
        let context = || format!("list {}", self.dir.display());
        let mut entries = tokio::fs::read_dir(&self.dir)
            .await
            .map_err(|e| RecordError::io(context(), e))?;
        let mut out = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| RecordError::io(context(), e))?
        {
            let name = entry.file_name();
            let Some((session, kind, finished)) = name.to_str().and_then(parse_name) else {
                continue;
            };
            let meta = match entry.metadata().await {
                Ok(meta) if meta.is_file() => meta,
                Ok(_) => continue,
                // Removed between read_dir and stat (retention on another task): skip it.
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(RecordError::io(context(), e)),
            };
            let modified = meta.modified().map_err(|e| RecordError::io(context(), e))?;
            out.push(RecordingInfo {
                session,
                kind,
                size: meta.len(),
                modified,
                finished,
            });
        }
        out.sort_by(|a, b| a.session.cmp(&b.session));
        Ok(out)
    }

    async fn remove(&self, session: &str) -> Result<(), RecordError> {
        let paths = self.existing(session).await?;
        if paths.is_empty() {
            return Err(RecordError::NotFound(session.to_owned()));
        }
        for path in paths {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(RecordError::io(format!("remove {}", path.display()), e)),
            }
        }
        Ok(())
    }
}

/// The events of the recording file at `path`, decoded if its name says it is compressed (for
/// tools and tests that look at the files themselves).
pub async fn read_recording_file(path: &Path) -> Result<Vec<u8>, RecordError> {
    use tokio::io::AsyncReadExt;
    let what = || format!("read {}", path.display());
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| RecordError::io(what(), e))?;
    let mut events = Vec::new();
    decoded(Box::new(file), path)?
        .read_to_end(&mut events)
        .await
        .map_err(|e| RecordError::io(what(), e))?;
    Ok(events)
}

/// `reader` of the file at `path`, decoded if its name says it is compressed.
fn decoded(reader: RecordingReader, path: &Path) -> Result<RecordingReader, RecordError> {
    let name = path.to_string_lossy();
    let name = name.strip_suffix(PART_SUFFIX).unwrap_or(&name);
    if !name.ends_with(ZSTD_SUFFIX) {
        return Ok(reader);
    }
    let unpack = Unpack::new(reader)
        .map_err(|e| RecordError::io(format!("decode {}", path.display()), e))?;
    Ok(Box::new(unpack))
}
