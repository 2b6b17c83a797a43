//! Streamed response bodies: a pump task reads the upstream body chunk by chunk (each wait
//! bounded), masks it (text, or server-sent events event by event), sends it to the client and
//! keeps the head of what was sent for the recording.

use crate::HttpError;
use crate::client::UpstreamBody;
use crate::llm::StreamUsage;
use crate::sse::SseMasker;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::time::Duration;
use tokio::sync::mpsc;
use warden_core::mask::TextStream;

/// How a streamed body is rewritten.
pub enum Transform {
    /// Sent as it comes.
    Pass,
    /// Masked as one text stream.
    Text(Box<dyn TextStream>),
    /// Masked event by event.
    Sse(Box<SseMasker>),
}

/// What a pumped body amounted to.
#[derive(Default)]
pub struct Pumped {
    /// Bytes sent to the client.
    pub bytes: u64,
    /// The first bytes sent, for the recording.
    pub head: Vec<u8>,
    /// Whether `head` is shorter than what was sent.
    pub truncated: bool,
    /// Whether `head` is a well-formed JSON text (the whole body, read as JSON to mask it).
    pub json: bool,
    /// LLM usage seen in an event stream.
    pub usage: Option<StreamUsage>,
    /// Why the body ended early, if it did.
    pub error: Option<String>,
}

impl Pumped {
    fn keep(&mut self, chunk: &[u8], limit: usize) {
        self.bytes += chunk.len() as u64;
        let room = limit.saturating_sub(self.head.len());
        if chunk.len() > room {
            self.truncated = true;
        }
        self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

/// Moves `body` through `transform` into `tx` until the body ends, fails, stalls for `idle`,
/// or the client goes away.
pub async fn pump(
    mut body: UpstreamBody,
    mut transform: Transform,
    tx: mpsc::Sender<Result<Bytes, HttpError>>,
    idle: Duration,
    record_limit: usize,
) -> Pumped {
    let mut pumped = Pumped::default();
    let mut out = Vec::new();
    loop {
        let frame = match crate::deadline::timeout(idle, body.frame()).await {
            Err(_) => {
                pumped.error = Some(format!("upstream sent nothing for {} s", idle.as_secs()));
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(error))) => {
                pumped.error = Some(format!("upstream body failed: {error}"));
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let chunk = match &mut transform {
            Transform::Pass => data,
            Transform::Text(stream) => {
                out.clear();
                stream.push_into(&data, &mut out);
                Bytes::copy_from_slice(&out)
            }
            Transform::Sse(sse) => {
                out.clear();
                if let Err(error) = sse.push(&data, &mut out) {
                    pumped.error = Some(error.to_string());
                    break;
                }
                Bytes::copy_from_slice(&out)
            }
        };
        if chunk.is_empty() {
            continue;
        }
        pumped.keep(&chunk, record_limit);
        if tx.send(Ok(chunk)).await.is_err() {
            pumped.error = Some("client went away".into());
            return finish_usage(pumped, transform);
        }
    }
    out.clear();
    match &mut transform {
        Transform::Pass => {}
        Transform::Text(stream) => stream.finish_into(&mut out),
        Transform::Sse(sse) => {
            if let Err(error) = sse.finish(&mut out) {
                pumped.error.get_or_insert(error.to_string());
            }
        }
    }
    if !out.is_empty() {
        pumped.keep(&out, record_limit);
        let _ = tx.send(Ok(Bytes::copy_from_slice(&out))).await;
    }
    if let Some(error) = &pumped.error {
        // Ends the client's body with an error rather than a clean end: it must not mistake a
        // cut-off response for a complete one.
        let _ = tx
            .send(Err(HttpError::Body {
                side: "response",
                message: error.clone(),
            }))
            .await;
    }
    finish_usage(pumped, transform)
}

fn finish_usage(mut pumped: Pumped, transform: Transform) -> Pumped {
    if let Transform::Sse(sse) = transform {
        pumped.usage = sse.usage().cloned();
    }
    pumped
}
