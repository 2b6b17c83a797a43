//! Warden's state: the [`Store`] trait (with its [`ReviewStore`] part for reviews and grants)
//! with SQLite (embedded default) and PostgreSQL implementations, their migrations, and the
//! hash-chained audit log built on top.
//!
//! Timestamps are kept to the microsecond, as RFC 3339 UTC text with six fractional digits
//! (`2026-05-06T07:08:09.123456Z`): fixed width, so text order is time order on both backends.

pub mod audit;
mod backend;
mod error;
mod postgres;
mod reviews;
mod rows;
mod search_sql;
mod sqlite;
mod timestamp;
mod types;

pub use audit::{AuditLog, VerifyFailure, VerifyReport};
pub use error::StoreError;
pub use postgres::{PgStore, open_postgres};
pub use reviews::{ReviewFilter, ReviewStore};
pub use sqlite::{SQLITE_FILE, SqliteStore, open_sqlite};
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A store shared by every part of the gateway.
pub type DynStore = std::sync::Arc<dyn Store>;

/// Persistent state shared by every protocol and, on PostgreSQL, by every gateway node; reviews
/// and grants are in the [`ReviewStore`] part.
#[async_trait]
pub trait Store: ReviewStore + Send + Sync {
    /// Which backend this is (`sqlite` or `postgres`), for messages.
    fn backend(&self) -> &'static str;

    /// Saves a new API key (its hash only). Fails with [`StoreError::Conflict`] on a duplicate
    /// name among unrevoked keys or a duplicate id.
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    /// The API key with this id, revoked or not.
    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// All API keys, newest first.
    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Marks the key with this id, or the unrevoked key with this name, revoked at `at`.
    /// Returns the revoked key, or `None` if nothing matched. A key already revoked is
    /// returned unchanged.
    async fn revoke_api_key(
        &self,
        id_or_name: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// The last event of `node`'s chain, if any.
    async fn audit_head(&self, node: &str) -> Result<Option<ChainedEvent>, StoreError>;
    /// Appends one chained event; fails with [`StoreError::Conflict`] if `(node, seq)` exists.
    async fn insert_audit_event(&self, event: &ChainedEvent) -> Result<(), StoreError>;
    /// Appends `events` (each with its detail as JSON text) in one transaction: all of them or
    /// none. Fails with [`StoreError::Conflict`] if any `(node, seq)` exists. An empty slice
    /// does nothing.
    async fn insert_audit_events(&self, events: &[StoredEvent]) -> Result<(), StoreError>;
    /// Events of `node` with `seq > after`, in stored order of `seq`, at most `limit`.
    async fn audit_events(
        &self,
        node: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ChainedEvent>, StoreError>;
    /// Every node that has written audit events or checkpoints, by name.
    async fn audit_nodes(&self) -> Result<Vec<String>, StoreError>;
    /// Events matching `filter`, oldest first.
    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<ChainedEvent>, StoreError>;
    /// Saves a signed checkpoint.
    async fn insert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    /// Checkpoints of `node`, by ascending `seq`.
    async fn checkpoints(&self, node: &str) -> Result<Vec<Checkpoint>, StoreError>;
}
