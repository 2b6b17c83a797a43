//! While the store refuses batches, grouped events stay pending in order, durable appends are
//! refused (the pipeline then refuses data changes), and once the store accepts them again every
//! pending event is stored exactly as chained.

mod common;

use common::{backends, decision, open_log, stored_events, stored_head, wait_stored};
use std::time::Duration;
use warden_core::{Fault, pipeline::Audit};
use warden_store::audit::{self, GROUP_WINDOW};

#[tokio::test]
async fn failed_batches_stay_pending_and_are_stored_in_order_later() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        for i in 1..=3 {
            log.record(decision(i)).await.unwrap();
        }
        backend.break_audit_inserts().await;
        let mut chained = Vec::new();
        for i in 4..=60 {
            chained.push(log.record_grouped(decision(i)).await.unwrap());
        }
        let err = log.flush().await.unwrap_err();
        assert!(err.to_string().contains("simulated outage"), "{err}");
        // The flusher keeps failing in the background; nothing is stored, nothing is dropped.
        tokio::time::sleep(GROUP_WINDOW * 10).await;
        assert_eq!(stored_head(&backend.store, "n1").await, 3);
        assert_eq!(log.head().await.0, 60);

        // Durable appends are refused and leave the head alone.
        let err = log.record(decision(61)).await.unwrap_err();
        assert!(err.to_string().contains("simulated outage"), "{err}");
        let refused = Audit::append(&log, decision(61)).await.unwrap_err();
        assert_eq!(refused.fault, Fault::Gateway);
        assert_eq!(refused.code, "audit_unavailable");
        assert_eq!(log.head().await.0, 60);

        // Grouped appends go on after the refused ones, numbered right after the head.
        let next = log.record_grouped(decision(62)).await.unwrap();
        assert_eq!((next.seq, &next.prev_hash), (61, &chained[56].hash));
        chained.push(next);

        // The flusher stores everything by itself once the store accepts it again.
        backend.repair_audit_inserts().await;
        wait_stored(&backend.store, "n1", 61, Duration::from_secs(10)).await;
        let stored = stored_events(&backend.store, "n1").await;
        assert_eq!(stored.len(), 61);
        assert_eq!(
            &stored[3..],
            &chained[..],
            "stored exactly as chained, in order"
        );
        let durable = log.record(decision(63)).await.unwrap();
        assert_eq!(durable.seq, 62);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 62);
    }
}
