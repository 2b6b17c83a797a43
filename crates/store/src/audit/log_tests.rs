#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::open_sqlite;
use serde_json::json;
use std::time::Duration;
use warden_core::{AuditKind, Verdict};

const SESSION: &str = "00000000-0000-7000-8000-000000000061";

fn request() -> AuditRecord {
    AuditRecord {
        time: chrono::Utc::now(),
        kind: AuditKind::Request,
        identity: Some("agent".into()),
        connection: Some("pg".into()),
        session: Some(SESSION.into()),
        action: Some("sql:read".into()),
        verdict: Some(Verdict::Allow),
        rule: Some("role:reader".into()),
        detail: json!({"tables": [], "functions": [], "duration_ms": 0.125, "rows": 1, "error": null}),
    }
}

/// A session's end takes its open request batch to chain it; a flush that runs meanwhile
/// finds no open batch, and must still not return before that batch is chained and stored.
#[tokio::test]
async fn a_flush_waits_for_a_batch_another_task_is_chaining() {
    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Arc::new(open_sqlite(dir.path()).await.unwrap());
    let key = super::super::load_or_create_signing_key(dir.path()).unwrap();
    let log = AuditLog::open(store, "n1".into(), key, 0).await.unwrap();
    log.append_grouped(request()).await.unwrap();

    // Another task has taken the batch and not chained it yet.
    let chain = Arc::clone(&log.owner.chain);
    let gate = chain.batch_gate.read().await;
    let batch = chain.batches.take(SESSION).expect("the open batch");

    let flushing = tokio::spawn({
        let log = log.clone();
        async move { log.flush().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !flushing.is_finished(),
        "the flush returned while a batch was still being chained"
    );
    chain.record_accepted(batch.seal().unwrap()).await.unwrap();
    drop(gate);
    tokio::time::timeout(Duration::from_secs(10), flushing)
        .await
        .expect("the flush ends once the batch is chained")
        .unwrap()
        .unwrap();
    let stored = log.search(&crate::AuditFilter::default()).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.record.kind == AuditKind::Request)
            .count(),
        1,
        "{stored:?}"
    );
}
