//! SQL sessions recorded as JSON lines: a header, then one line per statement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FinishedRecording, RecordError, RecordingWriter};
use warden_core::elapsed::{write_millis, write_seconds};
use warden_core::json_str;

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
        self.statement_with_rows(Instant::now(), event, |rows| event_rows(event, rows))
            .await
    }

    /// Records one statement at an explicit offset in seconds (for importers and tests).
    pub async fn statement_at(&mut self, t: f64, event: &SqlEvent) -> Result<(), RecordError> {
        let t = serde_json::to_vec(&t)?;
        self.encode_statement(
            |out| out.extend_from_slice(&t),
            event,
            |rows| event_rows(event, rows),
        )?;
        append_line(&mut *self.writer, &self.line).await
    }

    /// Records one statement whose result rows `rows` writes (`event.rows` is not read): a
    /// protocol passes the values as they came off the wire, without building strings for them.
    /// `ended` is when the statement ended, from the clock the caller timed it with.
    pub async fn statement_with_rows(
        &mut self,
        ended: Instant,
        event: &SqlEvent,
        rows: impl FnOnce(&mut RowWriter<'_>) -> Result<(), RecordError>,
    ) -> Result<(), RecordError> {
        let t = ended.saturating_duration_since(self.started);
        self.encode_statement(|out| write_seconds(out, t), event, rows)?;
        append_line(&mut *self.writer, &self.line).await
    }

    /// Encodes the statement line into `self.line`, with its trailing newline; `t` writes its
    /// offset.
    fn encode_statement(
        &mut self,
        t: impl FnOnce(&mut Vec<u8>),
        event: &SqlEvent,
        rows: impl FnOnce(&mut RowWriter<'_>) -> Result<(), RecordError>,
    ) -> Result<(), RecordError> {
        let out = &mut self.line;
        out.clear();
        out.extend_from_slice(b"{\"t\":");
        t(out);
        out.extend_from_slice(b",\"type\":\"statement\",\"sql\":");
        json_str::write_str(out, &event.sql);
        out.extend_from_slice(b",\"params\":");
        serde_json::to_writer(&mut *out, &event.params)?;
        out.extend_from_slice(b",\"columns\":");
        serde_json::to_writer(&mut *out, &*event.columns)?;
        out.extend_from_slice(b",\"rows\":[");
        let mut writer = RowWriter {
            out: &mut *out,
            written: 0,
            max: self.max_rows,
        };
        rows(&mut writer)?;
        out.extend_from_slice(b"],\"row_count\":");
        serde_json::to_writer(&mut *out, &event.row_count)?;
        out.extend_from_slice(b",\"duration_ms\":");
        write_millis(out, event.duration);
        out.extend_from_slice(b",\"error\":");
        json_str::write_optional(out, event.error.as_deref());
        out.extend_from_slice(b"}\n");
        Ok(())
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

/// Writes the rows `event` holds.
fn event_rows(event: &SqlEvent, rows: &mut RowWriter<'_>) -> Result<(), RecordError> {
    for row in &event.rows {
        rows.row(row.iter().map(|v| v.as_deref().map(str::as_bytes)))?;
    }
    Ok(())
}

/// Writes the result rows of one statement line: the first `max` rows given, each a JSON array
/// of strings (SQL NULL as `null`).
pub struct RowWriter<'a> {
    out: &'a mut Vec<u8>,
    written: usize,
    max: usize,
}

impl RowWriter<'_> {
    /// Appends one row of values (`None` is SQL NULL; bytes that are not UTF-8 are replaced with
    /// U+FFFD); rows past the recorder's limit are left out.
    pub fn row<'v>(
        &mut self,
        values: impl IntoIterator<Item = Option<&'v [u8]>>,
    ) -> Result<(), RecordError> {
        if self.written >= self.max {
            return Ok(());
        }
        if self.written > 0 {
            self.out.push(b',');
        }
        self.written += 1;
        self.out.push(b'[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            match value {
                Some(bytes) => json_str::write_lossy(self.out, bytes),
                None => self.out.extend_from_slice(b"null"),
            }
        }
        self.out.push(b']');
        Ok(())
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
