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
//!    an approval for exactly this payload or refuses; approvers read the payload masked by the
//!    role's profile, while approval binds the exact bytes.
//! 5. **forward** — the protocol sends the request upstream with injected credentials.
//! 6. **mask** — response values are rewritten by the role's masking profile.
//! 7. **record** — the exchange is appended to the session recording.
//! 8. **audit** — the decision and the outcome are appended to the hash-chained log. A decision
//!    that cannot be audited is not carried out.
//!
//! Phases 5–7 are driven by the protocol crate between [`Pipeline::evaluate`] and
//! [`Pipeline::finish`]; everything that needs policy, approval or audit goes through here.

use crate::{
    Action, AuditKind, AuditRecord, ConnectionKind, Decision, Exchange, GatewayError, Identity,
    RequestEvent, Session, Verdict, secret::Secret,
};
use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Roles granted to the caller on this connection for now (approved access requests).
    pub granted_roles: &'a [String],
}

/// Phase 3: policy.
pub trait Decide: Send + Sync {
    /// The verdict for `request`; an `Err` is refused as a gateway fault.
    fn decide(&self, request: &DecisionRequest<'_>) -> Result<Decision, GatewayError>;

    /// Whether its decisions depend on the request alone, not on when they are made: then a
    /// session may reuse one made earlier for the same request (see [`Reusable`]).
    fn clock_free(&self) -> bool {
        false
    }
}

/// What lets a session reuse an allowed read instead of deciding the same action again: the
/// roles granted when it was decided. [`Pipeline::reuse`] accepts it while they are unchanged;
/// only a [`Decide::clock_free`] decider's allowed reads are reusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reusable {
    granted: Vec<String>,
}

/// A review the request waits on: its id and what to tell the client while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReview {
    /// Review id.
    pub id: String,
    /// A sentence for the client: which review, who may approve, how, and for how long.
    pub notice: String,
}

/// What the review hook did with a request whose verdict is `review`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// An approval of exactly this payload was found and used up: forward it.
    Approved,
    /// A review was opened and the request waits for it: tell the client
    /// [`PendingReview::notice`], then call [`Pipeline::await_review`].
    Waiting(PendingReview),
}

/// Phase 4: what happens to a `review` verdict.
#[async_trait]
pub trait HoldForReview: Send + Sync {
    /// Looks for an approval of exactly `payload`, or opens a review of it: `Ok(Approved)` to
    /// forward, `Ok(Waiting)` to hold, `Err` to refuse at once (fail-fast reviews say which
    /// review to approve in the error). `shown` is the payload as approvers may read it (its
    /// text, masked with the role's profile when the role masks); approval binds `payload`.
    async fn hold(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        payload: &[u8],
        shown: &str,
    ) -> Result<Hold, GatewayError>;

    /// Waits until the review is decided or expires: `Ok` when approved (the approval is used
    /// up), `Err` with the reason otherwise.
    async fn wait(
        &self,
        session: &Session,
        review: &PendingReview,
        payload: &[u8],
    ) -> Result<(), GatewayError>;
}

/// Elevated access in force: roles granted to an identity on a connection until a deadline.
pub trait Grants: Send + Sync {
    /// Roles granted to `subject` on `connection` and in force now (empty when none, without
    /// allocating).
    fn active_roles(&self, subject: &str, connection: &str) -> Vec<String>;
}

/// No grants at all.
#[derive(Debug, Default)]
pub struct NoGrants;

impl Grants for NoGrants {
    fn active_roles(&self, _subject: &str, _connection: &str) -> Vec<String> {
        Vec::new()
    }
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

    /// Appends the `request` event of one finished request, grouped like
    /// [`Self::append_grouped`]; a log may batch it with the session's other requests.
    async fn append_request(&self, event: RequestEvent<'_>) -> Result<(), GatewayError> {
        self.append_grouped(event.to_record()).await
    }

