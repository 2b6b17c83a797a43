//! Rows as both backends store them (text, 64-bit integers) and their conversion to and from the
//! public types. Both backends use the same column names and encodings.

use crate::{ApiKeyRecord, ChainedEvent, Checkpoint, StoreError, timestamp};
use chrono::{DateTime, Utc};
use warden_core::{AuditKind, AuditRecord, Verdict};

/// Columns of `api_keys`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    pub id: String,
    pub name: String,
    /// JSON array of strings.
    pub groups: String,
    /// JSON array of strings.
    pub scopes: String,
    pub secret_hash: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Columns of `audit_events`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub node: String,
    pub seq: i64,
    pub time: String,
    pub kind: String,
    pub identity: Option<String>,
    pub connection: Option<String>,
    pub session: Option<String>,
    pub action: Option<String>,
    pub verdict: Option<String>,
    pub rule: Option<String>,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Columns of `audit_checkpoints`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CheckpointRow {
    pub node: String,
    pub seq: i64,
    pub hash: String,
    pub time: String,
    pub signature: String,
    pub public_key: String,
}

/// Column list of `audit_events`, in [`EventRow`] order.
pub(crate) const EVENT_COLUMNS: &str = "node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash";

/// Rows per `INSERT` when storing a batch of events: 13 parameters each stays well below
/// SQLite's 32766 and PostgreSQL's 65535 parameters per statement.
pub(crate) const EVENT_ROWS_PER_INSERT: usize = 1000;

/// A sequence number as stored (SQL integers are signed 64-bit).
pub(crate) fn seq_to_sql(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt {
        table: "audit_events",
        message: format!("sequence number {seq} does not fit a 64-bit signed integer"),
    })
}

fn seq_from_sql(table: &'static str, seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt {
        table,
        message: format!("negative sequence number {seq}"),
    })
}

fn optional_time(time: Option<&DateTime<Utc>>) -> Option<String> {
    time.map(timestamp::format)
}

impl ApiKeyRow {
    /// The row for `key`.
    pub fn from_record(key: &ApiKeyRecord) -> Result<Self, StoreError> {
        let list = |values: &[String]| {
            serde_json::to_string(values).map_err(|e| StoreError::Corrupt {
                table: "api_keys",
                message: format!("cannot encode groups or scopes of key {}: {e}", key.id),
            })
        };
        Ok(ApiKeyRow {
            id: key.id.clone(),
            name: key.name.clone(),
            groups: list(&key.groups)?,
            scopes: list(&key.scopes)?,
            secret_hash: key.secret_hash.clone(),
            created_at: timestamp::format(&key.created_at),
            expires_at: optional_time(key.expires_at.as_ref()),
            revoked_at: optional_time(key.revoked_at.as_ref()),
        })
    }

    /// The record in this row.
    pub fn into_record(self) -> Result<ApiKeyRecord, StoreError> {
        let id = self.id;
        let corrupt = |what: &str, e: String| StoreError::Corrupt {
            table: "api_keys",
            message: format!("key {id}: {what}: {e}"),
        };
        let list = |what: &str, text: &str| {
            serde_json::from_str::<Vec<String>>(text).map_err(|e| corrupt(what, e.to_string()))
        };
        let time = |what: &str, text: &str| timestamp::parse(text).map_err(|e| corrupt(what, e));
        let groups = list("groups", &self.groups)?;
        let scopes = list("scopes", &self.scopes)?;
        let created_at = time("created_at", &self.created_at)?;
        let expires_at = self
            .expires_at
            .as_deref()
            .map(|t| time("expires_at", t))
            .transpose()?;
        let revoked_at = self
            .revoked_at
            .as_deref()
            .map(|t| time("revoked_at", t))
            .transpose()?;
        Ok(ApiKeyRecord {
            id,
            name: self.name,
            groups,
            scopes,
            secret_hash: self.secret_hash,
            created_at,
            expires_at,
            revoked_at,
        })
    }
}

/// The columns of an event row that are computed rather than copied from the event (the
/// detail's text comes with it, see [`crate::StoredEvent`]).
pub(crate) struct DerivedColumns {
    pub seq: i64,
    pub time: String,
}

impl DerivedColumns {
    /// The computed columns of `event`'s row.
    pub fn of(event: &ChainedEvent) -> Result<Self, StoreError> {
        Ok(DerivedColumns {
            seq: seq_to_sql(event.seq)?,
            time: timestamp::format(&event.record.time),
        })
    }
}

impl EventRow {
    /// The row for `event`.
    pub fn from_event(event: &ChainedEvent) -> Result<Self, StoreError> {
        let record = &event.record;
        Ok(EventRow {
            node: event.node.clone(),
            seq: seq_to_sql(event.seq)?,
            time: timestamp::format(&record.time),
            kind: record.kind.as_str().to_owned(),
            identity: record.identity.clone(),
            connection: record.connection.clone(),
            session: record.session.clone(),
            action: record.action.clone(),
            verdict: record.verdict.map(|v| v.as_str().to_owned()),
            rule: record.rule.clone(),
            detail: record.detail.to_string(),
            prev_hash: event.prev_hash.clone(),
            hash: event.hash.clone(),
        })
    }

    /// The event in this row. Errors name the node and sequence number of the bad row.
    pub fn into_event(self) -> Result<ChainedEvent, StoreError> {
        let (node, seq_raw) = (self.node, self.seq);
        let corrupt = |message: String| StoreError::Corrupt {
            table: "audit_events",
            message: format!("event {seq_raw} of node {node}: {message}"),
        };
        let seq = seq_from_sql("audit_events", seq_raw)?;
        let time = timestamp::parse(&self.time).map_err(&corrupt)?;
        let kind = parse_kind(&self.kind)
            .ok_or_else(|| corrupt(format!("unknown kind {:?}", self.kind)))?;
        let verdict = self
            .verdict
            .as_deref()
            .map(|v| parse_verdict(v).ok_or_else(|| corrupt(format!("unknown verdict {v:?}"))))
            .transpose()?;
        let detail = serde_json::from_str(&self.detail)
            .map_err(|e| corrupt(format!("detail is not valid JSON: {e}")))?;
        Ok(ChainedEvent {
            seq,
            node,
            record: AuditRecord {
                time,
                kind,
                identity: self.identity,
                connection: self.connection,
                session: self.session,
                action: self.action,
                verdict,
                rule: self.rule,
                detail,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
            part: None,
        })
    }
}

impl CheckpointRow {
    /// The row for `checkpoint`.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Result<Self, StoreError> {
        Ok(CheckpointRow {
            node: checkpoint.node.clone(),
            seq: seq_to_sql(checkpoint.seq)?,
            hash: checkpoint.hash.clone(),
            time: timestamp::format(&checkpoint.time),
            signature: checkpoint.signature.clone(),
            public_key: checkpoint.public_key.clone(),
        })
    }

    /// The checkpoint in this row.
    pub fn into_checkpoint(self) -> Result<Checkpoint, StoreError> {
        let time = timestamp::parse(&self.time).map_err(|e| StoreError::Corrupt {
            table: "audit_checkpoints",
            message: format!("checkpoint {} of node {}: {e}", self.seq, self.node),
        })?;
        Ok(Checkpoint {
            seq: seq_from_sql("audit_checkpoints", self.seq)?,
            node: self.node,
            hash: self.hash,
            time,
            signature: self.signature,
            public_key: self.public_key,
        })
    }
}

fn parse_kind(text: &str) -> Option<AuditKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

fn parse_verdict(text: &str) -> Option<Verdict> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}
