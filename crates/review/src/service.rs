//! [`ReviewService`]: opens reviews, takes votes, expires and executes them, creates grants —
//! each change stored with a compare-and-swap (so nodes sharing a store never lose a vote),
//! audited durably, and announced.

use crate::{GrantIndex, Notify, ReviewEvent, ServiceError, Transition};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use warden_config::{ReviewMode, ReviewPolicy};
use warden_core::pipeline::Audit;
use warden_core::{
    AuditKind, AuditRecord, Grant, GrantRequest, Identity, Review, ReviewKind, ReviewRequest,
    ReviewRules, ReviewState,
};
use warden_store::{DynStore, ReviewFilter, StoreError};

/// How often a waiting request looks at the store for a decision taken on another node.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Attempts at a compare-and-swap before giving up on a review that keeps changing.
const CAS_ATTEMPTS: usize = 16;

/// Reviews and grants over the shared store.
pub struct ReviewService {
    store: DynStore,
    audit: Arc<dyn Audit>,
    policies: BTreeMap<String, ReviewPolicy>,
    notify: Arc<dyn Notify>,
    /// Woken when this node records a decision, so local waiters need not wait for the poll.
    decided: tokio::sync::Notify,
    /// Grants in force, consulted on every request.
    grants: Arc<GrantIndex>,
}

/// What an access request asks for.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    /// Connection name.
    pub connection: String,
    /// Role wanted on it.
    pub role: String,
    /// For how long once approved.
    pub duration: Duration,
    /// Why.
    pub reason: Option<String>,
}

impl ReviewService {
    /// A service over `store` with the configured review policies.
    pub fn new(
        store: DynStore,
        audit: Arc<dyn Audit>,
        policies: BTreeMap<String, ReviewPolicy>,
        notify: Arc<dyn Notify>,
    ) -> Self {
        ReviewService {
            store,
            audit,
            policies,
            notify,
            decided: tokio::sync::Notify::new(),
            grants: Arc::new(GrantIndex::default()),
        }
    }

    /// The grants in force (the pipeline's [`Grants`](warden_core::pipeline::Grants)).
    pub fn grant_index(&self) -> Arc<GrantIndex> {
        self.grants.clone()
    }

    /// Opens an access review: `requester` asks for `request.role` on `request.connection`.
    /// The role must exist, list the connection, and name the review policy that governs it.
    pub async fn request_access(
        &self,
        requester: &Identity,
        request: AccessRequest,
        roles: &BTreeMap<String, warden_config::Role>,
        connection_exists: bool,
    ) -> Result<Review, ServiceError> {
        if !connection_exists {
            return Err(ServiceError::Invalid(format!(
                "no connection named {:?} is defined",
                request.connection
            )));
        }
        let role = roles.get(&request.role).ok_or_else(|| {
            ServiceError::Invalid(format!("no role named {:?} is defined", request.role))
        })?;
        let policy = role.review_policy.clone().ok_or_else(|| {
            ServiceError::Invalid(format!(
                "role {} cannot be requested: it names no review_policy to approve it",
                request.role
            ))
        })?;
        if request.duration.is_zero() {
            return Err(ServiceError::Invalid(
                "the grant duration must be positive".into(),
            ));
        }
        let review_request = ReviewRequest {
            kind: ReviewKind::Access,
            connection: request.connection.clone(),
            action: format!("access:{}", request.role),
            payload: String::new(),
            justification: request.reason,
            grant: Some(GrantRequest {
                role: request.role,
                duration_secs: request.duration.as_secs(),
            }),
        };
        self.open(requester, review_request, &policy).await
    }

    /// Grants of `identity` (everyone's if `None`), only those in force if `active`.
    pub async fn grants(
        &self,
        identity: Option<&str>,
        active: bool,
    ) -> Result<Vec<Grant>, ServiceError> {
        let at = active.then(Utc::now);
        Ok(self.store.grants(identity, at).await?)
    }

    /// Revokes grant `id` on behalf of `by`; takes effect on the next request on this node and
    /// within the refresh interval on others.
    pub async fn revoke_grant(&self, by: &Identity, id: Uuid) -> Result<Grant, ServiceError> {
        let grant = self
            .store
            .revoke_grant(id, &by.subject, Utc::now())
            .await?
            .ok_or_else(|| ServiceError::Invalid(format!("no grant has id {id}")))?;
        self.grants.remove(id);
        let record = AuditRecord {
            identity: Some(by.subject.clone()),
            connection: Some(grant.connection.clone()),
            ..AuditRecord::new(AuditKind::Grant)
        }
        .with_detail(json!({
            "transition": "revoked",
            "grant": grant.id.to_string(),
            "holder": grant.identity,
            "role": grant.role,
        }));
        self.audit
            .append(record)
            .await
            .map_err(ServiceError::Audit)?;
        Ok(grant)
    }

    /// The configured policy named `name`.
    pub fn policy(&self, name: &str) -> Result<&ReviewPolicy, ServiceError> {
        self.policies
            .get(name)
            .ok_or_else(|| ServiceError::UnknownPolicy(name.to_owned()))
    }