    /// Takes the `request` event of one finished request at once, without waiting, when that
    /// needs no I/O (it joins or opens its session's batch); `None` leaves it to
    /// [`Self::append_request`].
    fn try_append_request(&self, _event: &RequestEvent<'_>) -> Option<Result<(), GatewayError>> {
        None
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
        _shown: &str,
    ) -> Result<Hold, GatewayError> {
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

    async fn wait(
        &self,
        _session: &Session,
        review: &PendingReview,
        _payload: &[u8],
    ) -> Result<(), GatewayError> {
        Err(GatewayError::gateway(
            "review_unavailable",
            format!("review {} cannot be waited on here", review.id),
        ))
    }
}

/// What [`Pipeline::evaluate`] lets a protocol do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Forward it.
    Forward(Decision),
    /// Tell the client the review's notice, then [`Pipeline::await_review`] before forwarding.
    Held(Decision, PendingReview),
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

/// Running totals for `/metrics`, counted as requests pass.
#[derive(Debug, Default)]
pub struct Counters {
    /// Sessions authenticated.
    pub sessions: AtomicU64,
    /// Credentials refused.
    pub auth_failures: AtomicU64,
    /// Requests allowed by policy.
    pub allowed: AtomicU64,
    /// Requests denied by policy.
    pub denied: AtomicU64,
    /// Requests that needed review.
    pub reviewed: AtomicU64,
}

impl Counters {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The phases wired together; cheap to clone, shared by every session of every protocol.
#[derive(Clone)]
pub struct Pipeline {
    authenticator: Arc<dyn Authenticate>,
    decider: Arc<dyn Decide>,
    reviews: Arc<dyn HoldForReview>,
    audit: Arc<dyn Audit>,
    grants: Arc<dyn Grants>,
    maskers: Arc<dyn crate::mask::Maskers>,
    counters: Arc<Counters>,
    tokens: Arc<crate::TokenLedger>,
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
            grants: Arc::new(NoGrants),
            maskers: Arc::new(crate::mask::NoMasking),
            counters: Arc::default(),
            tokens: Arc::default(),
        }
    }

    /// Running totals since start.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// LLM tokens spent per identity against the budgets decisions name.
    pub fn tokens(&self) -> &crate::TokenLedger {
        &self.tokens
    }

    /// The same pipeline, consulting `grants` for elevated access on every request (so expiry
    /// and revocation apply to the next request of an open session).
    pub fn with_grants(mut self, grants: Arc<dyn Grants>) -> Self {
        self.grants = grants;
        self
    }

    /// The same pipeline, masking responses with `maskers` (phase 6).
    pub fn with_maskers(mut self, maskers: Arc<dyn crate::mask::Maskers>) -> Self {
        self.maskers = maskers;
        self
    }

    /// Phase 6: the masker for responses to a request admitted under `decision` (`None`: the
    /// role sees clear data). A profile that does not exist is an error, never clear data.
    pub fn masker(
        &self,
        decision: &Decision,
    ) -> Result<Option<Arc<dyn crate::mask::ValueMasker>>, GatewayError> {
        let Some(profile) = decision.mask_profile.as_deref() else {
            return Ok(None);
        };
        self.maskers.profile(profile).map(Some).ok_or_else(|| {
            GatewayError::gateway(
                "mask_profile_missing",
                format!(
                    "masking profile {profile} named by rule {} is not configured; refusing rather than returning clear data",
                    decision.rule
                ),
            )
        })
    }

