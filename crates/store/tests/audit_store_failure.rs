//! Appends during a store outage fail (closed, for the pipeline) and leave the chain intact.

mod common;

use common::{backends, decision, write_chain};
use warden_core::{Fault, pipeline::Audit};
use warden_store::audit;

#[tokio::test]
async fn failed_insert_leaves_head_unchanged_and_chain_verifiable() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = write_chain(&backend, "n1", 5, 3).await;
        let head = log.head().await;

        backend.break_audit_inserts().await;
        let err = log.record(decision(6)).await.unwrap_err();
        assert!(err.to_string().contains("simulated outage"), "{err}");
        let refused = Audit::append(&log, decision(6)).await.unwrap_err();
        assert_eq!(refused.fault, Fault::Gateway);
        assert_eq!(refused.code, "audit_unavailable");
        assert_eq!(
            log.head().await,
            head,
            "a failed insert must not move the head"
        );

        backend.repair_audit_inserts().await;
        let next = log.record(decision(6)).await.unwrap();
        assert_eq!((next.seq, next.prev_hash.clone()), (6, head.1));
        Audit::append(&log, decision(7)).await.unwrap();
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 7);
    }
}

#[tokio::test]
async fn closed_store_refuses_appends_and_the_chain_still_verifies() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = write_chain(&backend, "n1", 5, 0).await;
        backend.close().await;
        let refused = Audit::append(&log, decision(6)).await.unwrap_err();
        assert_eq!(refused.code, "audit_unavailable");
        assert!(refused.message.contains("closed"), "{}", refused.message);
        assert_eq!(log.head().await.0, 5);

        let store = backend.reopen().await;
        let report = audit::verify(store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 5);
        let log = warden_store::AuditLog::open(store.clone(), "n1".into(), key, 0)
            .await
            .unwrap();
        assert_eq!(log.record(decision(6)).await.unwrap().seq, 6);
    }
}
