//! Reading recordings back: a SQL timeline and a timed asciicast player for the CLI.

use std::io::Write;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::{RecordError, SqlHeader};

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

/// Parses a SQL recording into its entries, in file order.
pub async fn sql_timeline(
    reader: impl AsyncRead + Unpin,
) -> Result<Vec<TimelineEntry>, RecordError> {
    let mut lines = BufReader::new(reader).lines();
    let mut out = Vec::new();
    let mut n = 0;
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|e| RecordError::io("read SQL recording", e))?
    {
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| RecordError::Malformed {
            line: n,
            reason: e.to_string(),
        })?;
        out.push(entry);
    }
    Ok(out)
}

/// How to play a terminal recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayOptions {
    /// Playback speed factor; 2.0 plays twice as fast. Must be positive.
    pub speed: f64,
    /// Longest pause between two events (before the speed factor); `None` keeps real pauses.
    pub max_idle: Option<Duration>,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            max_idle: Some(Duration::from_secs(2)),
        }
    }
}

/// What a playback wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayStats {
    /// Output events written.
    pub events: usize,
    /// Bytes written to `out`.
    pub bytes: usize,
}

/// Writes the output events of an asciicast v2 recording to `out`, pausing between them as
/// recorded (scaled by `speed`, each pause capped at `max_idle`). Input and marker events are
/// skipped: the terminal already echoed what mattered.
pub async fn play_asciicast(
    reader: impl AsyncRead + Unpin,
    options: PlayOptions,
    mut out: impl Write,
) -> Result<PlayStats, RecordError> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(RecordError::InvalidOption(
            "speed must be a positive number",
        ));
    }
    let mut lines = BufReader::new(reader).lines();
    let mut stats = PlayStats::default();
    let mut n = 0;
    let mut last_t = 0.0_f64;
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|e| RecordError::io("read terminal recording", e))?
    {
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |reason: String| RecordError::Malformed { line: n, reason };
        let value: Value = serde_json::from_str(&line).map_err(|e| malformed(e.to_string()))?;
        if n == 1 {
            if value.get("version").and_then(Value::as_u64) != Some(2) {
                return Err(malformed("not an asciicast v2 header".to_owned()));
            }
            continue;
        }
        let (t, code, data): (f64, String, String) =
            serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
        if code != "o" {
            continue;
        }
        let gap = t - last_t;
        let mut pause = if gap > 0.0 {
            Duration::try_from_secs_f64(gap).unwrap_or(Duration::MAX)
        } else {
            Duration::ZERO
        };
        if let Some(cap) = options.max_idle {
            pause = pause.min(cap);
        }
        last_t = t.max(last_t);
        let scaled = Duration::try_from_secs_f64(pause.as_secs_f64() / options.speed)
            .unwrap_or(Duration::MAX);
        if !scaled.is_zero() {
            tokio::time::sleep(scaled).await;
        }
        out.write_all(data.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| RecordError::io("write playback", e))?;
        stats.events += 1;
        stats.bytes += data.len();
    }
    Ok(stats)
}
