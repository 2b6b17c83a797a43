//! The tamper-evident audit log: one hash chain per gateway node over RFC 8785 canonical JSON,
//! with Ed25519-signed checkpoints. The formula is in `docs/audit.md`.

mod canonical;
mod chain;
mod checkpoint;
mod flusher;
mod group_commit;
mod log;
mod signing_key;
mod verify;

pub use chain::{GENESIS_HASH, canonical_event, compute_hash, event_hash};
pub use checkpoint::checkpoint_message;
pub use flusher::GROUP_WINDOW;
pub use group_commit::{BACKLOG_WAIT, GROUP_SIZE, UNSTORED_LIMIT};
pub use log::AuditLog;
pub use signing_key::{
    SIGNING_KEY_FILE, VERIFYING_KEY_FILE, load_or_create_signing_key, load_verifying_key,
};
pub use verify::{NodeReport, Problem, VerifyFailure, VerifyReport, verify, verify_with_keys};

use crate::{AuditFilter, ChainedEvent, Store, StoreError};

/// Events returned by [`search`] when the filter sets no limit.
pub const DEFAULT_SEARCH_LIMIT: u32 = 1000;

/// `warden audit search`: events matching `filter` (identity, connection, verdict and kind
/// exactly; action exactly or by a `prefix*`; `since` inclusive, `until` exclusive), oldest
/// first, at most `filter.limit` or [`DEFAULT_SEARCH_LIMIT`].
pub async fn search(
    store: &dyn Store,
    filter: &AuditFilter,
) -> Result<Vec<ChainedEvent>, StoreError> {
    let filter = AuditFilter {
        limit: Some(filter.limit.unwrap_or(DEFAULT_SEARCH_LIMIT)),
        ..filter.clone()
    };
    store.search_audit(&filter).await
}
