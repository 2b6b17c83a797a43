//! The `json` webhook body: Warden's own event document, signed by the sender.

use crate::ReviewEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use warden_core::review::{GrantRequest, ReviewKind, ReviewState};

/// The whole body.
#[derive(Serialize)]
struct Body<'a> {
    event: String,
    review: Summary<'a>,
    actor: Option<&'a str>,
    at: DateTime<Utc>,
    approve_command: String,
}

/// What receivers need of a review; a stable shape, independent of how reviews are stored.
#[derive(Serialize)]
struct Summary<'a> {
    id: Uuid,
    kind: ReviewKind,
    state: ReviewState,
    requester: &'a str,
    connection: &'a str,
    action: &'a str,
    payload: &'a str,
    justification: Option<&'a str>,
    grant: Option<&'a GrantRequest>,
    policy: &'a str,
    quorum: u32,
    approvals: usize,
    deadline: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

/// The event name, e.g. `review.created`.
pub(crate) fn event_name(event: &ReviewEvent) -> String {
    format!("review.{}", event.transition.as_str())
}

/// The serialized body for `event`.
pub(crate) fn body(event: &ReviewEvent) -> serde_json::Result<Vec<u8>> {
    let review = &event.review;
    serde_json::to_vec(&Body {
        event: event_name(event),
        review: Summary {
            id: review.id,
            kind: review.kind,
            state: review.state,
            requester: &review.requester,
            connection: &review.connection,
            action: &review.action,
            payload: &review.payload,
            justification: review.justification.as_deref(),
            grant: review.grant.as_ref(),
            policy: &review.rules.policy,
            quorum: review.rules.quorum,
            approvals: review.approvals(),
            deadline: review.rules.deadline,
            created_at: review.created_at,
        },
        actor: event.actor.as_deref(),
        at: event.at,
        approve_command: format!("warden review approve {}", review.id),
    })
}
