//! Dropping the last clone of the log stores its pending events; if the store refuses them,
//! the stored chain simply ends before them: never a gap, and a new log continues it.

mod common;

use common::{backends, decision, open_log, stored_head, wait_stored};
use std::time::Duration;
use warden_store::{AuditLog, audit};

#[tokio::test]
async fn dropping_the_last_clone_stores_pending_events() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        let clone = log.clone();
        for i in 1..=30 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        // Another clone is alive: the log keeps running.
        drop(log);
        for i in 31..=35 {
            clone.record_grouped(decision(i)).await.unwrap();
        }
        wait_stored(&backend.store, "n1", 35, Duration::from_secs(2)).await;
        for i in 36..=40 {
            clone.record_grouped(decision(i)).await.unwrap();
        }
        drop(clone);
        wait_stored(&backend.store, "n1", 40, Duration::from_secs(2)).await;
        // The background task has stopped and let go of the store.
        let start = std::time::Instant::now();
        while std::sync::Arc::strong_count(&backend.store) > 1 {
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "the flusher still runs"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }

        let reopened = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        assert_eq!(reopened.record(decision(41)).await.unwrap().seq, 41);
        audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn dropping_the_log_during_an_outage_leaves_no_gap() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        for i in 1..=3 {
            log.record(decision(i)).await.unwrap();
        }
        backend.break_audit_inserts().await;
        for i in 4..=10 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        drop(log);
        // The final write is refused; those events are lost, all of them.
        tokio::time::sleep(Duration::from_millis(300)).await;
        backend.repair_audit_inserts().await;
        assert_eq!(stored_head(&backend.store, "n1").await, 3);

        let reopened = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        let next = reopened.record(decision(11)).await.unwrap();
        assert_eq!(next.seq, 4);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 4);
    }
}
