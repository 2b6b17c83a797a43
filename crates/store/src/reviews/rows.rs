//! Review and vote rows as both backends store them, and their conversion to and from
//! [`Review`]. A review is read together with its votes in one statement (a `LEFT JOIN`, one row
//! per vote), so the review and its votes always come from the same snapshot.

use crate::{StoreError, timestamp};
use warden_core::{GrantRequest, Review, ReviewKind, ReviewRules, ReviewState, Vote};

/// Columns of `reviews`, in [`ReviewRow`] order.
pub(crate) const REVIEW_COLUMNS: &str = "id, kind, requester, connection, action, payload, payload_hash, justification, grant_role, grant_duration_secs, policy, approver_groups, quorum, deadline, require_justification, state, version, created_at";

/// The vote columns appended to [`REVIEW_COLUMNS`] when reading reviews with their votes.
pub(crate) const VOTE_COLUMNS: &str = "approver AS vote_approver, approve AS vote_approve, comment AS vote_comment, voted_at AS vote_at";

/// Columns of `reviews`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReviewRow {
    pub id: String,
    pub kind: String,
    pub requester: String,
    pub connection: String,
    pub action: String,
    pub payload: String,
    pub payload_hash: String,
    pub justification: Option<String>,
    pub grant_role: Option<String>,
    pub grant_duration_secs: Option<i64>,
    pub policy: String,
    /// JSON array of strings.
    pub approver_groups: String,
    pub quorum: i64,
    pub deadline: String,
    pub require_justification: bool,
    pub state: String,
    pub version: i64,
    pub created_at: String,
}

/// One vote of a review as read through the `LEFT JOIN`: all `None` for a review without votes.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JoinedVote {
    pub vote_approver: Option<String>,
    pub vote_approve: Option<bool>,
    pub vote_comment: Option<String>,
    pub vote_at: Option<String>,
}

/// A review row with one of its votes.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReviewVoteRow {
    #[sqlx(flatten)]
    pub review: ReviewRow,
    #[sqlx(flatten)]
    pub vote: JoinedVote,
}

/// Columns of `review_votes`.
#[derive(Debug)]
pub(crate) struct VoteRow {
    pub review_id: String,
    pub approver: String,
    pub position: i64,
    pub approve: bool,
    pub comment: Option<String>,
    pub voted_at: String,
}

fn corrupt(id: &str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table: "reviews",
        message: format!("review {id}: {message}"),
    }
}

/// A count or counter as stored (SQL integers are signed 64-bit).
pub(crate) fn to_sql(id: &str, what: &str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| {
        corrupt(
            id,
            format!("{what} {value} does not fit a 64-bit signed integer"),
        )
    })
}

fn from_sql(id: &str, what: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(id, format!("negative {what} {value}")))
}

/// The stored name of a state.
pub(crate) fn state_to_sql(state: ReviewState) -> &'static str {
    state.as_str()
}

