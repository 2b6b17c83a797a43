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
    /// Hex SHA-256 of the exact payload (empty payload for access reviews).
    pub payload_hash: String,
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
}

/// Hex SHA-256 of a payload, as reviews store it.
pub fn payload_hash(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

impl Review {
    /// A pending review of `payload` requested by `requester`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: ReviewKind,
        requester: &Identity,
        connection: &str,
        action: &str,
        payload: &[u8],
        justification: Option<String>,
        rules: ReviewRules,
        now: DateTime<Utc>,
    ) -> Result<Review, ReviewError> {
        let justification = justification.filter(|j| !j.trim().is_empty());
        if rules.require_justification && justification.is_none() {
            return Err(ReviewError::JustificationRequired(rules.policy));
        }
        Ok(Review {
            id: Uuid::now_v7(),
            kind,
            requester: requester.subject.clone(),
            connection: connection.to_owned(),
            action: action.to_owned(),
            payload_hash: payload_hash(payload),
            justification,
            rules,
            votes: Vec::new(),
            state: ReviewState::Pending,
            created_at: now,
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
