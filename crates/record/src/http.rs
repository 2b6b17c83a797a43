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
/// Written by [`HttpRecorder`]; read back as a [`RecordedExchange`], which knows both forms a
/// body takes in the line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// Whether `request_body` is a well-formed JSON text, as the gateway found when it read
    /// it: the line then holds it as JSON (`request_json`) instead of as a string.
    #[serde(skip)]
    pub request_json: bool,
    /// Total request body bytes.
    pub request_bytes: u64,
    /// The response body as recorded (masked, cut to the recording bound).
    pub response_body: String,
    /// Whether `response_body` is a well-formed JSON text (see `request_json`).
    #[serde(skip)]
    pub response_json: bool,
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
    write_body(out, "request", &e.request_body, e.request_json);
    out.extend_from_slice(b",\"request_bytes\":");
    serde_json::to_writer(&mut *out, &e.request_bytes)?;
    write_body(out, "response", &e.response_body, e.response_json);
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

/// Writes a body field: a JSON body as it is (`<side>_json`), which spares escaping every
/// quote in it, when it is well-formed and holds no control byte (a line break would end the
/// line); any other body as a string (`<side>_body`).
fn write_body(out: &mut Vec<u8>, side: &str, body: &str, json: bool) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(side.as_bytes());
    if json && !body.is_empty() && !json_str::has_control(body.as_bytes()) {
        out.extend_from_slice(b"_json\":");
        out.extend_from_slice(body.as_bytes());
    } else {
        out.extend_from_slice(b"_body\":");
        json_str::write_str(out, body);
    }
}

/// One exchange read back from a recording, with its offset in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedExchange {
    /// Seconds since the session started.
    pub t: f64,
    /// The exchange.
    pub exchange: HttpExchange,
}

/// An exchange line as written: a body is either a string or, for JSON, the JSON itself,
/// read back byte for byte.
#[derive(Deserialize)]
struct ExchangeLine {
    t: f64,
    method: String,
    path: String,
    action: String,
    status: u16,
    #[serde(default)]
    request_body: String,
    #[serde(default)]
    request_json: Option<Box<serde_json::value::RawValue>>,
    request_bytes: u64,
    #[serde(default)]
    response_body: String,
    #[serde(default)]
    response_json: Option<Box<serde_json::value::RawValue>>,
    response_bytes: u64,
    truncated: bool,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<serde_json::Value>,
    head_ms: f64,
    duration_ms: f64,
    #[serde(default)]
    error: Option<String>,
}

impl<'de> Deserialize<'de> for RecordedExchange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let line = ExchangeLine::deserialize(deserializer)?;
        let body = |text: String, json: Option<Box<serde_json::value::RawValue>>| match json {
            Some(raw) => (String::from(raw.get()), true),
            None => (text, false),
        };
        let (request_body, request_json) = body(line.request_body, line.request_json);
        let (response_body, response_json) = body(line.response_body, line.response_json);
        Ok(RecordedExchange {
            t: line.t,
            exchange: HttpExchange {
                method: line.method,
                path: line.path,
                action: line.action,
                status: line.status,
                request_body,
                request_json,
                request_bytes: line.request_bytes,
                response_body,
                response_json,
                response_bytes: line.response_bytes,
                truncated: line.truncated,
                model: line.model,
                usage: line.usage,
                head_ms: line.head_ms,
                duration_ms: line.duration_ms,
                error: line.error,
            },
        })
    }
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

    #[test]
    fn a_json_body_is_held_as_json_and_read_back_byte_for_byte() {
        // Key order, spacing and number forms a parse-and-print would change.
        let body = r#"{"z":1.50e+3, "a":[true,null,"q\"uote"],"é":{}}"#;
        let exchange = HttpExchange {
            method: "GET".into(),
            path: "/v1/items".into(),
            action: "items:read".into(),
            status: 200,
            request_body: "[1,2]".into(),
            request_json: true,
            request_bytes: 5,
            response_body: body.into(),
            response_json: true,
            response_bytes: body.len() as u64,
            ..HttpExchange::default()
        };
        let mut line = Vec::new();
        encode_exchange(&mut line, Duration::from_millis(5), &exchange).expect("encode");
        let line = String::from_utf8(line).expect("utf-8");
        assert!(
            line.contains(&format!(",\"response_json\":{body},")),
            "{line}"
        );
        assert!(line.contains(",\"request_json\":[1,2],"), "{line}");
        assert!(!line.contains("_body"), "{line}");
        let back: RecordedExchange = serde_json::from_str(line.trim_end()).expect("reads back");
        assert_eq!(back.exchange, exchange);
    }

    #[test]
    fn a_json_body_with_a_control_byte_or_nothing_in_it_is_a_string() {
        for body in ["{\"a\":\n1}", "{\"a\":\t1}", ""] {
            let exchange = HttpExchange {
                response_body: body.into(),
                response_json: true,
                ..HttpExchange::default()
            };
            let mut line = Vec::new();
            encode_exchange(&mut line, Duration::ZERO, &exchange).expect("encode");
            let line = String::from_utf8(line).expect("utf-8");
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            let back: RecordedExchange = serde_json::from_str(line.trim_end()).expect("reads");
            assert_eq!(back.exchange.response_body, body);
            assert!(!back.exchange.response_json);
        }
    }
}