    fn granted_roles(&self, session: &Session) -> Vec<String> {
        self.grants
            .active_roles(&session.identity.subject, &session.connection)
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
                Counters::count(&self.counters.sessions);
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
                Counters::count(&self.counters.auth_failures);
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

    /// Phase 1 for a single call rather than a session (the admin API): the identity behind
    /// `credential`; a refusal is audited with its precise reason.
    pub async fn identify(
        &self,
        credential: &Credential,
        surface: &str,
        client_addr: Option<SocketAddr>,
    ) -> Result<Identity, GatewayError> {
        match self.authenticator.authenticate(credential).await {
            Ok(identity) => Ok(identity),
            Err(refusal) => {
                Counters::count(&self.counters.auth_failures);
                let record = AuditRecord::new(AuditKind::AuthFailed).with_detail(json!({
                    "reason": refusal.code,
                    "message": refusal.message,
                    "client_addr": client_addr.map(|a| a.to_string()),
                    "protocol": surface,
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

    /// Phases 3, 4 and the decision's audit: `Ok` means forward (at once, or once the review it
    /// is held for approves it), `Err` is the refusal to send.
    pub async fn evaluate(
        &self,
        session: &Session,
        action: &Action,
        payload: &[u8],
    ) -> Result<Admission, GatewayError> {
        self.evaluate_keeping(session, action, payload, &mut None)
            .await
    }

    /// [`Self::evaluate`], leaving in `reusable` what lets [`Self::reuse`] stand in for the
    /// next evaluation of the same action in this session, when the decision is an allowed read
    /// of a [`Decide::clock_free`] decider (`None` otherwise).
    pub async fn evaluate_keeping(
        &self,
        session: &Session,
        action: &Action,
        payload: &[u8],
        reusable: &mut Option<Reusable>,
    ) -> Result<Admission, GatewayError> {
        let granted = self.granted_roles(session);
        let request = DecisionRequest {
            identity: &session.identity,
            connection: &session.connection,
            kind: session.kind,
            action,
            client_addr: session.client_addr,
            granted_roles: &granted,
        };
        let decision = self.decider.decide(&request).unwrap_or_else(|error| {
            Decision::deny("policy-error", format!("policy could not decide: {error}"))
        });
        *reusable =
            (decision.verdict == Verdict::Allow && action.read_only && self.decider.clock_free())
                .then_some(Reusable { granted });
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
        Counters::count(match decision.verdict {
            Verdict::Allow => &self.counters.allowed,
            Verdict::Deny => &self.counters.denied,
            Verdict::Review => &self.counters.reviewed,
        });
        match decision.verdict {
            Verdict::Allow => Ok(Admission::Forward(decision)),
            Verdict::Deny => Err(GatewayError::client(
                "policy_denied",
                format!(
                    "{} denied by rule {}: {}",
                    action.name, decision.rule, decision.reason
                ),
            )),
            Verdict::Review => {
                let shown = self.shown(&decision, payload)?;
                match self
                    .reviews
                    .hold(session, action, &decision, payload, &shown)
                    .await?
                {
                    Hold::Approved => Ok(Admission::Forward(decision)),
                    Hold::Waiting(review) => Ok(Admission::Held(decision, review)),
                }
            }
        }
    }

    /// Whether an allowed read kept by [`Self::evaluate_keeping`] for an action still holds
    /// for the same action in `session` (its granted roles are unchanged); counted as an allowed
    /// decision when it does. The caller forwards under the decision it kept.
    pub fn reuse(&self, session: &Session, reusable: &Reusable) -> bool {
        if self.granted_roles(session) != reusable.granted {
            return false;
        }
        Counters::count(&self.counters.allowed);
        true
    }

    /// A held payload as approvers read it: its text, masked with the profile `decision` names
    /// (a profile that does not exist refuses the request, as it would refuse the response).
    fn shown(&self, decision: &Decision, payload: &[u8]) -> Result<String, GatewayError> {
        let text = String::from_utf8_lossy(payload);
        Ok(match self.masker(decision)? {
            Some(masker) => masker.mask_text(&text).into_owned(),
            None => text.into_owned(),
        })
    }

    /// Phase 4 for a held request: returns once its review approves it, or the refusal.
    pub async fn await_review(
        &self,
        session: &Session,
        review: &PendingReview,
        payload: &[u8],
    ) -> Result<(), GatewayError> {
        self.reviews.wait(session, review, payload).await
    }

    /// What policy would say about `action` in `session`, without auditing or holding anything;
    /// protocols use it to harden a session up front (e.g. read-only upstream sessions).
    pub fn verdict(&self, session: &Session, action: &Action) -> Verdict {
        let granted = self.granted_roles(session);
        let request = DecisionRequest {
            identity: &session.identity,
            connection: &session.connection,
            kind: session.kind,
            action,
            client_addr: session.client_addr,
            granted_roles: &granted,
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
        self.finish_request(session, action, decision, outcome, None)
            .await
    }

    /// Phase 8 for a forwarded HTTP exchange: audits its outcome with what the exchange says
    /// (method, path, status, body sizes, token usage; the model is the action's).
    pub async fn finish_exchange(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        outcome: &Outcome,
        exchange: &Exchange,
    ) -> Result<(), GatewayError> {
        self.finish_request(session, action, decision, outcome, Some(exchange))
            .await
    }

    async fn finish_request(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        outcome: &Outcome,
        exchange: Option<&Exchange>,
    ) -> Result<(), GatewayError> {
        // The reason is the rule's, already in the decision event or derivable from the rule.
        let event = RequestEvent {
            session,
            action,
            decision,
            time: Utc::now(),
            duration_ms: crate::elapsed::millis(outcome.duration),
            rows: outcome.rows,
            error: outcome.error.clone(),
            exchange,
        };
        if let Some(taken) = self.audit.try_append_request(&event) {
            return taken;
        }
        self.audit.append_request(event).await
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

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
