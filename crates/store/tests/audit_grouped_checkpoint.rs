//! A checkpoint stores the pending events first and never covers an event that is not stored.

mod common;

use common::{backends, decision, open_log, stored_head};
use warden_store::audit;

#[tokio::test]
async fn checkpoint_stores_pending_events_first() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        for i in 1..=5 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        let signed = log.checkpoint().await.unwrap().unwrap();
        assert_eq!((signed.seq, signed.hash.clone()), log.head().await);
        assert_eq!(stored_head(&backend.store, "n1").await, 5);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(
            (report.nodes[0].last_seq, report.nodes[0].checkpoints),
            (5, 1)
        );
    }
}

#[tokio::test]
async fn checkpoint_covers_only_stored_events() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        let mut last_stored = None;
        for i in 1..=3 {
            last_stored = Some(log.record(decision(i)).await.unwrap());
        }
        backend.break_audit_inserts().await;
        for i in 4..=9 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        let err = log.checkpoint().await.unwrap_err();
        assert!(err.to_string().contains("simulated outage"), "{err}");
        // The stored part is protected; the pending part is not claimed.
        let checkpoints = backend.store.checkpoints("n1").await.unwrap();
        let last_stored = last_stored.unwrap();
        assert_eq!(
            checkpoints
                .iter()
                .map(|c| (c.seq, c.hash.clone()))
                .collect::<Vec<_>>(),
            vec![(3, last_stored.hash)]
        );
        audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();

        backend.repair_audit_inserts().await;
        let signed = log.checkpoint().await.unwrap().unwrap();
        assert_eq!(signed.seq, 9);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(
            (report.nodes[0].last_seq, report.nodes[0].checkpoints),
            (9, 2)
        );
    }
}