    /// Whether requests under `policy` wait (`true`) or fail fast.
    pub fn waits(&self, policy: &str) -> Result<bool, ServiceError> {
        Ok(self.policy(policy)?.mode == ReviewMode::Wait)
    }

    /// Opens a review of `request` by `requester` under `policy`, audited and announced.
    pub async fn open(
        &self,
        requester: &Identity,
        request: ReviewRequest,
        policy: &str,
    ) -> Result<Review, ServiceError> {
        self.open_bound(requester, request, policy, None).await
    }

    /// Like [`Self::open`], binding approval to `exact` (the payload as sent) when given, while
    /// approvers read `request.payload` (a masked copy of it).
    pub async fn open_bound(
        &self,
        requester: &Identity,
        request: ReviewRequest,
        policy: &str,
        exact: Option<&[u8]>,
    ) -> Result<Review, ServiceError> {
        let config = self.policy(policy)?;
        let now = Utc::now();
        let timeout = chrono::Duration::from_std(config.timeout.0)
            .map_err(|_| ServiceError::UnknownPolicy(format!("{policy} (timeout too long)")))?;
        let rules = ReviewRules {
            policy: policy.to_owned(),
            approver_groups: config.approvers.clone(),
            quorum: config.quorum,
            deadline: now + timeout,
            require_justification: config.require_justification,
        };
        let review = match exact {
            Some(exact) => Review::new_bound(requester, request, rules, now, exact)?,
            None => Review::new(requester, request, rules, now)?,
        };
        self.store.insert_review(&review).await?;
        self.announce(Transition::Created, &review, Some(&requester.subject), None)
            .await?;
        Ok(review)
    }

    /// The review with this id, expired first if its deadline passed.
    pub async fn review(&self, id: Uuid) -> Result<Review, ServiceError> {
        let review = self.load(id).await?;
        if review.state == ReviewState::Pending && Utc::now() >= review.rules.deadline {
            return self.expire(id).await;
        }
        Ok(review)
    }

    /// Reviews matching `filter`, newest first.
    pub async fn list(&self, filter: &ReviewFilter) -> Result<Vec<Review>, ServiceError> {
        let now = Utc::now();
        let mut reviews = self.store.reviews(filter).await?;
        for review in &mut reviews {
            // Shown as they stand now; the stored state catches up on the next access.
            review.expire_if_due(now);
        }
        Ok(reviews)
    }

    /// A pending review by `requester` on `connection` of the payload with this hash, if any.
    pub async fn pending_for(
        &self,
        requester: &str,
        connection: &str,
        payload_hash: &str,
    ) -> Result<Option<Review>, ServiceError> {
        let filter = ReviewFilter {
            state: Some(ReviewState::Pending),
            requester: Some(requester.to_owned()),
            connection: Some(connection.to_owned()),
            limit: None,
        };
        let now = Utc::now();
        Ok(self
            .store
            .reviews(&filter)
            .await?
            .into_iter()
            .find(|r| r.payload_hash == payload_hash && now < r.rules.deadline))
    }

    /// `voter` approves or denies review `id`. Returns the review after the vote; an approved
    /// access review creates its grant.
    pub async fn vote(
        &self,
        voter: &Identity,
        id: Uuid,
        approve: bool,
        comment: Option<String>,
    ) -> Result<Review, ServiceError> {
        let comment = comment.filter(|c| !c.trim().is_empty());
        let review = self
            .change(id, |review, now| {
                review
                    .vote(voter, approve, comment.clone(), now)
                    .map(|_| ())
                    .map_err(ServiceError::from)
            })
            .await?;
        let transition = match review.state {
            ReviewState::Approved => Transition::Approved,
            ReviewState::Denied => Transition::Denied,
            _ => Transition::Voted,
        };
        self.announce(
            transition,
            &review,
            Some(&voter.subject),
            comment.as_deref(),
        )
        .await?;
        if review.state == ReviewState::Approved && review.kind == ReviewKind::Access {
            self.grant_access(&review).await?;
        }
        if review.state != ReviewState::Pending {
            self.decided.notify_waiters();
        }
        Ok(review)
    }

    /// Marks a pending review past its deadline expired (audited once, by whoever stores it).
    pub async fn expire(&self, id: Uuid) -> Result<Review, ServiceError> {
        let mut expired_now = false;
        let review = self
            .change(id, |review, now| {
                expired_now = review.expire_if_due(now);
                Ok(())
            })
            .await?;
        if expired_now {
            self.announce(Transition::Expired, &review, None, None)
                .await?;
            self.decided.notify_waiters();
        }
        Ok(review)
    }

