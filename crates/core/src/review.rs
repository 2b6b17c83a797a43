//! Reviews: a held request or an access request waiting for approvers, with the rules that
//! make approval meaningful — a quorum of distinct approvers from the named groups, the
//! requester never counting, one deny ending it, a deadline, and an approved command running
//! exactly the approved payload, once.
//!
//! This is the state machine only; storing reviews and notifying approvers come with the store
//! and the admin API.

use crate::Identity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use uuid::Uuid;

/// What is being reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// One held statement, command or request: approval runs exactly that payload once.
    Command,
    /// Elevated access: approval creates a grant until a deadline.
    Access,
}

impl ReviewKind {
    /// The snake_case name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Command => "command",
            ReviewKind::Access => "access",
        }
    }
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for votes.
    Pending,
    /// Quorum reached; a command review may now run once.
    Approved,
    /// An approver said no.
    Denied,
    /// The deadline passed before quorum.
    Expired,
    /// The approved command ran.
    Executed,
}

impl ReviewState {
    /// The snake_case name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Denied => "denied",
            ReviewState::Expired => "expired",
            ReviewState::Executed => "executed",
        }
    }
}

/// The elevated access an access review asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    /// Role to grant on the review's connection.
    pub role: String,
    /// How long the grant lasts once approved, in seconds.
    pub duration_secs: u64,
}

/// What a requester asks to have reviewed; [`Review::new`] turns it into a pending review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    /// Command or access.
    pub kind: ReviewKind,
    /// Connection name.
    pub connection: String,
    /// Action name.
    pub action: String,
    /// The payload (e.g. the SQL text) as approvers read it; approval binds to its SHA-256, so
    /// what approvers read is exactly what may run — unless the review is opened with
    /// [`Review::new_bound`], which binds the exact bytes sent and shows this masked copy of
    /// them. Empty for access reviews.
    pub payload: String,
    /// The requester's reason.
    pub justification: Option<String>,
    /// The access asked for: required for access reviews, absent for command reviews.
    pub grant: Option<GrantRequest>,
}

/// One approver's vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// Subject of the approver.
    pub approver: String,
    /// Yes or no.
    pub approve: bool,
    /// Optional comment.
    pub comment: Option<String>,
    /// When the vote was cast.
    pub at: DateTime<Utc>,
}

/// Who may approve, how many must, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRules {
    /// Review policy name from the config.
    pub policy: String,
    /// Groups whose members may vote.
    pub approver_groups: Vec<String>,
    /// Distinct approvals needed.
    pub quorum: u32,
    /// After this the review expires.
    pub deadline: DateTime<Utc>,
    /// Whether the requester had to give a reason.
    pub require_justification: bool,
}

/// Why a review operation was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ReviewError {
    /// The policy requires a reason and none was given.
    #[error("review policy {0} requires a justification")]
    JustificationRequired(String),
    /// The review is no longer pending.
    #[error("review {id} is {state:?}, not pending")]
    NotPending {
        /// Review id.
        id: Uuid,
        /// Its state.
        state: ReviewState,
    },
    /// The requester tried to vote on their own request.
    #[error("{0} requested this review and cannot vote on it")]
    SelfApproval(String),
    /// The voter is in none of the approver groups.
    #[error("{voter} is not in any approver group of review policy {policy} ({groups})")]
    NotAnApprover {
        /// Voter subject.
        voter: String,
        /// Policy name.
        policy: String,
        /// Approver groups, comma-separated.
        groups: String,
    },
    /// The voter already voted.
    #[error("{0} has already voted on this review")]
    AlreadyVoted(String),
    /// Execution asked of a review that is not an approved command review.
    #[error("review {id} cannot run: it is a {kind:?} review in state {state:?}")]
    NotRunnable {
        /// Review id.
        id: Uuid,
        /// Its kind.
        kind: ReviewKind,
        /// Its state.
        state: ReviewState,
    },
    /// An access review without a grant request, or a command review with one.
    #[error(
        "a {} review {}",
        .0.as_str(),
        if *.0 == ReviewKind::Access {
            "needs a grant request (role and duration)"
        } else {
            "cannot carry a grant request; ask for access in an access review"
        }
    )]
    GrantMismatch(ReviewKind),
    /// The payload differs from the one approved.
    #[error("the payload differs from the one approved in review {0}")]
    PayloadMismatch(Uuid),
}

