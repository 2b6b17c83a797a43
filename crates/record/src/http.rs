//! HTTP sessions recorded as JSON lines: a header, then one line per exchange.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sql::{append_line, to_line};
use crate::{FinishedRecording, RecordError, RecordingWriter};
use warden_core::elapsed::{millis, write_seconds};
use warden_core::json_str;

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
        self.head_ms = millis(head);
        self.duration_ms = millis(total);
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
        encode_exchange(&mut self.line, self.started.elapsed(), exchange)?;
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

/// Encodes the exchange line into `out` (replacing what it held), with its trailing newline:
/// written field by field, the bodies escaped a word at a time.
fn encode_exchange(out: &mut Vec<u8>, t: Duration, e: &HttpExchange) -> Result<(), RecordError> {
    out.clear();
    out.extend_from_slice(b"{\"t\":");
    write_seconds(out, t);
    out.extend_from_slice(b",\"type\":\"exchange\",\"method\":");
    json_str::write_str(out, &e.method);
    out.extend_from_slice(b",\"path\":");
    json_str::write_str(out, &e.path);
    out.extend_from_slice(b",\"action\":");
    json_str::write_str(out, &e.action);
    out.extend_from_slice(b",\"status\":");
    serde_json::to_writer(&mut *out, &e.status)?;
    out.extend_from_slice(b",\"request_body\":");
    json_str::write_str(out, &e.request_body);
    out.extend_from_slice(b",\"request_bytes\":");
    serde_json::to_writer(&mut *out, &e.request_bytes)?;
    out.extend_from_slice(b",\"response_body\":");
    json_str::write_str(out, &e.response_body);
    out.extend_from_slice(b",\"response_bytes\":");
    serde_json::to_writer(&mut *out, &e.response_bytes)?;
    out.extend_from_slice(b",\"truncated\":");
    out.extend_from_slice(if e.truncated { b"true" } else { b"false" });
    if let Some(model) = &e.model {
        out.extend_from_slice(b",\"model\":");
        json_str::write_str(out, model);
    }
    if let Some(usage) = &e.usage {
        out.extend_from_slice(b",\"usage\":");
        serde_json::to_writer(&mut *out, usage)?;
    }
    out.extend_from_slice(b",\"head_ms\":");
    serde_json::to_writer(&mut *out, &e.head_ms)?;
    out.extend_from_slice(b",\"duration_ms\":");
    serde_json::to_writer(&mut *out, &e.duration_ms)?;
    if let Some(error) = &e.error {
        out.extend_from_slice(b",\"error\":");
        json_str::write_str(out, error);
    }
    out.extend_from_slice(b"}\n");
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The line as serde writes it from the same fields: the reference the hand-written
    /// encoder must match byte for byte.
    #[derive(Serialize)]
    struct SerdeLine<'a> {
        t: f64,
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(flatten)]
        exchange: &'a HttpExchange,
    }

    fn both(exchange: &HttpExchange) -> (String, String) {
        let mut ours = Vec::new();
        encode_exchange(&mut ours, Duration::from_millis(1250), exchange).expect("encode");
        let mut reference = serde_json::to_string(&SerdeLine {
            t: 1.25,
            kind: "exchange",
            exchange,
        })
        .expect("serde");
        reference.push('\n');
        (String::from_utf8(ours).expect("utf-8"), reference)
    }

    #[test]
    fn exchange_line_matches_serde_with_and_without_optional_fields() {
        let mut exchange = HttpExchange {
            method: "POST".into(),
            path: "/v1/chat/completions?x=\"1\"".into(),
            action: "autogen:prompt".into(),
            status: 200,
            request_body: "{\"model\":\"gpt\",\"messages\":[{\"content\":\"tab\\there\\n\"}]}"
                .into(),
            request_bytes: 57,
            response_body: "data: {\"id\":1}\n\n\u{1}ü🎉".into(),
            response_bytes: 1 << 40,
            truncated: true,
            ..HttpExchange::default()
        }
        .timed(Duration::from_micros(1_500), Duration::from_micros(2_250));
        let (ours, reference) = both(&exchange);
        assert_eq!(ours, reference);
        exchange.model = Some("gpt-4o-mini".into());
        exchange.usage = Some(serde_json::json!({"prompt_tokens": 3, "total_tokens": 5}));
        exchange.error = Some("upstream \"timed out\"".into());
        let (ours, reference) = both(&exchange);
        assert_eq!(ours, reference);
        let back: RecordedExchange =
            serde_json::from_str(ours.trim_end()).expect("reads back as a recorded exchange");
        assert_eq!(back.exchange, exchange);
    }
}
