//! SQL sessions recorded as JSON lines: a header, then one line per statement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FinishedRecording, RecordError, RecordingWriter};

/// Who opened the session and where to; the first line of every SQL recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlHeader {
    /// The session id.
    pub session: String,
    /// The identity that opened the session (subject or display name).
    pub identity: String,
    /// The configured connection name.
    pub connection: String,
    /// When the session started.
    pub started: DateTime<Utc>,
}

/// One statement as the protocol saw it, with every value already masked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlEvent {
    /// The statement text (literals masked), shared with the session's statement table.
    pub sql: Arc<str>,
    /// Bound parameters as text; `None` is SQL NULL.
    pub params: Vec<Option<String>>,
    /// Result column names.
    pub columns: Arc<[String]>,
    /// Result rows as text; only the first `max_rows` are stored.
    pub rows: Vec<Vec<Option<String>>>,
    /// How many rows the statement returned or affected in total.
    pub row_count: u64,
    /// How long the upstream took.
    pub duration: Duration,
    /// The error returned to the client, if any.
    pub error: Option<String>,
}

#[derive(Serialize)]
struct HeaderLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    #[serde(flatten)]
    header: &'a SqlHeader,
}

#[derive(Serialize)]
struct StatementLine<'a> {
    t: f64,
    #[serde(rename = "type")]
    kind: &'static str,
    sql: &'a str,
    params: &'a [Option<String>],
    columns: &'a [String],
    rows: &'a [Vec<Option<String>>],
    row_count: u64,
    duration_ms: f64,
    error: Option<&'a str>,
}

/// Writes a SQL session as JSON lines. It does not mask: callers pass already-masked text.
pub struct SqlRecorder {
    writer: Box<dyn RecordingWriter>,
    started: Instant,
    max_rows: usize,
    /// The line being encoded, reused from statement to statement.
    line: Vec<u8>,
}

impl SqlRecorder {
    /// Writes the header line and starts the clock that `t` is measured from.
    pub async fn start(
        mut writer: Box<dyn RecordingWriter>,
        header: &SqlHeader,
        max_rows: usize,
    ) -> Result<Self, RecordError> {
        let line = HeaderLine {
            kind: "header",
            version: 1,
            header,
        };
        writer.append(&to_line(&line)?).await?;
        Ok(Self {
            writer,
            started: Instant::now(),
            max_rows,
            line: Vec::with_capacity(512),
        })
    }

    /// Records one statement, `t` being the time since the session started.
    pub async fn statement(&mut self, event: &SqlEvent) -> Result<(), RecordError> {
        let t = self.started.elapsed().as_secs_f64();
        self.statement_at(t, event).await
    }

    /// Records one statement at an explicit offset in seconds (for importers and tests).
    pub async fn statement_at(&mut self, t: f64, event: &SqlEvent) -> Result<(), RecordError> {
        let kept = event.rows.len().min(self.max_rows);
        let line = StatementLine {
            t,
            kind: "statement",
            sql: &event.sql,
            params: &event.params,
            columns: &event.columns,
            rows: event.rows.get(..kept).unwrap_or_default(),
            row_count: event.row_count,
            duration_ms: event.duration.as_secs_f64() * 1000.0,
            error: event.error.as_deref(),
        };
        encode_line(&mut self.line, &line)?;
        append_line(&mut *self.writer, &self.line).await
    }

    /// Pushes buffered events to storage (call from a timer while the session is idle).
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        self.writer.flush().await
    }

    /// Ends the recording and returns its hash for the audit chain.
    pub async fn finish(self) -> Result<FinishedRecording, RecordError> {
        self.writer.finish().await
    }
}

/// Encodes one value as a JSON line with its trailing newline into `line`, replacing what it held
/// (recorders keep one buffer for every line, so a long line does not regrow a fresh one).
pub(crate) fn encode_line(line: &mut Vec<u8>, value: &impl Serialize) -> Result<(), RecordError> {
    line.clear();
    serde_json::to_writer(&mut *line, value)?;
    line.push(b'\n');
    Ok(())
}

/// Appends an encoded line through `writer`, without a boxed future when it can take the line at
/// once.
pub(crate) async fn append_line(
    writer: &mut dyn RecordingWriter,
    line: &[u8],
) -> Result<(), RecordError> {
    if writer.try_append(line)? {
        return Ok(());
    }
    writer.append(line).await
}

/// Encodes one value as a JSON line with its trailing newline.
pub(crate) fn to_line(value: &impl Serialize) -> Result<Vec<u8>, RecordError> {
    let mut line = Vec::new();
    encode_line(&mut line, value)?;
    Ok(line)
}
