//! Recording retention: deletes finished recordings beyond `[gateway.recordings]`'s age or total
//! size, oldest first, and audits every deletion (a deleted recording is then expected to be
//! missing by `warden audit verify`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};
use warden_config::RecordingsConfig;
use warden_core::{AuditKind, AuditRecord};
use warden_record::{RecordingStore, RemovalReason, Retention, apply_retention};
use warden_store::AuditLog;

/// How often retention runs.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// The retention rules of `config`, if any are set.
pub fn rules(config: &RecordingsConfig) -> Option<Retention> {
    let retention = Retention {
        max_age: config.max_age.map(|d| d.0),
        max_total_bytes: config.max_total_bytes,
    };
    (retention.max_age.is_some() || retention.max_total_bytes.is_some()).then_some(retention)
}

/// Applies `retention` once and audits each deletion; returns how many were deleted.
pub async fn apply_once(
    store: &dyn RecordingStore,
    audit: &AuditLog,
    retention: &Retention,
) -> anyhow::Result<usize> {
    let removed = apply_retention(store, retention, SystemTime::now()).await?;
    for recording in &removed {
        let record = AuditRecord {
            session: Some(recording.session.clone()),
            ..AuditRecord::new(AuditKind::AdminChange)
        }
        .with_detail(serde_json::json!({
            "change": "recording_deleted",
            "reason": match recording.reason {
                RemovalReason::Age => "max_age",
                RemovalReason::Size => "max_total_bytes",
            },
            "bytes": recording.size,
        }));
        audit.record(record).await?;
    }
    Ok(removed.len())
}

/// Runs retention every [`INTERVAL`] until the task is aborted.
pub async fn run(store: Arc<dyn RecordingStore>, audit: Arc<AuditLog>, retention: Retention) {
    let mut ticker = tokio::time::interval(INTERVAL);
    loop {
        ticker.tick().await;
        if let Err(error) = apply_once(store.as_ref(), &audit, &retention).await {
            tracing::warn!(%error, "recording retention failed");
        }
    }
}
