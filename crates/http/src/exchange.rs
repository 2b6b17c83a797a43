//! One request through the pipeline: resolve the connection, authenticate, read the body
//! (bounded), classify by route rules (and the LLM model), decide (deny, hold for review,
//! allow), mask an outbound prompt, forward with the injected credentials, mask the response,
//! record the exchange and audit its outcome.

use crate::body::{self, Body};
use crate::listener::{HttpGateway, Resolved, Upstream};
use crate::llm::{LlmRequest, StreamUsage, Usage};
use crate::reply;
use crate::session::{ClientConn, HttpSession};
use crate::sse::SseMasker;
use crate::stream::{self, Pumped, Transform};
use crate::{HttpError, mask_json};
use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use hyper::body::Incoming;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use warden_config::HttpApi;
use warden_core::mask::ValueMasker;
use warden_core::pipeline::{Admission, Outcome};
use warden_core::{Action, AuditKind, AuditRecord, Decision, GatewayError};
use warden_record::HttpExchange;

/// Chunks a streamed body may run ahead of a slow client.
const STREAM_DEPTH: usize = 16;
/// Largest single server-sent event.
const MAX_EVENT: usize = 4 << 20;

/// Handles one request; every outcome is an HTTP response (Warden's refusals are JSON).
pub async fn handle(
    gateway: Arc<HttpGateway>,
    conn: Arc<ClientConn>,
    request: hyper::Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let (parts, incoming) = request.into_parts();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    let (upstream, path) = match gateway.resolve(host, parts.uri.path()) {
        Resolved::Upstream(upstream, path) => (upstream, path),
        Resolved::Nowhere(message) => {
            return reply::error(
                StatusCode::NOT_FOUND,
                "warden_unknown_connection",
                "unknown_connection",
                &message,
            );
        }
    };
    let Some(token) = bearer(&parts.headers) else {
        let refusal = GatewayError::client(
            "missing_token",
            "send your Warden token as `Authorization: Bearer <token>`",
        );
        audit_missing_token(&gateway, &conn, &upstream.target.name).await;
        return reply::unauthorized(&refusal);
    };
    let session = match conn.session(&gateway, &upstream.target.name, token).await {
        Ok(session) => session,
        Err(refusal) if refusal.fault == warden_core::Fault::Client => {
            return reply::unauthorized(&refusal);
        }
        Err(refusal) => return reply::refusal(&refusal),
    };
    let mut exchange = Exchange {
        gateway: gateway.clone(),
        upstream,
        session,
        record: HttpExchange {
            method: parts.method.to_string(),
            path: match parts.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            },
            ..HttpExchange::default()
        },
        started,
        masker: None,
    };
    exchange.run(parts, incoming, path).await
}

/// The request being handled and what will be recorded about it.
struct Exchange {
    gateway: Arc<HttpGateway>,
    upstream: Arc<Upstream>,
    session: Arc<HttpSession>,
    record: HttpExchange,
    started: Instant,
    masker: Option<Arc<dyn ValueMasker>>,
}

