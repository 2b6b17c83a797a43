//! The request pipeline: the phases every protocol calls, in this order.
//!
//! 1. **authenticate** — turn the credential the client presented into an [`Identity`]; a refusal
//!    is audited with its precise reason and never echoes the credential.
//! 2. **classify** — the protocol names what the request does as an [`Action`] (the SQL parser,
//!    the SSH command line, the HTTP route rules). Classification is the only protocol-specific
//!    judgement, and it happens before policy sees anything.
//! 3. **decide** — policy turns identity, connection and action into a [`Decision`]. A policy
//!    error is a deny (fail closed).
//! 4. **hold for review** — a `review` verdict is handed to the review hook, which either returns
//!    an approval for exactly this payload or refuses.
//! 5. **forward** — the protocol sends the request upstream with injected credentials.
//! 6. **mask** — response values are rewritten by the role's masking profile.
//! 7. **record** — the exchange is appended to the session recording.
//! 8. **audit** — the decision and the outcome are appended to the hash-chained log. A decision
//!    that cannot be audited is not carried out.
//!
//! Phases 5–7 are driven by the protocol crate between [`Pipeline::evaluate`] and
//! [`Pipeline::finish`]; everything that needs policy, approval or audit goes through here.

use crate::{
    Action, AuditKind, AuditRecord, ConnectionKind, Decision, GatewayError, Identity, Session,
    Verdict, secret::Secret,
};
use async_trait::async_trait;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The named phases, for metrics and error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Credential to identity.
    Authenticate,
    /// Payload to action.
    Classify,
    /// Action to verdict.
    Decide,
    /// Review verdict to approval or refusal.
    HoldForReview,
    /// Request sent upstream.
    Forward,
    /// Response values masked.
    Mask,
    /// Exchange recorded.
    Record,
    /// Event appended to the audit log.
    Audit,
}

/// A credential exactly as the client presented it (token, API key).
pub type Credential = Secret<String>;

/// Phase 1: verifies a credential.
#[async_trait]
pub trait Authenticate: Send + Sync {
    /// The identity behind `credential`, or a client error saying precisely why not.
    async fn authenticate(&self, credential: &Credential) -> Result<Identity, GatewayError>;
}

/// Phase 2: names what a protocol payload does.
pub trait Classify<P: ?Sized> {
    /// The action `payload` performs.
    fn classify(&self, payload: &P) -> Action;
}

/// Everything policy may look at for one request.
#[derive(Debug, Clone)]
pub struct DecisionRequest<'a> {
    /// The caller.
    pub identity: &'a Identity,
    /// Connection name.
    pub connection: &'a str,
    /// Connection protocol.
    pub kind: ConnectionKind,
    /// What the request does.
    pub action: &'a Action,
    /// Where the request comes from.
    pub client_addr: Option<SocketAddr>,
}

/// Phase 3: policy.
pub trait Decide: Send + Sync {
    /// The verdict for `request`; an `Err` is refused as a gateway fault.
    fn decide(&self, request: &DecisionRequest<'_>) -> Result<Decision, GatewayError>;
}

/// Phase 4: what happens to a `review` verdict.
#[async_trait]
pub trait HoldForReview: Send + Sync {
    /// Resolves the review for exactly `payload`: `Ok` when approved, `Err` when refused.
    async fn hold(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        payload: &[u8],
    ) -> Result<(), GatewayError>;
}

/// Phase 8: the audit log.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Appends one event durably; an `Err` means the event is not in the log.
    async fn append(&self, record: AuditRecord) -> Result<(), GatewayError>;

    /// Appends one event that may be committed with others within a short, bounded window
    /// (allowed reads and request outcomes). It takes its place in the chain at once; an `Err`
    /// means the log cannot take events now.
    async fn append_grouped(&self, record: AuditRecord) -> Result<(), GatewayError> {
        self.append(record).await
    }
}

/// The review hook used until approvals are configured: refuses, saying approval is required.
#[derive(Debug, Default)]
pub struct RefuseReviews;

#[async_trait]
impl HoldForReview for RefuseReviews {
    async fn hold(
        &self,
        _session: &Session,
        action: &Action,
        decision: &Decision,
        _payload: &[u8],
    ) -> Result<(), GatewayError> {
        Err(GatewayError::client(
            "review_required",
            format!(
                "{} requires approval under review policy {} (rule {}), and this gateway cannot hold requests for review",
                action.name,
                decision.review_policy.as_deref().unwrap_or("default"),
                decision.rule
            ),
        ))
    }
}

/// What came of a forwarded request, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Time from decision to completion.
    pub duration: Duration,
    /// Rows returned or affected, where the protocol knows.
    pub rows: Option<u64>,
    /// The upstream error, if the request failed there.
    pub error: Option<String>,
}

/// The phases wired together; cheap to clone, shared by every session of every protocol.
#[derive(Clone)]
pub struct Pipeline {
    authenticator: Arc<dyn Authenticate>,
    decider: Arc<dyn Decide>,
    reviews: Arc<dyn HoldForReview>,
    audit: Arc<dyn Audit>,
}

