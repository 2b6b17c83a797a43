//! The end of an exchange: its recording line and its audit event (model, status, sizes,
//! token usage), and the token budget charged.

use crate::listener::HttpGateway;
use crate::llm::Usage;
use crate::session::HttpSession;
use crate::stream::Pumped;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use warden_core::pipeline::Outcome;
use warden_core::{Action, Decision, Exchange};
use warden_record::HttpExchange;

/// What is left to do once a response body has been sent: record and audit it.
pub struct Completion {
    pub gateway: Arc<HttpGateway>,
    pub session: Arc<HttpSession>,
    pub record: HttpExchange,
    pub started: Instant,
    pub head: Duration,
    pub action: Action,
    pub decision: Decision,
}

impl Completion {
    /// Records and audits a streamed response once its body has ended.
    pub async fn streamed(self, pumped: Pumped) {
        let usage = pumped.usage.as_ref().and_then(|u| u.usage);
        let mut done = self;
        if done.record.model.is_none() {
            done.record.model = pumped.usage.as_ref().and_then(|u| u.model.clone());
        }
        done.finish(pumped, usage).await;
    }

    /// Records and audits the exchange.
    pub async fn finish(mut self, pumped: Pumped, usage: Option<Usage>) {
        let total = self.started.elapsed();
        self.record.response_bytes = pumped.bytes;
        // Valid UTF-8 (the usual case) becomes the text without a copy.
        self.record.response_body = String::from_utf8(pumped.head)
            .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
        self.record.response_json = pumped.json;
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
        let mut action = self.action;
        if action.model.is_none() {
            action.model = record.model;
        }
        let outcome = Outcome {
            duration: total,
            rows: None,
            error: record.error,
        };
        let exchange = Exchange {
            method: record.method,
            path: record.path,
            status: record.status,
            request_bytes: record.request_bytes,
            response_bytes: record.response_bytes,
            usage: record.usage,
        };
        if let Err(error) = self
            .gateway
            .pipeline
            .finish_exchange(
                &self.session.session,
                &action,
                &self.decision,
                &outcome,
                &exchange,
            )
            .await
        {
            tracing::error!(%error, "cannot audit an http exchange");
        }
    }
}

/// `text` cut to at most `limit` bytes on a character boundary.
pub fn cut(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}