impl Exchange {
    async fn run(
        &mut self,
        parts: http::request::Parts,
        incoming: Incoming,
        path: String,
    ) -> Response<Body> {
        let settings = &self.gateway.settings;
        let request_body = match body::collect_limited(
            incoming,
            settings.max_request_body,
            settings.idle_timeout.0,
            "request",
            |limit| HttpError::RequestTooLarge { limit },
        )
        .await
        {
            Ok(bytes) => bytes,
            Err(error) => return self.refuse_unread(&error).await,
        };
        self.record.request_bytes = request_body.len() as u64;

        let target = &self.upstream.target;
        let route = target.routes.classify(parts.method.as_str(), &path);
        let mut action = Action::named(route.action.clone());
        action.read_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let mut json_body = if is_json(&parts.headers) && !request_body.is_empty() {
            serde_json::from_slice::<Value>(&request_body).ok()
        } else {
            None
        };
        let mut rewritten = false;
        let llm = match (target.api, json_body.as_mut()) {
            (Some(HttpApi::Openai), Some(json)) => {
                let llm = LlmRequest::prepare(json);
                rewritten |= llm.added_usage;
                action.model = llm.model.clone();
                Some(llm)
            }
            _ => None,
        };
        self.record.action = action.name.clone();
        self.record.model = action.model.clone();

        // What a review binds: method, path and the body exactly as the client sent them.
        let mut payload = Vec::with_capacity(self.record.path.len() + request_body.len() + 16);
        payload.extend_from_slice(parts.method.as_str().as_bytes());
        payload.push(b' ');
        payload.extend_from_slice(self.record.path.as_bytes());
        payload.push(b'\n');
        payload.extend_from_slice(&request_body);

        let decision = match self.admit(&action, &payload).await {
            Ok(decision) => decision,
            Err(response) => {
                // Refused before a masking profile applies: the body is not recorded.
                self.session.refused.fetch_add(1, Ordering::Relaxed);
                self.finish_refused(response.status()).await;
                return response;
            }
        };
        // A role's token budget: an LLM call is refused once the caller has used it up.
        if let (Some(budget), Some(_)) = (&decision.token_budget, &action.model)
            && let Err(refusal) = self
                .gateway
                .pipeline
                .tokens()
                .check(&self.session.session.identity.subject, budget)
        {
            self.session.refused.fetch_add(1, Ordering::Relaxed);
            let response = reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "warden_token_budget",
                refusal.code,
                &refusal.message,
            );
            self.record.error = Some(refusal.message.clone());
            self.record.status = response.status().as_u16();
            let done = self.completion(&action, &decision, self.started.elapsed());
            done.finish(
                Pumped {
                    error: Some(refusal.message),
                    ..Pumped::default()
                },
                None,
            )
            .await;
            return response;
        }
        self.masker = match self.gateway.pipeline.masker(&decision) {
            Ok(masker) => masker,
            Err(refusal) => {
                self.session.refused.fetch_add(1, Ordering::Relaxed);
                let response = reply::refusal(&refusal);
                self.finish_refused(response.status()).await;
                return response;
            }
        };

        // Personal data in a prompt does not leave: the body going to a model provider is masked.
        let mut forwarded = request_body.clone();
        if route.outbound
            && let Some(masker) = &self.masker
        {
            match json_body.as_mut() {
                Some(json) => rewritten |= mask_json(json, masker.as_ref()),
                None => {
                    let text = String::from_utf8_lossy(&request_body);
                    if let std::borrow::Cow::Owned(masked) = masker.mask_text(&text) {
                        forwarded = Bytes::from(masked);
                    }
                }
            }
        }
        if rewritten && let Some(json) = &json_body {
            forwarded = Bytes::from(serde_json::to_vec(json).unwrap_or_default());
        }
        self.record.request_body = self.recorded_request(&forwarded);

