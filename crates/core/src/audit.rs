//! What gets written to the tamper-evident audit log.

use crate::{Action, Decision, Session, Verdict};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of event, one per thing that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A gateway node started.
    GatewayStart,
    /// A gateway node stopped.
    GatewayStop,
    /// A credential was refused.
    AuthFailed,
    /// A client session was authenticated and opened.
    SessionStart,
    /// A client session ended.
    SessionEnd,
    /// Policy decided on a request (allow, review or deny).
    Decision,
    /// A forwarded request finished (statement, command, HTTP exchange) with its outcome.
    Request,
    /// A client sent something malformed or oversized and was disconnected.
    ProtocolError,
    /// An API key was created.
    KeyCreated,
    /// An API key was revoked.
    KeyRevoked,
    /// A review was created, voted on, or reached an outcome.
    Review,
    /// An access grant was created, used, expired or revoked.
    Grant,
    /// An administrator changed configuration or state.
    AdminChange,
    /// A call to the admin API (who called what, and the status answered).
    AdminCall,
}

impl AuditKind {
    /// The snake_case name stored and searched.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::GatewayStart => "gateway_start",
            AuditKind::GatewayStop => "gateway_stop",
            AuditKind::AuthFailed => "auth_failed",
            AuditKind::SessionStart => "session_start",
            AuditKind::SessionEnd => "session_end",
            AuditKind::Decision => "decision",
            AuditKind::Request => "request",
            AuditKind::ProtocolError => "protocol_error",
            AuditKind::KeyCreated => "key_created",
            AuditKind::KeyRevoked => "key_revoked",
            AuditKind::Review => "review",
            AuditKind::Grant => "grant",
            AuditKind::AdminChange => "admin_change",
            AuditKind::AdminCall => "admin_call",
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event before it is chained: the store adds sequence number, node and hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When it happened.
    pub time: DateTime<Utc>,
    /// What happened.
    pub kind: AuditKind,
    /// Subject of the identity involved, if any.
    pub identity: Option<String>,
    /// Connection name, if any.
    pub connection: Option<String>,
    /// Session id, if any.
    pub session: Option<String>,
    /// Action name, if any.
    pub action: Option<String>,
    /// Verdict, if a decision was involved.
    pub verdict: Option<Verdict>,
    /// Rule or policy id that decided, if any.
    pub rule: Option<String>,
    /// Anything else worth keeping; never secrets.
    pub detail: serde_json::Value,
}

impl AuditRecord {
    /// A record of `kind` stamped now, with every other field empty.
    pub fn new(kind: AuditKind) -> Self {
        AuditRecord {
            time: Utc::now(),
            kind,
            identity: None,
            connection: None,
            session: None,
            action: None,
            verdict: None,
            rule: None,
            detail: serde_json::Value::Null,
        }
    }

    /// Fills identity, connection and session from a session.
    pub fn for_session(mut self, session: &Session) -> Self {
        self.identity = Some(session.identity.subject.clone());
        self.connection = Some(session.connection.clone());
        self.session = Some(session.id.to_string());
        self
    }

    /// Fills action and verdict fields from a decision.
    pub fn with_decision(mut self, action: &Action, decision: &Decision) -> Self {
        self.action = Some(action.name.clone());
        self.verdict = Some(decision.verdict);
        self.rule = Some(decision.rule.clone());
        self
    }

    /// Sets the detail object.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// The outcome of one forwarded request, audited as a `request` event by
/// [`Pipeline::finish`](crate::Pipeline::finish). A log may keep it without building the
/// record (see [`Audit::append_request`](crate::pipeline::Audit::append_request)).
#[derive(Debug)]
pub struct RequestEvent<'a> {
    /// The session it ran in.
    pub session: &'a Session,
    /// What it did.
    pub action: &'a Action,
    /// The decision it ran under.
    pub decision: &'a Decision,
    /// When it finished.
    pub time: DateTime<Utc>,
    /// How long it ran, in milliseconds.
    pub duration_ms: f64,
    /// Rows it returned or changed, when the protocol says.
    pub rows: Option<u64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// What an HTTP exchange says in place of tables, functions and rows.
    pub exchange: Option<&'a Exchange>,
}

/// The HTTP side of a `request` event: what was asked and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Request method.
    pub method: String,
    /// Path below the connection, with the query string.
    pub path: String,
    /// Response status sent to the client.
    pub status: u16,
    /// Request body bytes.
    pub request_bytes: u64,
    /// Response body bytes sent to the client.
    pub response_bytes: u64,
    /// Token usage an LLM API reported.
    pub usage: Option<serde_json::Value>,
}

impl RequestEvent<'_> {
    /// The `request` event: identity, connection, session, action, verdict and rule, with
    /// tables, functions, duration, rows and error in `detail`; for an HTTP exchange, method,
    /// path, status, body sizes, token usage and model, duration and error.
    pub fn to_record(&self) -> AuditRecord {
        let detail = match self.exchange {
            None => serde_json::json!({
                "tables": self.action.tables,
                "functions": self.action.functions,
                "duration_ms": self.duration_ms,
                "rows": self.rows,
                "error": self.error,
            }),
            Some(exchange) => {
                let mut detail = serde_json::json!({
                    "method": exchange.method,
                    "path": exchange.path,
                    "status": exchange.status,
                    "request_bytes": exchange.request_bytes,
                    "response_bytes": exchange.response_bytes,
                    "duration_ms": self.duration_ms,
                    "error": self.error,
                });
                if let Some(usage) = &exchange.usage {
                    detail["usage"] = usage.clone();
                }
                if let Some(model) = &self.action.model {
                    detail["model"] = model.as_str().into();
                }
                detail
            }
        };
        let mut record = AuditRecord::new(AuditKind::Request)
            .for_session(self.session)
            .with_decision(self.action, self.decision)
            .with_detail(detail);
        record.time = self.time;
        record
    }
}
