//! One request through the pipeline: resolve the connection, authenticate, read the body
//! (bounded), classify by route rules (and the LLM model), decide (deny, hold for review,
//! allow), mask an outbound prompt, forward with the injected credentials, mask the response,
//! record the exchange and audit its outcome.

use crate::body::{self, Body};
use crate::completion::cut;
use crate::content::{ContentKind, looks_like_json, media_type};
use crate::form::Form;
use crate::listener::{HttpGateway, Resolved, Upstream};
use crate::llm::LlmRequest;
use crate::session::{ClientConn, HttpSession};
use crate::stream::Pumped;
use crate::{HttpError, mask_json};
use crate::{outbound, overrides, reply};
use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use warden_config::HttpApi;
use warden_core::mask::ValueMasker;
use warden_core::pipeline::Admission;
use warden_core::{Action, AuditKind, AuditRecord, Decision, GatewayError};
use warden_record::HttpExchange;

/// Chunks a streamed body may run ahead of a slow client.
pub(crate) const STREAM_DEPTH: usize = 16;
/// Largest single server-sent event.
pub(crate) const MAX_EVENT: usize = 4 << 20;

/// Handles one request; every outcome is an HTTP response (Warden's refusals are JSON).
pub async fn handle<B>(
    gateway: Arc<HttpGateway>,
    conn: Arc<ClientConn>,
    request: http::Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
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
        client: conn,
    };
    exchange.run(parts, incoming, path).await
}

/// The request being handled and what will be recorded about it.
pub(crate) struct Exchange {
    pub(crate) gateway: Arc<HttpGateway>,
    pub(crate) upstream: Arc<Upstream>,
    pub(crate) session: Arc<HttpSession>,
    pub(crate) record: HttpExchange,
    pub(crate) started: Instant,
    pub(crate) masker: Option<Arc<dyn ValueMasker>>,
    /// The client connection the request came on.
    pub(crate) client: Arc<ClientConn>,
}

impl Exchange {
    async fn run(
        &mut self,
        parts: http::request::Parts,
        incoming: impl http_body::Body<Data = Bytes, Error: std::fmt::Display> + Unpin,
        path: String,
    ) -> Response<Body> {
        if let Some(reason) = crate::path::refusal(&path) {
            return self.refuse_undecided(&HttpError::BadPath(reason)).await;
        }
        if let Some(header) = overrides::found(&parts.headers) {
            return self.refuse_undecided(&HttpError::Override(header)).await;
        }
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
            Err(error) => return self.refuse_undecided(&error).await,
        };
        self.record.request_bytes = request_body.len() as u64;
        let media = media_type(&parts.headers);
        let form = Form::read(media.as_ref(), &request_body);
        if let Some(field) = overrides::method_field(parts.uri.query(), &form, &request_body) {
            return self.refuse_undecided(&HttpError::Override(field)).await;
        }

