//! The tamper-evident audit log: one hash chain per gateway node over RFC 8785 canonical JSON,
//! with Ed25519-signed checkpoints. The formula is in `docs/audit.md`.

mod batch;
mod canonical;
mod chain;
mod checkpoint;
mod expand;
mod flusher;
mod group_commit;
mod log;
mod sealed;
mod signing_key;
mod verify;

pub use batch::{BATCH_LIMIT, BATCH_SPAN, REQUESTS};
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
/// first, at most `filter.limit` or [`DEFAULT_SEARCH_LIMIT`]. A stored request batch is listed
/// as one event per request, each at its own time.
pub async fn search(
    store: &dyn Store,
    filter: &AuditFilter,
) -> Result<Vec<ChainedEvent>, StoreError> {
    let limit = filter.limit.unwrap_or(DEFAULT_SEARCH_LIMIT);
    let mut rows = store
        .search_audit(&AuditFilter {
            limit: Some(limit),
            ..filter.clone()
        })
        .await?;
    // Rows come by the time of their first request: when the limit cut the list, requests of
    // later batches may belong before anything after the last row's time.
    let cutoff = match rows.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
        true => rows.last().map(|e| e.record.time),
        false => None,
    };
    if let Some(since) = filter.since
        && filter.kind.as_deref().is_none_or(|k| k == "request")
    {
        // Batches that started before `since` may hold requests after it.
        let span = chrono::Duration::from_std(BATCH_SPAN).unwrap_or(chrono::Duration::MAX);
        let earlier = AuditFilter {
            kind: Some("request".to_owned()),
            since: Some(since - span),
            until: Some(filter.until.map_or(since, |until| until.min(since))),
            limit: Some(limit.saturating_mul(4).max(DEFAULT_SEARCH_LIMIT)),
            ..filter.clone()
        };
        rows.extend(
            store
                .search_audit(&earlier)
                .await?
                .into_iter()
                .filter(expand::is_batch),
        );
    }
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        expand::expand(row, &mut events);
    }
    events.retain(|e| {
        let time = e.record.time;
        filter.since.is_none_or(|since| time >= since)
            && filter.until.is_none_or(|until| time < until)
            && cutoff.is_none_or(|cutoff| time <= cutoff)
    });
    events.sort_by(|a, b| {
        (a.record.time, &a.node, a.seq, a.part.map(|p| p.index)).cmp(&(
            b.record.time,
            &b.node,
            b.seq,
            b.part.map(|p| p.index),
        ))
    });
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(events)
}