/// A review and its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Unique id.
    pub id: Uuid,
    /// Command or access.
    pub kind: ReviewKind,
    /// Subject of the requester.
    pub requester: String,
    /// Connection name.
    pub connection: String,
    /// Action name.
    pub action: String,
    /// The payload as approvers read it (e.g. the SQL text, masked when the requester's role
    /// masks); empty for access reviews. Never run: only the held request itself runs.
    pub payload: String,
    /// Hex SHA-256 of the exact payload that may run (the bytes the client sent).
    pub payload_hash: String,
    /// The access asked for, for access reviews.
    pub grant: Option<GrantRequest>,
    /// The requester's reason.
    pub justification: Option<String>,
    /// Approval rules.
    pub rules: ReviewRules,
    /// Votes in order.
    pub votes: Vec<Vote>,
    /// Current state.
    pub state: ReviewState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency counter: 0 when created, bumped by the store on every change.
    pub version: u64,
}

/// Hex SHA-256 of a payload, as reviews store it.
pub fn payload_hash(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

impl Review {
    /// A pending review of `request`, asked for by `requester`; approval binds `request.payload`.
    pub fn new(
        requester: &Identity,
        request: ReviewRequest,
        rules: ReviewRules,
        now: DateTime<Utc>,
    ) -> Result<Review, ReviewError> {
        let hash = payload_hash(request.payload.as_bytes());
        Review::with_hash(requester, request, rules, now, hash)
    }

    /// A pending review whose approval binds `exact` (the payload exactly as sent, which alone
    /// may run) while approvers read `request.payload`, a masked copy of it.
    pub fn new_bound(
        requester: &Identity,
        request: ReviewRequest,
        rules: ReviewRules,
        now: DateTime<Utc>,
        exact: &[u8],
    ) -> Result<Review, ReviewError> {
        Review::with_hash(requester, request, rules, now, payload_hash(exact))
    }

    fn with_hash(
        requester: &Identity,
        request: ReviewRequest,
        rules: ReviewRules,
        now: DateTime<Utc>,
        hash: String,
    ) -> Result<Review, ReviewError> {
        let justification = request.justification.filter(|j| !j.trim().is_empty());
        if rules.require_justification && justification.is_none() {
            return Err(ReviewError::JustificationRequired(rules.policy));
        }
        if (request.kind == ReviewKind::Access) != request.grant.is_some() {
            return Err(ReviewError::GrantMismatch(request.kind));
        }
        Ok(Review {
            id: Uuid::now_v7(),
            kind: request.kind,
            requester: requester.subject.clone(),
            connection: request.connection,
            action: request.action,
            payload_hash: hash,
            payload: request.payload,
            grant: request.grant,
            justification,
            rules,
            votes: Vec::new(),
            state: ReviewState::Pending,
            created_at: now,
            version: 0,
        })
    }

    /// Distinct approvals so far.
    pub fn approvals(&self) -> usize {
        self.votes.iter().filter(|v| v.approve).count()
    }

    /// Moves a pending review past its deadline to `Expired`; returns whether it did.
    pub fn expire_if_due(&mut self, now: DateTime<Utc>) -> bool {
        if self.state == ReviewState::Pending && now >= self.rules.deadline {
            self.state = ReviewState::Expired;
            return true;
        }
        false
    }

    /// Records `voter`'s vote and returns the resulting state.
    pub fn vote(
        &mut self,
        voter: &Identity,
        approve: bool,
        comment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ReviewState, ReviewError> {
        self.expire_if_due(now);
        if self.state != ReviewState::Pending {
            return Err(ReviewError::NotPending {
                id: self.id,
                state: self.state,
            });
        }
        if voter.subject == self.requester {
            return Err(ReviewError::SelfApproval(voter.subject.clone()));
        }
        if !self.rules.approver_groups.iter().any(|g| voter.in_group(g)) {
            return Err(ReviewError::NotAnApprover {
                voter: voter.subject.clone(),
                policy: self.rules.policy.clone(),
                groups: self.rules.approver_groups.join(","),
            });
        }
        if self.votes.iter().any(|v| v.approver == voter.subject) {
            return Err(ReviewError::AlreadyVoted(voter.subject.clone()));
        }
        self.votes.push(Vote {
            approver: voter.subject.clone(),
            approve,
            comment,
            at: now,
        });
        if !approve {
            self.state = ReviewState::Denied;
        } else if self.approvals() >= self.rules.quorum as usize {
            self.state = ReviewState::Approved;
        }
        Ok(self.state)
    }

    /// Marks an approved command review as run, if `payload` is exactly the approved one.
    /// Succeeds once; any later call is refused.
    pub fn execute(&mut self, payload: &[u8]) -> Result<(), ReviewError> {
        if self.kind != ReviewKind::Command || self.state != ReviewState::Approved {
            return Err(ReviewError::NotRunnable {
                id: self.id,
                kind: self.kind,
                state: self.state,
            });
        }
        if payload_hash(payload) != self.payload_hash {
            return Err(ReviewError::PayloadMismatch(self.id));
        }
        self.state = ReviewState::Executed;
        Ok(())
    }
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
