//! Reading recordings back: which format a recording is in, and a SQL timeline for the CLI.

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::lines::JsonLines;
use crate::{RecordError, RecordingKind, RecordingReader, SqlHeader};

/// One statement read back from a SQL recording.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatementEntry {
    /// Seconds since the session started.
    pub t: f64,
    /// The statement text as recorded (masked).
    pub sql: String,
    /// Bound parameters; `None` is SQL NULL.
    #[serde(default)]
    pub params: Vec<Option<String>>,
    /// Result column names.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The stored rows (at most the recorder's `max_rows`).
    #[serde(default)]
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows returned or affected in total.
    #[serde(default)]
    pub row_count: u64,
    /// Upstream time in milliseconds.
    #[serde(default)]
    pub duration_ms: f64,
    /// The error the client saw, if any.
    #[serde(default)]
    pub error: Option<String>,
}

/// One line of a SQL recording.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TimelineEntry {
    /// The first line: who, where and when.
    Header {
        /// Format version (1).
        version: u32,
        /// Session, identity, connection and start time.
        #[serde(flatten)]
        header: SqlHeader,
    },
    /// A statement and its result.
    Statement(StatementEntry),
    /// The recording reached `max_bytes`; later events were dropped.
    Truncated {
        /// Seconds since the session started, of the first dropped event.
        t: f64,
        /// The limit that was reached.
        max_bytes: u64,
    },
}

/// Reads a SQL recording one entry at a time, so a followed live recording can be shown as it
/// grows.
pub struct SqlTimeline<R> {
    lines: JsonLines<R>,
}

impl<R: AsyncRead + Unpin> SqlTimeline<R> {
    /// Starts reading `reader` from its first line.
    pub fn new(reader: R) -> Self {
        Self {
            lines: JsonLines::new(reader, "SQL recording"),
        }
    }

    /// The next entry, or `None` at the end of the recording.
    pub async fn next_entry(&mut self) -> Result<Option<TimelineEntry>, RecordError> {
        let Some(value) = self.lines.next_value().await? else {
            return Ok(None);
        };
        let entry =
            serde_json::from_value(value).map_err(|e| self.lines.malformed(e.to_string()))?;
        Ok(Some(entry))
    }
}

/// Parses a SQL recording into its entries, in file order.
pub async fn sql_timeline(
    reader: impl AsyncRead + Unpin,
) -> Result<Vec<TimelineEntry>, RecordError> {
    let mut timeline = SqlTimeline::new(reader);
    let mut out = Vec::new();
    while let Some(entry) = timeline.next_entry().await? {
        out.push(entry);
    }
    Ok(out)
}

/// Reads a recording's header line to tell its format (a SQL header has `"type": "header"`,
/// an asciicast v2 header `"version": 2` and no type), and returns a reader that yields the
/// whole recording again, header included. Waits for the header if `reader` does (a followed
/// recording whose session has just started).
pub async fn detect_kind(
    reader: RecordingReader,
) -> Result<(RecordingKind, RecordingReader), RecordError> {
    let mut reader = BufReader::new(reader);
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .await
        .map_err(|e| RecordError::io("read recording header", e))?;
    let malformed = |reason: &str| RecordError::Malformed {
        line: 1,
        reason: reason.to_owned(),
    };
    if first.is_empty() {
        return Err(malformed(
            "the recording is empty (its session may have just started; try --follow)",
        ));
    }
    let header: Value = serde_json::from_slice(&first).map_err(|e| malformed(&e.to_string()))?;
    let kind = match (
        header.get("type"),
        header.get("version").and_then(Value::as_u64),
    ) {
        (Some(t), _) if t == "header" && header.get("protocol").is_some_and(|p| p == "http") => {
            RecordingKind::Http
        }
        (Some(t), _) if t == "header" => RecordingKind::Sql,
        (None, Some(2)) => RecordingKind::Terminal,
        _ => return Err(malformed("neither a SQL recording nor asciicast v2")),
    };
    let again = std::io::Cursor::new(first).chain(reader);
    Ok((kind, Box::new(again)))
}
