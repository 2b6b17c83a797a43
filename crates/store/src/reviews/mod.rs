//! Reviews (held requests and access requests waiting for approvers) and the grants approved
//! access reviews lead to: the [`ReviewStore`] trait and its SQLite and PostgreSQL
//! implementations.
//!
//! Concurrency rules, the same on both backends: every change to a review is a compare-and-swap
//! on its `version`, so of two writers holding the same copy one wins and the other gets
//! [`StoreError::Conflict`]; an approver's vote is stored at most once per review (the votes
//! table's primary key); an approved command review is taken for execution exactly once.

mod backend;
mod grant_rows;
mod list_sql;
mod postgres;
mod rows;
mod sqlite;

use crate::{PgStore, SqliteStore, StoreError};
use async_trait::async_trait;
use backend::impl_review_store;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_core::{Grant, Review, ReviewState};

/// How many times [`ReviewStore::take_approved_review`] looks again after another request took
/// the approval it was about to take while a further matching one is still waiting.
const TAKE_ATTEMPTS: usize = 8;

/// Criteria for listing reviews; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    /// Only reviews in this state.
    pub state: Option<ReviewState>,
    /// Only reviews asked for by this subject.
    pub requester: Option<String>,
    /// Only reviews on this connection.
    pub connection: Option<String>,
    /// At most this many reviews.
    pub limit: Option<u32>,
}

/// Reviews and grants, shared by every protocol and, on PostgreSQL, by every gateway node.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Saves a new review with its votes. Fails with [`StoreError::Conflict`] if its id exists.
    async fn insert_review(&self, review: &Review) -> Result<(), StoreError>;
    /// The review with this id, with its votes in voting order.
    async fn review(&self, id: Uuid) -> Result<Option<Review>, StoreError>;
    /// Reviews matching `filter`, newest first, each with its votes in voting order.
    async fn reviews(&self, filter: &ReviewFilter) -> Result<Vec<Review>, StoreError>;
    /// Stores `review`'s state and the votes it has beyond those stored, in one transaction,
    /// if the stored review is still at `review.version`; returns the review as now stored
    /// (version bumped). Fails with [`StoreError::Conflict`] if the review changed since it was
    /// read (reload it and apply the change again), if it carries a second vote of one
    /// approver, or if it does not exist. Nothing is stored on failure.
    async fn update_review(&self, review: &Review) -> Result<Review, StoreError>;
    /// Atomically takes the oldest approved command review of `requester` on `connection` for
    /// the payload with this hash whose deadline is after `now`: marks it executed and returns
    /// it. Each approval is returned once, however many requests or gateway nodes race for it.
    async fn take_approved_review(
        &self,
        requester: &str,
        connection: &str,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Review>, StoreError>;

    /// Saves a new grant. Fails with [`StoreError::Conflict`] if its id exists or its review
    /// already led to a grant.
    async fn insert_grant(&self, grant: &Grant) -> Result<(), StoreError>;
    /// The grant with this id, active or not.
    async fn grant(&self, id: Uuid) -> Result<Option<Grant>, StoreError>;
    /// Grants of `identity` (everyone's if `None`), only those active at `active_at` if given,
    /// newest first.
    async fn grants(
        &self,
        identity: Option<&str>,
        active_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<Grant>, StoreError>;
    /// Grants of `identity` on `connection` active at `now`, newest first.
    async fn active_grants(
        &self,
        identity: &str,
        connection: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Grant>, StoreError>;
    /// Revokes the grant with this id at `at` on behalf of `by`; returns it, or `None` if there
    /// is none. A grant already revoked is returned unchanged, keeping the first revocation.
    async fn revoke_grant(
        &self,
        id: Uuid,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Grant>, StoreError>;
}

/// Maps a driver error where no uniqueness violation is expected.
fn unexpected(backend: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |err| {
        StoreError::from_sqlx(backend, err, || {
            "unexpected uniqueness violation".to_owned()
        })
    }
}

impl_review_store!(SqliteStore, sqlx::Sqlite, "sqlite", sqlite);
impl_review_store!(PgStore, sqlx::Postgres, "postgres", postgres);
