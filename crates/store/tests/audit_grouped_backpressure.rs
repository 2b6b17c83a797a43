//! Memory stays bounded: once `UNSTORED_LIMIT` events wait for a store that refuses them,
//! grouped appends are refused too (fail closed), and nothing already chained is lost.

mod common;

use common::{backends, decision, open_log, stored_head};
use warden_core::pipeline::Audit;
use warden_store::audit::{self, UNSTORED_LIMIT};

#[tokio::test]
async fn grouped_appends_are_refused_when_too_many_wait_for_the_store() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        log.record(decision(0)).await.unwrap();
        backend.break_audit_inserts().await;
        let limit = UNSTORED_LIMIT as u64;
        for i in 1..=limit {
            log.record_grouped(decision(i)).await.unwrap();
        }
        log.flush().await.unwrap_err();
        let err = log.record_grouped(decision(0)).await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains("waiting for the store"), "{message}");
        assert!(message.contains("simulated outage"), "{message}");
        let refused = Audit::append_grouped(&log, decision(0)).await.unwrap_err();
        assert_eq!(refused.code, "audit_unavailable");
        assert_eq!(
            log.head().await.0,
            limit + 1,
            "refused events are not chained"
        );

        // A durable append after the outage stores the whole backlog with it, in one go.
        backend.repair_audit_inserts().await;
        let durable = log.record(decision(0)).await.unwrap();
        assert_eq!(durable.seq, limit + 2);
        assert_eq!(stored_head(&backend.store, "n1").await, limit + 2);
        log.record_grouped(decision(0)).await.unwrap();
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert!(report.nodes[0].last_seq >= limit + 2);
    }
}
