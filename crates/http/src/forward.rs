//! The admitted request's way upstream and back: the upstream call (bounded), then the response
//! masked as JSON (read whole), as text or as server-sent events (streamed by a pump task).

use crate::HttpError;
use crate::body::{self, Body};
use crate::client::UpstreamBody;
use crate::completion::Completion;
use crate::content::{ContentKind, content_kind};
use crate::exchange::{Exchange, MAX_EVENT, STREAM_DEPTH};
use crate::llm::{LlmRequest, StreamUsage, Usage};
use crate::reply;
use crate::sse::SseMasker;
use crate::stream::{self, Pumped, Transform};
use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use http_body::Body as _;
use serde_json::Value;
use std::time::Duration;
use warden_config::HttpApi;
use warden_core::{Action, Decision};

impl Exchange {
    /// Forwards the admitted request and turns the upstream response into the client's.
    pub(crate) async fn forward(
        &mut self,
        parts: &http::request::Parts,
        path: &str,
        body: Bytes,
        llm: Option<&LlmRequest>,
        action: Action,
        decision: Decision,
    ) -> Response<Body> {
        let settings = &self.gateway.settings;
        let response = match self.send_upstream(parts, path, body).await {
            Ok(response) => response,
            Err((status, error)) => {
                return self.upstream_failed(status, &error, action, decision).await;
            }
        };
        let head = self.started.elapsed();
        let (mut head_parts, upstream_body) = response.into_parts();
        crate::upstream::strip_hop_by_hop(&mut head_parts.headers);
        if let Some(masker) = &self.masker {
            crate::headers::mask_headers(&mut head_parts.headers, masker.as_ref());
        }
        self.record.status = head_parts.status.as_u16();
        let openai = self.upstream.target.api == Some(HttpApi::Openai);
        let kind = content_kind(&head_parts.headers);
        let bodiless = parts.method == Method::HEAD
            || matches!(
                head_parts.status,
                StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
            );
        let transform_needed =
            self.masker.is_some() || (openai && kind == ContentKind::EventStream);
        // Warden asks for identity encoding; a compressed body it must mask cannot be read, so
        // it is refused rather than passed on with its personal data inside.
        if !bodiless
            && self.masker.is_some()
            && kind != ContentKind::Binary
            && let Some(coding) = crate::content::coding(&head_parts.headers)
        {
            let error = HttpError::Upstream {
                connection: self.upstream.target.name.clone(),
                message: format!(
                    "it sent a {coding}-encoded body, which Warden cannot mask (it asks for identity encoding)"
                ),
            };
            return self
                .upstream_failed(StatusCode::BAD_GATEWAY, &error, action, decision)
                .await;
        }

        if !bodiless && kind == ContentKind::Json && (self.masker.is_some() || openai) {
            return self
                .buffered_json(head_parts, upstream_body, head, openai, action, decision)
                .await;
        }
        let transform = match (bodiless, kind, &self.masker) {
            (true, _, _) => Transform::Pass,
            (false, ContentKind::EventStream, masker) if transform_needed => {
                let usage = (openai).then(|| StreamUsage {
                    strip_usage_event: llm.is_some_and(|l| l.added_usage),
                    ..StreamUsage::default()
                });
                let sse = SseMasker::new(masker.clone(), usage, MAX_EVENT);
                let sse = if openai { sse.with_deltas() } else { sse };
                Transform::Sse(Box::new(sse))
            }
            (
                false,
                ContentKind::Text | ContentKind::EventStream | ContentKind::Json,
                Some(masker),
            ) => Transform::Text(masker.clone().text_stream()),
            _ => Transform::Pass,
        };
        if matches!(transform, Transform::Pass)
            && !bodiless
            && kind != ContentKind::EventStream
            && upstream_body
                .size_hint()
                .exact()
                .is_some_and(|length| length <= WHOLE_PASS as u64)
        {
            // Read whole so that it goes out with its head in one write; a body that stalls or
            // ends short is a 502.
            return match self.read_whole(upstream_body, WHOLE_PASS).await {
                Ok(sent) => {
                    let whole = Whole {
                        sent,
                        json: false,
                        usage: None,
                    };
                    self.send_whole(head_parts, whole, head, action, decision)
                        .await
                }
                Err(error) => {
                    self.upstream_failed(StatusCode::BAD_GATEWAY, &error, action, decision)
                        .await
                }
            };
        }
        if !matches!(transform, Transform::Pass) {
            head_parts.headers.remove(header::CONTENT_LENGTH);
        }
        let (tx, client_body) = body::ChannelBody::channel(STREAM_DEPTH);
        let idle = settings.idle_timeout.0;
        let limit = settings.recorded_body_bytes;
        let done = self.completion(action, decision, head);
        tokio::spawn(async move {
            let pumped = stream::pump(upstream_body, transform, tx, idle, limit).await;
            done.streamed(pumped).await;
        });
        Response::from_parts(head_parts, client_body)
    }