impl Pipeline {
    /// A pipeline from its phase implementations.
    pub fn new(
        authenticator: Arc<dyn Authenticate>,
        decider: Arc<dyn Decide>,
        reviews: Arc<dyn HoldForReview>,
        audit: Arc<dyn Audit>,
    ) -> Self {
        Pipeline {
            authenticator,
            decider,
            reviews,
            audit,
        }
    }

    /// Phase 1: authenticates and opens a session, auditing the start or the precise refusal.
    pub async fn authenticate(
        &self,
        credential: &Credential,
        connection: &str,
        kind: ConnectionKind,
        client_addr: Option<SocketAddr>,
    ) -> Result<Session, GatewayError> {
        match self.authenticator.authenticate(credential).await {
            Ok(identity) => {
                let session = Session::new(identity, connection, kind, client_addr);
                let record = AuditRecord::new(AuditKind::SessionStart)
                    .for_session(&session)
                    .with_detail(json!({
                        "auth_method": session.identity.auth_method.as_str(),
                        "identity_kind": session.identity.kind,
                        "groups": session.identity.groups,
                        "client_addr": client_addr.map(|a| a.to_string()),
                        "protocol": kind.as_str(),
                    }));
                self.audit.append(record).await?;
                Ok(session)
            }
            Err(refusal) => {
                let record = AuditRecord {
                    connection: Some(connection.to_owned()),
                    ..AuditRecord::new(AuditKind::AuthFailed)
                }
                .with_detail(json!({
                    "reason": refusal.code,
                    "message": refusal.message,
                    "client_addr": client_addr.map(|a| a.to_string()),
                    "protocol": kind.as_str(),
                }));
                self.audit.append(record).await?;
                Err(refusal)
            }
        }
    }

    /// Phase 2: classification, done by the protocol's classifier.
    pub fn classify<P: ?Sized>(&self, classifier: &impl Classify<P>, payload: &P) -> Action {
        classifier.classify(payload)
    }

    /// Phases 3, 4 and the decision's audit: `Ok` means forward, `Err` is the refusal to send.
    pub async fn evaluate(
        &self,
        session: &Session,
        action: &Action,
        payload: &[u8],
    ) -> Result<Decision, GatewayError> {
        let request = DecisionRequest {
            identity: &session.identity,
            connection: &session.connection,
            kind: session.kind,
            action,
            client_addr: session.client_addr,
        };
        let decision = self.decider.decide(&request).unwrap_or_else(|error| {
            Decision::deny("policy-error", format!("policy could not decide: {error}"))
        });
        // Decisions that let data change, and every refusal, are durable before anything is
        // forwarded. An allowed read is written once, with its outcome, by `finish` (the
        // `request` event carries verdict and rule), committed in a group.
        if decision.verdict != Verdict::Allow || !action.read_only {
            let record = AuditRecord::new(AuditKind::Decision)
                .for_session(session)
                .with_decision(action, &decision)
                .with_detail(json!({
                    "reason": decision.reason,
                    "tables": action.tables,
                    "functions": action.functions,
                }));
            self.audit.append(record).await?;
        }
        match decision.verdict {
            Verdict::Allow => Ok(decision),
            Verdict::Deny => Err(GatewayError::client(
                "policy_denied",
                format!(
                    "{} denied by rule {}: {}",
                    action.name, decision.rule, decision.reason
                ),
            )),
            Verdict::Review => {
                self.reviews
                    .hold(session, action, &decision, payload)
                    .await?;
                Ok(decision)
            }
        }
    }

    /// What policy would say about `action` in `session`, without auditing or holding anything;
    /// protocols use it to harden a session up front (e.g. read-only upstream sessions).
    pub fn verdict(&self, session: &Session, action: &Action) -> Verdict {
        let request = DecisionRequest {
            identity: &session.identity,
            connection: &session.connection,
            kind: session.kind,
            action,
            client_addr: session.client_addr,
        };
        self.decider
            .decide(&request)
            .map_or(Verdict::Deny, |decision| decision.verdict)
    }

    /// Phase 8 for a forwarded request: audits its outcome.
    pub async fn finish(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        outcome: &Outcome,
    ) -> Result<(), GatewayError> {
        // The reason is the rule's, already in the decision event or derivable from the rule.
        let record = AuditRecord::new(AuditKind::Request)
            .for_session(session)
            .with_decision(action, decision)
            .with_detail(json!({
                "tables": action.tables,
                "functions": action.functions,
                "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
                "rows": outcome.rows,
                "error": outcome.error,
            }));
        self.audit.append_grouped(record).await
    }

    /// Audits the end of a session.
    pub async fn close(
        &self,
        session: &Session,
        detail: serde_json::Value,
    ) -> Result<(), GatewayError> {
        let record = AuditRecord::new(AuditKind::SessionEnd)
            .for_session(session)
            .with_detail(detail);
        self.audit.append(record).await
    }

    /// Appends any other event (protocol errors, admin changes).
    pub async fn audit(&self, record: AuditRecord) -> Result<(), GatewayError> {
        self.audit.append(record).await
    }
}
