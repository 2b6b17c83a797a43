//! Rows the store keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use warden_core::AuditRecord;

/// A Warden API key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public key id (the part of the key before the secret).
    pub id: String,
    /// Machine identity name; becomes the identity's subject.
    pub name: String,
    /// Groups of the identity.
    pub groups: Vec<String>,
    /// Scopes of the identity.
    pub scopes: Vec<String>,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An audit event in a node's hash chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainedEvent {
    /// Position in the node's chain, from 1.
    pub seq: u64,
    /// Gateway node that wrote it.
    pub node: String,
    /// The event.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Hex SHA-256 of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash`, `seq` and the canonical JSON of the event.
    pub hash: String,
    /// Set on events listed by search out of a request batch: which of its requests this is.
    /// `seq` and the hashes are the batch's; `warden audit verify` checks the batch as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<BatchPart>,
}

/// A chained event as the store writes it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The event. For a request batch chained straight from its requests, `record.detail` is
    /// `Null` and `detail` is its only form.
    pub event: ChainedEvent,
    /// The detail as JSON text.
    pub detail: String,
}

/// One request of a stored request batch (see `audit::REQUESTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPart {
    /// Its position in the batch, from 1.
    pub index: u32,
    /// How many requests the batch lists.
    pub count: u32,
}

/// A signed statement that `node`'s chain had `hash` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Node.
    pub node: String,
    /// Sequence number covered.
    pub seq: u64,
    /// Hash of the event at `seq`.
    pub hash: String,
    /// When it was signed.
    pub time: DateTime<Utc>,
    /// Hex Ed25519 signature over the checkpoint's canonical bytes.
    pub signature: String,
    /// Hex Ed25519 public key that signed it.
    pub public_key: String,
}

/// Criteria for `warden audit search` and the admin API's `/v1/audit` query; empty fields match
/// everything.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// Identity subject.
    pub identity: Option<String>,
    /// Connection name.
    pub connection: Option<String>,
    /// Action name or a prefix ending in `*` (`sql:*`).
    pub action: Option<String>,
    /// Verdict (`allow`, `review`, `deny`).
    pub verdict: Option<String>,
    /// Event kind.
    pub kind: Option<String>,
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Events before this time.
    pub until: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: Option<u32>,
}
