//! HTTP sessions recorded as JSON lines: a header, then one line per exchange.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sql::{append_line, encode_line, to_line};
use crate::{FinishedRecording, RecordError, RecordingWriter};

/// Who opened the session and where to; the first line of every HTTP recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    /// The session id.
    pub session: String,
    /// The identity that opened the session.
    pub identity: String,
    /// The configured connection name.
    pub connection: String,
    /// When the session started.
    pub started: DateTime<Utc>,
}

/// One request and its response as the gateway handled them, bodies already masked and cut.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpExchange {
    /// Request method.
    pub method: String,
    /// Path below the connection, with the query string.
    pub path: String,
    /// The action the route rules named.
    pub action: String,
    /// Response status sent to the client (Warden's own refusals included).
    pub status: u16,
    /// The request body as recorded (masked, cut to the recording bound).
    pub request_body: String,
    /// Total request body bytes.
    pub request_bytes: u64,
    /// The response body as recorded (masked, cut to the recording bound).
    pub response_body: String,
    /// Total response body bytes sent to the client.
    pub response_bytes: u64,
    /// Whether either body was cut.
    pub truncated: bool,
    /// LLM model asked for, if the connection has an LLM API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Token usage reported by the LLM API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<serde_json::Value>,
    /// Time to the response head, in milliseconds.
    pub head_ms: f64,
    /// Time to the end of the response body, in milliseconds.
    pub duration_ms: f64,
    /// The error, if the exchange failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl HttpExchange {
    /// Sets both durations from measured times.
    pub fn timed(mut self, head: Duration, total: Duration) -> Self {
        self.head_ms = head.as_secs_f64() * 1000.0;
        self.duration_ms = total.as_secs_f64() * 1000.0;
        self
    }
}

#[derive(Serialize)]
struct HeaderLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    protocol: &'static str,
    #[serde(flatten)]
    header: &'a HttpHeader,
}

#[derive(Serialize)]
struct ExchangeLine<'a> {
    t: f64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    exchange: &'a HttpExchange,
}

/// Writes an HTTP session as JSON lines. It does not mask: callers pass masked bodies.
pub struct HttpRecorder {
    writer: Box<dyn RecordingWriter>,
    started: Instant,
    /// The line being encoded, reused from exchange to exchange.
    line: Vec<u8>,
}

impl HttpRecorder {
    /// Writes the header line and starts the clock that `t` is measured from.
    pub async fn start(
        mut writer: Box<dyn RecordingWriter>,
        header: &HttpHeader,
    ) -> Result<Self, RecordError> {
        let line = HeaderLine {
            kind: "header",
            version: 1,
            protocol: "http",
            header,
        };
        writer.append(&to_line(&line)?).await?;
        Ok(Self {
            writer,
            started: Instant::now(),
            line: Vec::new(),
        })
    }

    /// Records one exchange at the current time since the session started.
    pub async fn exchange(&mut self, exchange: &HttpExchange) -> Result<(), RecordError> {
        let line = ExchangeLine {
            t: self.started.elapsed().as_secs_f64(),
            kind: "exchange",
            exchange,
        };
        encode_line(&mut self.line, &line)?;
        append_line(&mut *self.writer, &self.line).await
    }

    /// Pushes buffered events to storage.
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        self.writer.flush().await
    }

    /// Ends the recording and returns its hash for the audit chain.
    pub async fn finish(self) -> Result<FinishedRecording, RecordError> {
        self.writer.finish().await
    }
}

/// One exchange read back from a recording, with its offset in seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordedExchange {
    /// Seconds since the session started.
    pub t: f64,
    /// The exchange.
    #[serde(flatten)]
    pub exchange: HttpExchange,
}
