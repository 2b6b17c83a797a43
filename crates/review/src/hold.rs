//! The pipeline's review hook: a `review` verdict either uses up an approval of exactly this
//! payload, or opens (or finds) a review — then waits for it (`wait` mode) or refuses at once
//! naming it (`fail_fast` mode). The review shows approvers the payload as the pipeline masked
//! it for the role and binds the exact payload by hash; the stored text is never run.

use crate::{ReviewService, ServiceError};
use async_trait::async_trait;
use uuid::Uuid;
use warden_core::pipeline::{Hold, HoldForReview, PendingReview};
use warden_core::review::payload_hash;
use warden_core::{
    Action, Decision, GatewayError, ReviewKind, ReviewRequest, ReviewState, Session,
};

/// The policy reviews fall under when the deciding rule names none.
pub const DEFAULT_POLICY: &str = "default";

#[async_trait]
impl HoldForReview for ReviewService {
    async fn hold(
        &self,
        session: &Session,
        action: &Action,
        decision: &Decision,
        payload: &[u8],
        shown: &str,
    ) -> Result<Hold, GatewayError> {
        let requester = &session.identity.subject;
        let hash = payload_hash(payload);
        if self
            .take_approval(requester, &session.connection, &hash)
            .await
            .map_err(refusal)?
            .is_some()
        {
            return Ok(Hold::Approved);
        }
        let policy = decision.review_policy.as_deref().unwrap_or(DEFAULT_POLICY);
        let waits = self.waits(policy).map_err(refusal)?;
        let existing = if waits {
            None
        } else {
            // A retry of a fail-fast request is the same request: it keeps its review.
            self.pending_for(requester, &session.connection, &hash)
                .await
                .map_err(refusal)?
        };
        let review = match existing {
            Some(review) => review,
            None => {
                // Approvers (store, API, CLI, webhooks) read the masked copy; approval binds the
                // exact bytes, and only the held request itself ever runs.
                let request = ReviewRequest {
                    kind: ReviewKind::Command,
                    connection: session.connection.clone(),
                    action: action.name.clone(),
                    justification: justification(shown),
                    payload: shown.to_owned(),
                    grant: None,
                };
                self.open_bound(&session.identity, request, policy, Some(payload))
                    .await
                    .map_err(refusal)?
            }
        };
        let groups = review.rules.approver_groups.join(", ");
        if waits {
            let deadline = review.rules.deadline.format("%H:%M:%S UTC");
            return Ok(Hold::Waiting(PendingReview {
                id: review.id.to_string(),
                notice: format!(
                    "warden: {} needs approval under review policy {policy}; review {} is waiting for {} approver(s) from {groups} (warden review approve {}); holding this statement until {deadline}",
                    action.name, review.id, review.rules.quorum, review.id
                ),
            }));
        }
        Err(GatewayError::client(
            "review_pending",
            format!(
                "{} needs approval under review policy {policy}: review {} is pending ({} of {} approvals from {groups}); once approved (warden review approve {}), send the identical request again before {} to run it once",
                action.name,
                review.id,
                review.approvals(),
                review.rules.quorum,
                review.id,
                review.rules.deadline.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        )
        .with_review(review.id.to_string()))
    }

    async fn wait(
        &self,
        session: &Session,
        pending: &PendingReview,
        payload: &[u8],
    ) -> Result<(), GatewayError> {
        let id = Uuid::parse_str(&pending.id).map_err(|e| {
            GatewayError::gateway(
                "review_unavailable",
                format!("review id {}: {e}", pending.id),
            )
        })?;
        let review = self.wait_decided(id).await.map_err(refusal)?;
        match review.state {
            ReviewState::Approved => {
                let hash = payload_hash(payload);
                match self
                    .take_approval(&session.identity.subject, &session.connection, &hash)
                    .await
                    .map_err(refusal)?
                {
                    Some(_) => Ok(()),
                    None => Err(GatewayError::client(
                        "review_used",
                        format!(
                            "review {id} was approved, but its approval was already used or has lapsed"
                        ),
                    )),
                }
            }
            ReviewState::Denied => {
                let by = review.votes.iter().find(|v| !v.approve);
                Err(GatewayError::client(
                    "review_denied",
                    format!(
                        "review {id} was denied by {}{}",
                        by.map_or("an approver", |v| v.approver.as_str()),
                        by.and_then(|v| v.comment.as_deref())
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    ),
                ))
            }
            ReviewState::Expired => Err(GatewayError::client(
                "review_expired",
                format!(
                    "review {id} expired at {} with {} of {} approvals",
                    review.rules.deadline.format("%Y-%m-%d %H:%M:%S UTC"),
                    review.approvals(),
                    review.rules.quorum
                ),
            )),
            ReviewState::Executed | ReviewState::Pending => Err(GatewayError::client(
                "review_used",
                format!(
                    "review {id} is {} and cannot run this request",
                    review.state.as_str()
                ),
            )),
        }
    }
}

/// A refusal for a failed review operation: the caller's fault, or the gateway's (fail closed).
fn refusal(error: ServiceError) -> GatewayError {
    if error.is_client_error() {
        GatewayError::client("review_refused", error.to_string())
    } else {
        GatewayError::gateway("review_unavailable", format!("review: {error}"))
    }
}

/// A justification given in the payload itself: the text after `justification:` up to the end
/// of its line or comment (`-- justification: ticket 123` or `/* justification: … */`).
pub fn justification(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("justification:")? + "justification:".len();
    let rest = text.get(start..)?;
    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    let line = rest.get(..end)?;
    let line = line.split("*/").next().unwrap_or(line).trim();
    (!line.is_empty()).then(|| line.to_owned())
}
