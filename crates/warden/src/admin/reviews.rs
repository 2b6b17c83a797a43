//! `/v1/reviews`: list, show, approve, deny.

use super::AdminState;
use super::auth::{AdminRole, Caller};
use super::error::ApiError;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use uuid::Uuid;
use warden_core::{Review, ReviewState};
use warden_store::ReviewFilter;

/// Query of `GET /v1/reviews`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// pending, approved, denied, expired or executed.
    pub state: Option<String>,
    /// Requester subject.
    pub requester: Option<String>,
    /// Connection name.
    pub connection: Option<String>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// Body of approve and deny.
#[derive(Debug, Default, Deserialize)]
pub struct VoteBody {
    /// Why.
    pub comment: Option<String>,
}

/// Reviews, newest first. Approvers, auditors and admins see all; anyone else their own.
pub async fn list(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Review>>, ApiError> {
    let state_filter = query.state.as_deref().map(parse_state).transpose()?;
    let mut requester = query.requester;
    if !roles_see_all(&state, &caller) {
        requester = Some(caller.subject.clone());
    }
    let filter = ReviewFilter {
        state: state_filter,
        requester,
        connection: query.connection,
        limit: Some(query.limit.unwrap_or(100).min(1000)),
    };
    Ok(Json(state.gateway.reviews.list(&filter).await?))
}

/// One review with its votes.
pub async fn show(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Path(id): Path<Uuid>,
) -> Result<Json<Review>, ApiError> {
    let review = state.gateway.reviews.review(id).await?;
    if review.requester != caller.subject && !roles_see_all(&state, &caller) {
        return Err(ApiError::forbidden(format!(
            "{} may only see their own reviews",
            caller.subject
        )));
    }
    Ok(Json(review))
}

/// Votes yes.
pub async fn approve(
    state: State<AdminState>,
    caller: axum::Extension<Caller>,
    id: Path<Uuid>,
    body: Option<Json<VoteBody>>,
) -> Result<Json<Review>, ApiError> {
    vote(state, caller, id, body, true).await
}

/// Votes no; the review is denied.
pub async fn deny(
    state: State<AdminState>,
    caller: axum::Extension<Caller>,
    id: Path<Uuid>,
    body: Option<Json<VoteBody>>,
) -> Result<Json<Review>, ApiError> {
    vote(state, caller, id, body, false).await
}

async fn vote(
    State(state): State<AdminState>,
    axum::Extension(Caller(caller)): axum::Extension<Caller>,
    Path(id): Path<Uuid>,
    body: Option<Json<VoteBody>>,
    approve: bool,
) -> Result<Json<Review>, ApiError> {
    // Whether this caller may vote on this review is the review's own rule (its approver
    // groups, never the requester), checked by the service.
    let comment = body.and_then(|Json(b)| b.comment);
    Ok(Json(
        state
            .gateway
            .reviews
            .vote(&caller, id, approve, comment)
            .await?,
    ))
}

fn roles_see_all(state: &AdminState, caller: &warden_core::Identity) -> bool {
    state.roles.holds(caller, AdminRole::Approver) || state.roles.holds(caller, AdminRole::Auditor)
}

fn parse_state(text: &str) -> Result<ReviewState, ApiError> {
    Ok(match text {
        "pending" => ReviewState::Pending,
        "approved" => ReviewState::Approved,
        "denied" => ReviewState::Denied,
        "expired" => ReviewState::Expired,
        "executed" => ReviewState::Executed,
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown review state {other:?}: use pending, approved, denied, expired or executed"
            )));
        }
    })
}