    /// Expires every pending review past its deadline (each audited once, by whichever node
    /// stores the change); returns how many this call expired.
    pub async fn expire_due(&self) -> Result<usize, ServiceError> {
        let filter = ReviewFilter {
            state: Some(ReviewState::Pending),
            ..ReviewFilter::default()
        };
        let now = Utc::now();
        let mut expired = 0;
        for review in self.store.reviews(&filter).await? {
            if now >= review.rules.deadline
                && self.expire(review.id).await?.state == ReviewState::Expired
            {
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// Runs [`Self::expire_due`] every `every` until the task is aborted.
    pub async fn run_expiry(self: Arc<Self>, every: Duration) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.expire_due().await {
                tracing::warn!(%error, "cannot expire overdue reviews");
            }
        }
    }

    /// Uses up an approval of exactly this payload by `requester` on `connection`, if one is
    /// valid now: the review is marked executed (once, across nodes) and audited.
    pub async fn take_approval(
        &self,
        requester: &str,
        connection: &str,
        payload_hash: &str,
    ) -> Result<Option<Review>, ServiceError> {
        let taken = self
            .store
            .take_approved_review(requester, connection, payload_hash, Utc::now())
            .await?;
        if let Some(review) = &taken {
            self.announce(Transition::Executed, review, Some(requester), None)
                .await?;
        }
        Ok(taken)
    }

    /// Waits until review `id` leaves `pending` or `deadline` passes, waking on local decisions
    /// at once and on other nodes' decisions within [`POLL_INTERVAL`].
    pub async fn wait_decided(&self, id: Uuid) -> Result<Review, ServiceError> {
        loop {
            let decided = self.decided.notified();
            tokio::pin!(decided);
            decided.as_mut().enable();
            let review = self.review(id).await?;
            if review.state != ReviewState::Pending {
                return Ok(review);
            }
            let left = (review.rules.deadline - Utc::now())
                .to_std()
                .unwrap_or_default();
            let _ = tokio::time::timeout(left.min(POLL_INTERVAL), decided).await;
        }
    }

    async fn load(&self, id: Uuid) -> Result<Review, ServiceError> {
        self.store
            .review(id)
            .await?
            .ok_or(ServiceError::NotFound(id))
    }

    /// Applies `apply` to the stored review and stores it if it changed, retrying from a fresh
    /// copy when another writer got there first.
    async fn change(
        &self,
        id: Uuid,
        mut apply: impl FnMut(&mut Review, DateTime<Utc>) -> Result<(), ServiceError>,
    ) -> Result<Review, ServiceError> {
        for _ in 0..CAS_ATTEMPTS {
            let mut review = self.load(id).await?;
            let before = (review.state, review.votes.len());
            apply(&mut review, Utc::now())?;
            if (review.state, review.votes.len()) == before {
                return Ok(review);
            }
            match self.store.update_review(&review).await {
                Ok(stored) => return Ok(stored),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Busy(id))
    }

    async fn grant_access(&self, review: &Review) -> Result<(), ServiceError> {
        let Some(request) = &review.grant else {
            return Ok(());
        };
        let now = Utc::now();
        let duration = i64::try_from(request.duration_secs)
            .ok()
            .and_then(chrono::Duration::try_seconds)
            .ok_or_else(|| ServiceError::Invalid("grant duration too long".into()))?;
        let grant = Grant {
            id: Uuid::now_v7(),
            review_id: Some(review.id),
            identity: review.requester.clone(),
            connection: review.connection.clone(),
            role: request.role.clone(),
            reason: review.justification.clone(),
            granted_by: review
                .votes
                .iter()
                .filter(|v| v.approve)
                .map(|v| v.approver.clone())
                .collect(),
            created_at: now,
            expires_at: now + duration,
            revoked_at: None,
            revoked_by: None,
        };
        self.store.insert_grant(&grant).await?;
        self.grants.insert(grant.clone());
        let record = AuditRecord {
            identity: Some(grant.identity.clone()),
            connection: Some(grant.connection.clone()),
            ..AuditRecord::new(AuditKind::Grant)
        }
        .with_detail(json!({
            "transition": "created",
            "grant": grant.id.to_string(),
            "review": review.id.to_string(),
            "role": grant.role,
            "expires_at": grant.expires_at.to_rfc3339(),
            "granted_by": grant.granted_by,
        }));
        self.audit.append(record).await.map_err(ServiceError::Audit)
    }

    /// Audits a transition durably, then tells the notifier.
    async fn announce(
        &self,
        transition: Transition,
        review: &Review,
        actor: Option<&str>,
        comment: Option<&str>,
    ) -> Result<(), ServiceError> {
        let record = AuditRecord {
            identity: actor.map(str::to_owned),
            connection: Some(review.connection.clone()),
            action: Some(review.action.clone()),
            rule: Some(review.rules.policy.clone()),
            ..AuditRecord::new(AuditKind::Review)
        }
        .with_detail(json!({
            "transition": transition.as_str(),
            "review": review.id.to_string(),
            "kind": review.kind.as_str(),
            "state": review.state.as_str(),
            "requester": review.requester,
            "payload_hash": review.payload_hash,
            "approvals": review.approvals(),
            "quorum": review.rules.quorum,
            "comment": comment,
        }));
        self.audit
            .append(record)
            .await
            .map_err(ServiceError::Audit)?;
        self.notify.notify(&ReviewEvent {
            transition,
            review: review.clone(),
            actor: actor.map(str::to_owned),
            at: Utc::now(),
        });
        Ok(())
    }
}
