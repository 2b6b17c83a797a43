//! The hash of one chained event (the formula in `docs/audit.md`):
//!
//! ```text
//! hash = hex(SHA-256(prev_hash as 64 ASCII hex bytes || seq as 8-byte big endian
//!                    || RFC 8785 canonical JSON of {seq, time, node, kind, identity,
//!                       connection, session, action, verdict, rule, detail}))
//! ```

use super::canonical;
use super::sealed::Sealed;
use crate::{ChainedEvent, StoreError};
use sha2::{Digest, Sha256};
use warden_core::AuditRecord;

/// `prev_hash` of the first event of every chain: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The RFC 8785 canonical JSON the hash covers. Every field is present; absent ones are `null`.
pub fn canonical_event(seq: u64, node: &str, record: &AuditRecord) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(512);
    canonical::write_event(&mut out, seq, node, record).map_err(|e| uncanonical(seq, node, &e))?;
    Ok(out)
}

/// The hash of an event with these fields following `prev_hash`.
pub fn compute_hash(
    prev_hash: &str,
    seq: u64,
    node: &str,
    record: &AuditRecord,
) -> Result<String, StoreError> {
    let canonical = canonical_event(seq, node, record)?;
    Ok(hash_canonical(prev_hash, seq, &canonical))
}

/// The hash of a sealed event (its detail already canonical) following `prev_hash`.
pub(super) fn sealed_hash(
    prev_hash: &str,
    seq: u64,
    node: &str,
    sealed: &Sealed,
) -> Result<String, StoreError> {
    let mut canonical = Vec::with_capacity(256 + sealed.detail.len());
    canonical::write_event_with(&mut canonical, seq, node, &sealed.record, &sealed.detail)
        .map_err(|e| uncanonical(seq, node, &e))?;
    Ok(hash_canonical(prev_hash, seq, &canonical))
}

fn hash_canonical(prev_hash: &str, seq: u64, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(seq.to_be_bytes());
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}

fn uncanonical(seq: u64, node: &str, error: &canonical::CanonicalError) -> StoreError {
    StoreError::Corrupt {
        table: "audit_events",
        message: format!("event {seq} of node {node} cannot be canonicalised: {error}"),
    }
}

/// The hash `event` should carry, recomputed from its contents and `prev_hash`.
pub fn event_hash(event: &ChainedEvent) -> Result<String, StoreError> {
    compute_hash(&event.prev_hash, event.seq, &event.node, &event.record)
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