    /// A JSON response read whole (bounded), masked as JSON, with the LLM usage it reports.
    /// The upstream's response to the request, or the status and error to answer with: the
    /// request could not be built (502), the upstream failed (502) or did not answer within
    /// `upstream_timeout` (504).
    async fn send_upstream(
        &self,
        parts: &http::request::Parts,
        path: &str,
        body: Bytes,
    ) -> Result<Response<UpstreamBody>, (StatusCode, HttpError)> {
        let target = &self.upstream.target;
        let failed = |message| {
            let connection = target.name.clone();
            (
                StatusCode::BAD_GATEWAY,
                HttpError::Upstream {
                    connection,
                    message,
                },
            )
        };
        let request = crate::upstream::request(target, parts, path, body)
            .map_err(|error| failed(format!("cannot build the upstream request: {error}")))?;
        let timeout = self.gateway.settings.upstream_timeout.0;
        // Pinned where it is made, so that wrapping it in the timeout does not copy its state.
        let send = std::pin::pin!(self.upstream.pool().send(&request));
        match tokio::time::timeout(timeout, send).await {
            Ok(sent) => sent.map_err(|error| failed(error.reason())),
            Err(_) => Err((
                StatusCode::GATEWAY_TIMEOUT,
                HttpError::UpstreamTimeout {
                    connection: target.name.clone(),
                    seconds: timeout.as_secs(),
                },
            )),
        }
    }

    async fn buffered_json(
        &mut self,
        mut head_parts: http::response::Parts,
        upstream_body: UpstreamBody,
        head: Duration,
        openai: bool,
        action: Action,
        decision: Decision,
    ) -> Response<Body> {
        let limit = self.gateway.settings.max_response_body;
        let bytes = match self.read_whole(upstream_body, limit).await {
            Ok(bytes) => bytes,
            Err(error) => {
                return self
                    .upstream_failed(StatusCode::BAD_GATEWAY, &error, action, decision)
                    .await;
            }
        };
        let mut usage = None;
        if openai && let Ok(reply) = serde_json::from_slice::<LlmReply>(&bytes) {
            usage = reply.usage.as_ref().and_then(Usage::from_object);
            if self.record.model.is_none() {
                self.record.model = reply.model;
            }
        }
        let mut json = false;
        let sent = match &self.masker {
            None => bytes,
            Some(masker) => match crate::mask_json_document(&bytes, masker.as_ref()) {
                Some(document) => {
                    json = document.well_formed;
                    document.masked.map_or(bytes, Bytes::from)
                }
                // Not JSON after all: masked as text.
                None => {
                    let text = String::from_utf8_lossy(&bytes);
                    match masker.mask_text(&text) {
                        std::borrow::Cow::Owned(masked) => Bytes::from(masked),
                        std::borrow::Cow::Borrowed(_) => bytes,
                    }
                }
            },
        };
        head_parts
            .headers
            .insert(header::CONTENT_LENGTH, sent.len().into());
        let whole = Whole { sent, json, usage };
        self.send_whole(head_parts, whole, head, action, decision)
            .await
    }

    /// The upstream's response body read whole: at most `limit` bytes, no pause longer than
    /// `idle_timeout`.
    async fn read_whole(
        &self,
        upstream_body: UpstreamBody,
        limit: usize,
    ) -> Result<Bytes, HttpError> {
        body::collect_limited(
            upstream_body,
            limit,
            self.gateway.settings.idle_timeout.0,
            "response",
            |limit| HttpError::ResponseTooLarge { limit },
        )
        .await
    }

    /// Records and audits a whole body, then hands it to the client with its head.
    async fn send_whole(
        &mut self,
        head_parts: http::response::Parts,
        whole: Whole,
        head: Duration,
        action: Action,
        decision: Decision,
    ) -> Response<Body> {
        let Whole { sent, json, usage } = whole;
        let mut pumped = Pumped::default();
        let limit = self.gateway.settings.recorded_body_bytes;
        pumped.bytes = sent.len() as u64;
        pumped.truncated = sent.len() > limit;
        pumped.json = json && !pumped.truncated;
        pumped.head = sent[..sent.len().min(limit)].to_vec();
        let done = self.completion(action, decision, head);
        done.finish(pumped, usage).await;
        Response::from_parts(head_parts, body::full(sent))
    }

    /// What is left to do for this exchange once its response is decided.
    pub(crate) fn completion(
        &mut self,
        action: Action,
        decision: Decision,
        head: Duration,
    ) -> Completion {
        Completion {
            gateway: self.gateway.clone(),
            session: self.session.clone(),
            record: std::mem::take(&mut self.record),
            started: self.started,
            head,
            action,
            decision,
        }
    }

    /// The upstream failed or timed out: a clear 502/504, recorded and audited.
    pub(crate) async fn upstream_failed(
        &mut self,
        status: StatusCode,
        error: &HttpError,
        action: Action,
        decision: Decision,
    ) -> Response<Body> {
        let message = error.to_string();
        self.record.status = status.as_u16();
        self.record.error = Some(message.clone());
        let done = self.completion(action, decision, self.started.elapsed());
        done.finish(
            Pumped {
                error: Some(message.clone()),
                ..Pumped::default()
            },
            None,
        )
        .await;
        reply::error(status, "warden_upstream", "upstream_failed", &message)
    }
}

/// Bodies passed unchanged up to this many bytes (declared by `Content-Length`) are read whole
/// and sent with their head in one write; larger ones, and bodies of unknown length, stream.
const WHOLE_PASS: usize = 16 * 1024;

/// A whole response body as sent, with what the recording and the audit log say about it.
struct Whole {
    sent: Bytes,
    /// Whether `sent` is a well-formed JSON text (it was masked as one).
    json: bool,
    usage: Option<Usage>,
}

/// The parts of an LLM API reply the audit log wants; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct LlmReply {
    model: Option<String>,
    usage: Option<Value>,
}
