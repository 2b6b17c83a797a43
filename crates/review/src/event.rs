//! What happened to a review, as announced to webhooks and written to the audit log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use warden_core::review::Review;

/// A step in a review's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// A review was opened for a held request or an access request.
    Created,
    /// An approver voted yes without reaching the quorum yet.
    Voted,
    /// The quorum was reached.
    Approved,
    /// An approver said no.
    Denied,
    /// The deadline passed before the quorum.
    Expired,
    /// The approved request ran.
    Executed,
}

impl Transition {
    /// The snake_case name used in audit details and webhook payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Created => "created",
            Transition::Voted => "voted",
            Transition::Approved => "approved",
            Transition::Denied => "denied",
            Transition::Expired => "expired",
            Transition::Executed => "executed",
        }
    }
}

/// One transition of one review.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewEvent {
    /// What happened.
    pub transition: Transition,
    /// The review after the transition.
    pub review: Review,
    /// Who caused it (the requester, a voter), if anyone.
    pub actor: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something told about every review transition; must return at once (queue, never block).
pub trait Notify: Send + Sync {
    /// Announces `event`.
    fn notify(&self, event: &ReviewEvent);
}