        let response = self
            .forward(&parts, &path, forwarded, llm.as_ref(), &action, &decision)
            .await;
        self.session.forwarded.fetch_add(1, Ordering::Relaxed);
        response
    }

    /// Phases 3 and 4: the decision, holding for review within the configured bound.
    async fn admit(&self, action: &Action, payload: &[u8]) -> Result<Decision, Response<Body>> {
        let pipeline = &self.gateway.pipeline;
        let session = &self.session.session;
        match pipeline.evaluate(session, action, payload).await {
            Ok(Admission::Forward(decision)) => Ok(decision),
            Ok(Admission::Held(decision, pending)) => {
                let wait = self.gateway.settings.max_review_wait.0;
                match tokio::time::timeout(wait, pipeline.await_review(session, &pending, payload))
                    .await
                {
                    Ok(Ok(())) => Ok(decision),
                    Ok(Err(refusal)) => Err(reply::refusal(&refusal)),
                    Err(_) => Err(reply::review_pending(
                        &pending.id,
                        &format!(
                            "{} — no decision within {} s; send the identical request again once it is approved",
                            pending.notice,
                            wait.as_secs()
                        ),
                    )),
                }
            }
            Err(refusal) => match &refusal.review {
                Some(id) => Err(reply::review_pending(id, &refusal.message)),
                None => Err(reply::refusal(&refusal)),
            },
        }
    }

    /// Forwards the admitted request and turns the upstream response into the client's.
    async fn forward(
        &mut self,
        parts: &http::request::Parts,
        path: &str,
        body: Bytes,
        llm: Option<&LlmRequest>,
        action: &Action,
        decision: &Decision,
    ) -> Response<Body> {
        let settings = &self.gateway.settings;
        let len = body.len();
        let request = match crate::upstream::request(
            &self.upstream.target,
            parts,
            path,
            body::full(body),
            len,
        ) {
            Ok(request) => request,
            Err(error) => {
                let error = HttpError::Upstream {
                    connection: self.upstream.target.name.clone(),
                    message: format!("cannot build the upstream request: {error}"),
                };
                return self
                    .upstream_failed(StatusCode::BAD_GATEWAY, &error, action, decision)
                    .await;
            }
        };
        let timeout = settings.upstream_timeout.0;
        let response =
            match tokio::time::timeout(timeout, self.upstream.client().request(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    let error = HttpError::Upstream {
                        connection: self.upstream.target.name.clone(),
                        message: upstream_reason(&error),
                    };
                    return self
                        .upstream_failed(StatusCode::BAD_GATEWAY, &error, action, decision)
                        .await;
                }
                Err(_) => {
                    let error = HttpError::UpstreamTimeout {
                        connection: self.upstream.target.name.clone(),
                        seconds: timeout.as_secs(),
                    };
                    return self
                        .upstream_failed(StatusCode::GATEWAY_TIMEOUT, &error, action, decision)
                        .await;
                }
            };
        let head = self.started.elapsed();
        let (mut head_parts, upstream_body) = response.into_parts();
        crate::upstream::strip_hop_by_hop(&mut head_parts.headers);
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
    async fn buffered_json(
        &mut self,
        mut head_parts: http::response::Parts,
        upstream_body: Incoming,
        head: Duration,
        openai: bool,
        action: &Action,
        decision: &Decision,
    ) -> Response<Body> {
        let settings = &self.gateway.settings;
        let bytes = match body::collect_limited(
            upstream_body,
            settings.max_response_body,
            settings.idle_timeout.0,
            "response",
            |limit| HttpError::ResponseTooLarge { limit },
        )
        .await
        {
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
        let sent = match &self.masker {
            None => bytes,
            Some(masker) => match crate::mask_json_text(&bytes, masker.as_ref()) {
                Some(Some(masked)) => Bytes::from(masked),
                Some(None) => bytes,
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
        let mut pumped = Pumped::default();
        let limit = settings.recorded_body_bytes;
        pumped.bytes = sent.len() as u64;
        pumped.truncated = sent.len() > limit;
        pumped.head = sent[..sent.len().min(limit)].to_vec();
        let done = self.completion(action, decision, head);
        done.finish(pumped, usage).await;
        Response::from_parts(head_parts, body::full(sent))
    }

    /// What is left to do for this exchange once its response is decided.
    fn completion(&mut self, action: &Action, decision: &Decision, head: Duration) -> Completion {
        Completion {
            gateway: self.gateway.clone(),
            session: self.session.clone(),
            record: std::mem::take(&mut self.record),
            started: self.started,
            head,
            action: action.clone(),
            decision: decision.clone(),
        }
    }

    /// The upstream failed or timed out: a clear 502/504, recorded and audited.
    async fn upstream_failed(
        &mut self,
        status: StatusCode,
        error: &HttpError,
        action: &Action,
        decision: &Decision,
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

    /// A request whose body could not be read (too large, stalled): refused and audited.
    async fn refuse_unread(&mut self, error: &HttpError) -> Response<Body> {
        let status = match error {
            HttpError::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        self.session.refused.fetch_add(1, Ordering::Relaxed);
        let record = AuditRecord::new(AuditKind::ProtocolError)
            .for_session(&self.session.session)
            .with_detail(json!({
                "protocol": "http",
                "method": self.record.method,
                "path": self.record.path,
                "error": error.to_string(),
            }));
        if let Err(e) = self.gateway.pipeline.audit(record).await {
            tracing::error!(error = %e, "cannot audit a refused request");
        }
        self.record.status = status.as_u16();
        self.record.error = Some(error.to_string());
        self.finish_refused(status).await;
        reply::error(
            status,
            "warden_bad_request",
            "bad_request",
            &error.to_string(),
        )
    }

    /// Records a request Warden answered itself (its decision is already audited).
    async fn finish_refused(&mut self, status: StatusCode) {
        self.record.status = status.as_u16();
        let elapsed = self.started.elapsed();
        let record = std::mem::take(&mut self.record).timed(elapsed, elapsed);
        self.session.record(&record).await;
    }

    /// The request body as it goes into the recording: masked, cut to the bound.
    fn recorded_request(&self, body: &Bytes) -> String {
        let limit = self.gateway.settings.recorded_body_bytes;
        let text = match &self.masker {
            Some(masker) => match crate::mask_json_text(body, masker.as_ref()) {
                Some(Some(masked)) => String::from_utf8_lossy(&masked).into_owned(),
                Some(None) => String::from_utf8_lossy(body).into_owned(),
                None => masker
                    .mask_text(&String::from_utf8_lossy(body))
                    .into_owned(),
            },
            None => String::from_utf8_lossy(body).into_owned(),
        };
        cut(text, limit)
    }
}

/// The parts of an LLM API reply the audit log wants; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct LlmReply {
    model: Option<String>,
    usage: Option<Value>,
}

/// What is left to do once a response body has been sent: record and audit it.
struct Completion {
    gateway: Arc<HttpGateway>,
    session: Arc<HttpSession>,
    record: HttpExchange,
    started: Instant,
    head: Duration,
    action: Action,
    decision: Decision,
}

impl Completion {
    async fn streamed(self, pumped: Pumped) {
        let usage = pumped.usage.as_ref().and_then(|u| u.usage);
        let mut done = self;
        if done.record.model.is_none() {
            done.record.model = pumped.usage.as_ref().and_then(|u| u.model.clone());
        }
        done.finish(pumped, usage).await;
    }

    async fn finish(mut self, pumped: Pumped, usage: Option<Usage>) {
        let total = self.started.elapsed();
        self.record.response_bytes = pumped.bytes;
        self.record.response_body = cut(
            String::from_utf8_lossy(&pumped.head).into_owned(),
            usize::MAX,
        );
        self.record.truncated |= pumped.truncated;
        self.record.usage = usage.map(|u| json!(u));
        if self.record.error.is_none() {
            self.record.error = pumped.error.clone();
        }
        let record = self.record.timed(self.head, total);
        self.session.record(&record).await;
        if let (Some(budget), Some(usage)) = (&self.decision.token_budget, usage) {
            self.gateway.pipeline.tokens().charge(
                &self.session.session.identity.subject,
                budget,
                usage.total_tokens,
            );
        }
        let mut detail = Map::new();
        detail.insert("method".into(), json!(record.method));
        detail.insert("path".into(), json!(record.path));
        detail.insert("status".into(), json!(record.status));
        detail.insert("request_bytes".into(), json!(record.request_bytes));
        detail.insert("response_bytes".into(), json!(record.response_bytes));
        if let Some(usage) = usage {
            detail.insert("usage".into(), json!(usage));
        }
        let mut action = self.action;
        if action.model.is_none() {
            action.model = record.model.clone();
        }
        let outcome = Outcome {
            duration: total,
            rows: None,
            error: record.error.clone(),
        };
        if let Err(error) = self
            .gateway
            .pipeline
            .finish_with(
                &self.session.session,
                &action,
                &self.decision,
                &outcome,
                detail,
            )
            .await
        {
            tracing::error!(%error, "cannot audit an http exchange");
        }
    }
}

/// The bearer token of `Authorization`, if any.
fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn audit_missing_token(gateway: &HttpGateway, conn: &ClientConn, connection: &str) {
    let record = AuditRecord {
        connection: Some(connection.to_owned()),
        ..AuditRecord::new(AuditKind::AuthFailed)
    }
    .with_detail(json!({
        "reason": "missing_token",
        "message": "no Authorization: Bearer token",
        "client_addr": conn.peer.to_string(),
        "protocol": "http",
    }));
    if let Err(error) = gateway.pipeline.audit(record).await {
        tracing::error!(%error, "cannot audit a missing token");
    }
}

/// What kind of body a response has, for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentKind {
    Json,
    EventStream,
    Text,
    Binary,
}

fn content_kind(headers: &http::HeaderMap) -> ContentKind {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return ContentKind::Text;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "text/event-stream" {
        ContentKind::EventStream
    } else if essence == "application/json" || essence.ends_with("+json") {
        ContentKind::Json
    } else if essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/x-ndjson"
        )
        || essence.ends_with("+xml")
    {
        ContentKind::Text
    } else {
        ContentKind::Binary
    }
}

fn is_json(headers: &http::HeaderMap) -> bool {
    content_kind(headers) == ContentKind::Json
}

/// `text` cut to at most `limit` bytes on a character boundary.
fn cut(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// A short reason for an upstream client error, without URLs (they may carry injected query
/// credentials).
fn upstream_reason(error: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error as _;
    let mut reason = if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}