        let target = &self.upstream.target;
        let route = target.routes.classify(parts.method.as_str(), &path);
        let mut action = Action::named(route.action.clone());
        action.read_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        // On an LLM API the body says which model runs: it must be read, whatever the
        // Content-Type claims, or the model allow-list and token budget would not apply.
        let openai = target.api == Some(HttpApi::Openai);
        if !request_body.is_empty()
            && (openai || route.outbound)
            && let Some(coding) = crate::content::coding(&parts.headers)
        {
            return self
                .refuse_undecided(&HttpError::RequestEncoded(coding))
                .await;
        }
        let declared_json = media
            .as_ref()
            .is_some_and(|m| m.kind() == ContentKind::Json);
        let read_json = declared_json || (openai && looks_like_json(&request_body));
        let mut json_body = None;
        if read_json && !request_body.is_empty() {
            match serde_json::from_slice::<Value>(&request_body) {
                Ok(json) => json_body = Some(json),
                Err(error) if openai => {
                    let message = format!("is not valid JSON ({error})");
                    return self.refuse_undecided(&HttpError::LlmRequest(message)).await;
                }
                Err(_) => {}
            }
        }
        if openai
            && let Some(model) = json_body.as_ref().and_then(|json| json.get("model"))
            && !model.is_string()
        {
            let message = "names its model with something other than a string".to_owned();
            return self.refuse_undecided(&HttpError::LlmRequest(message)).await;
        }
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
        // A form (an audio transcription, an image edit) names its model in a field.
        if openai && json_body.is_none() {
            match form.single_value(&request_body, "model") {
                Ok(model) => action.model = model,
                Err(message) => {
                    return self.refuse_undecided(&HttpError::LlmRequest(message)).await;
                }
            }
        }
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
            let status = StatusCode::TOO_MANY_REQUESTS;
            let answer = (status, "warden_token_budget", refusal.code);
            return self
                .refuse_allowed(answer, refusal.message, &action, &decision)
                .await;
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
        let outbound_masked = route.outbound && self.masker.is_some();
        if route.outbound
            && let Some(masker) = &self.masker
        {
            match json_body.as_mut() {
                Some(json) => rewritten |= mask_json(json, masker.as_ref()),
                None => match outbound::mask(media.as_ref(), &form, &request_body, masker.as_ref())
                {
                    Ok(Some(masked)) => forwarded = Bytes::from(masked),
                    Ok(None) => {}
                    Err(error) => {
                        let (status, code) = match error {
                            HttpError::BadForm(_) => (StatusCode::BAD_REQUEST, "bad_request"),
                            _ => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unmaskable_body"),
                        };
                        let answer = (status, "warden_bad_request", code);
                        return self
                            .refuse_allowed(answer, error.to_string(), &action, &decision)
                            .await;
                    }
                },
            }
        }
        if rewritten && let Some(json) = &json_body {
            forwarded = Bytes::from(serde_json::to_vec(json).unwrap_or_default());
        }
        (self.record.request_body, self.record.request_json) =
            self.recorded_request(&forwarded, outbound_masked);

        let response = self
            .forward(&parts, &path, forwarded, llm.as_ref(), action, decision)
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
                // Held: should the client hang up meanwhile, the request is dropped.
                self.client.held.store(true, Ordering::Relaxed);
                let decided =
                    tokio::time::timeout(wait, pipeline.await_review(session, &pending, payload))
                        .await;
                self.client.held.store(false, Ordering::Relaxed);
                match decided {
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

    /// A request policy allowed that Warden answers itself (a spent token budget, a prompt that
    /// cannot be masked): `answer` is the status, error type and code; audited as the request
    /// it was, with the error.
    async fn refuse_allowed(
        &mut self,
        answer: (StatusCode, &str, &str),
        message: String,
        action: &Action,
        decision: &Decision,
    ) -> Response<Body> {
        let (status, kind, code) = answer;
        self.session.refused.fetch_add(1, Ordering::Relaxed);
        let response = reply::error(status, kind, code, &message);
        self.record.error = Some(message.clone());
        self.record.status = status.as_u16();
        let done = self.completion(action.clone(), decision.clone(), self.started.elapsed());
        let pumped = Pumped {
            error: Some(message),
            ..Pumped::default()
        };
        done.finish(pumped, None).await;
        response
    }

    /// A request refused before policy decides on it: a path the routes cannot classify safely,
    /// a method or path override header, a body that could not be read (too large, stalled) or
    /// that must be read and cannot (compressed, or an LLM request that is not the API's JSON).
    /// Audited, recorded without its body.
    async fn refuse_undecided(&mut self, error: &HttpError) -> Response<Body> {
        let status = match error {
            HttpError::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::RequestEncoded(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
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

    /// The request body as it goes into the recording: masked (unless `masked` says it already
    /// is, as an outbound body is), cut to the bound; and whether it is well-formed JSON, whole.
    fn recorded_request(&self, body: &Bytes, masked: bool) -> (String, bool) {
        let limit = self.gateway.settings.recorded_body_bytes;
        let (text, json) = match self.masker.as_ref().filter(|_| !masked) {
            Some(masker) => match crate::mask_json_document(body, masker.as_ref()) {
                Some(document) => {
                    let text = document.masked.as_deref().unwrap_or(body);
                    (
                        String::from_utf8_lossy(text).into_owned(),
                        document.well_formed,
                    )
                }
                None => (
                    masker
                        .mask_text(&String::from_utf8_lossy(body))
                        .into_owned(),
                    false,
                ),
            },
            None => (String::from_utf8_lossy(body).into_owned(), false),
        };
        let whole = text.len() <= limit;
        (cut(text, limit), json && whole)
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
