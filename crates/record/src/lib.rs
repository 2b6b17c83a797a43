//! Session recordings: what a client did, stored so it can be replayed and proven untouched.
//!
//! A protocol asks a [`RecordingStore`] for a [`RecordingWriter`] when a session starts, wraps it
//! in a [`SqlRecorder`] (JSON lines of statements) or an [`AsciicastRecorder`] (terminal I/O as
//! asciicast v2), and calls `finish` when the session ends; the returned
//! [`FinishedRecording::sha256_hex`] goes into the audit chain so [`verify_recording`] can later
//! prove the file was not edited. Recorders never mask: the protocol masks values before it hands
//! them over. [`apply_retention`] deletes old finished recordings; [`detect_kind`],
//! [`sql_timeline`] and [`play_asciicast`] read them back for the CLI, and
//! [`RecordingStore::follow`] reads one that is still being written. The file layout is in
//! `docs/recordings.md`.

mod asciicast;
mod compress;
mod error;
mod file;
mod file_writer;
mod follow;
mod http;
mod kind;
mod lines;
mod play;
mod replay;
mod retention;
mod sql;
mod store;
mod verify;

pub use asciicast::{AsciicastHeader, AsciicastRecorder};
pub use compress::Compression;
pub use error::RecordError;
pub use file::{FileRecordingStore, RecordingLimits, read_recording_file};
pub use http::{HttpExchange, HttpHeader, HttpRecorder, RecordedExchange};
pub use kind::{RecordingKind, validate_session_id};
pub use play::{PlayOptions, PlayStats, play_asciicast};
pub use replay::{SqlTimeline, StatementEntry, TimelineEntry, detect_kind, sql_timeline};
pub use retention::{RemovalReason, RemovedRecording, Retention, apply_retention};
pub use sql::{RowWriter, SqlEvent, SqlHeader, SqlRecorder};
pub use store::{
    FinishedRecording, RecordingInfo, RecordingReader, RecordingStore, RecordingWriter,
};
pub use verify::{RecordingMismatch, verify_recording};