fn parse_state(text: &str) -> Option<ReviewState> {
    [
        ReviewState::Pending,
        ReviewState::Approved,
        ReviewState::Denied,
        ReviewState::Expired,
        ReviewState::Executed,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
}

fn parse_kind(text: &str) -> Option<ReviewKind> {
    [ReviewKind::Command, ReviewKind::Access]
        .into_iter()
        .find(|k| k.as_str() == text)
}

impl ReviewRow {
    /// The row for `review` (its votes go to `review_votes`, see [`VoteRow::for_review`]).
    pub fn from_review(review: &Review) -> Result<Self, StoreError> {
        let id = review.id.to_string();
        let approver_groups = serde_json::to_string(&review.rules.approver_groups)
            .map_err(|e| corrupt(&id, format!("cannot encode approver groups: {e}")))?;
        let grant_duration_secs = review
            .grant
            .as_ref()
            .map(|g| to_sql(&id, "grant duration", g.duration_secs))
            .transpose()?;
        Ok(ReviewRow {
            kind: review.kind.as_str().to_owned(),
            requester: review.requester.clone(),
            connection: review.connection.clone(),
            action: review.action.clone(),
            payload: review.payload.clone(),
            payload_hash: review.payload_hash.clone(),
            justification: review.justification.clone(),
            grant_role: review.grant.as_ref().map(|g| g.role.clone()),
            grant_duration_secs,
            policy: review.rules.policy.clone(),
            approver_groups,
            quorum: i64::from(review.rules.quorum),
            deadline: timestamp::format(&review.rules.deadline),
            require_justification: review.rules.require_justification,
            state: state_to_sql(review.state).to_owned(),
            version: to_sql(&id, "version", review.version)?,
            created_at: timestamp::format(&review.created_at),
            id,
        })
    }

    /// The review in this row, without votes.
    fn into_review(self) -> Result<Review, StoreError> {
        let id = self.id;
        let time = |what: &str, text: &str| {
            timestamp::parse(text).map_err(|e| corrupt(&id, format!("{what}: {e}")))
        };
        let deadline = time("deadline", &self.deadline)?;
        let created_at = time("created_at", &self.created_at)?;
        let kind = parse_kind(&self.kind)
            .ok_or_else(|| corrupt(&id, format!("unknown kind {:?}", self.kind)))?;
        let state = parse_state(&self.state)
            .ok_or_else(|| corrupt(&id, format!("unknown state {:?}", self.state)))?;
        let approver_groups = serde_json::from_str::<Vec<String>>(&self.approver_groups)
            .map_err(|e| corrupt(&id, format!("approver groups: {e}")))?;
        let quorum = u32::try_from(self.quorum)
            .map_err(|_| corrupt(&id, format!("quorum {} out of range", self.quorum)))?;
        let grant = match (self.grant_role, self.grant_duration_secs) {
            (Some(role), Some(secs)) => Some(GrantRequest {
                role,
                duration_secs: from_sql(&id, "grant duration", secs)?,
            }),
            (None, None) => None,
            _ => {
                return Err(corrupt(
                    &id,
                    "grant role and duration must both be set or both be null",
                ));
            }
        };
        let version = from_sql(&id, "version", self.version)?;
        let uuid = uuid::Uuid::parse_str(&id).map_err(|e| corrupt(&id, format!("id: {e}")))?;
        Ok(Review {
            id: uuid,
            kind,
            requester: self.requester,
            connection: self.connection,
            action: self.action,
            payload: self.payload,
            payload_hash: self.payload_hash,
            grant,
            justification: self.justification,
            rules: ReviewRules {
                policy: self.policy,
                approver_groups,
                quorum,
                deadline,
                require_justification: self.require_justification,
            },
            votes: Vec::new(),
            state,
            created_at,
            version,
        })
    }
}

impl JoinedVote {
    /// The vote, or `None` for the single row of a review without votes.
    fn into_vote(self, id: &str) -> Result<Option<Vote>, StoreError> {
        match (self.vote_approver, self.vote_approve, self.vote_at) {
            (Some(approver), Some(approve), Some(at)) => Ok(Some(Vote {
                at: timestamp::parse(&at)
                    .map_err(|e| corrupt(id, format!("vote of {approver}: {e}")))?,
                approver,
                approve,
                comment: self.vote_comment,
            })),
            (None, None, None) => Ok(None),
            _ => Err(corrupt(id, "a vote with missing columns")),
        }
    }
}

/// Reviews with their votes from joined rows, which must come ordered by review and then by
/// vote position (as every review query orders them).
pub(crate) fn into_reviews(rows: Vec<ReviewVoteRow>) -> Result<Vec<Review>, StoreError> {
    let mut reviews: Vec<Review> = Vec::new();
    for row in rows {
        let id = row.review.id.clone();
        let vote = row.vote.into_vote(&id)?;
        let review = match reviews.last_mut() {
            Some(last) if last.id.to_string() == id => last,
            _ => {
                reviews.push(row.review.into_review()?);
                reviews
                    .last_mut()
                    .ok_or_else(|| corrupt(&id, "lost while reading"))?
            }
        };
        review.votes.extend(vote);
    }
    Ok(reviews)
}

impl VoteRow {
    /// Rows for `review`'s votes from position `from` on: the ones not yet stored.
    pub fn for_review(review: &Review, from: usize) -> Result<Vec<Self>, StoreError> {
        let id = review.id.to_string();
        review
            .votes
            .iter()
            .enumerate()
            .skip(from)
            .map(|(position, vote)| {
                Ok(VoteRow {
                    review_id: id.clone(),
                    approver: vote.approver.clone(),
                    position: to_sql(&id, "vote position", position as u64)?,
                    approve: vote.approve,
                    comment: vote.comment.clone(),
                    voted_at: timestamp::format(&vote.at),
                })
            })
            .collect()
    }
}
