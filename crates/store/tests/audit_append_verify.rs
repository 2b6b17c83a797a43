//! Hundreds of appends with periodic checkpoints verify; a reopened log continues the chain.

mod common;

use common::{backends, decision};
use warden_store::audit::{self, AuditLog, GENESIS_HASH};

#[tokio::test]
async fn appended_chain_verifies_and_continues_after_reopen() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
        let trusted = key.verifying_key();

        // Empty store: nothing to verify, still a success.
        let report = audit::verify(backend.store.as_ref(), Some(&trusted))
            .await
            .unwrap();
        assert!(report.nodes.is_empty());

        let log = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 50)
            .await
            .unwrap();
        assert_eq!(log.head().await, (0, GENESIS_HASH.to_owned()));
        let mut previous = GENESIS_HASH.to_owned();
        for i in 1..=230u64 {
            let event = log.record(decision(i)).await.unwrap();
            assert_eq!(event.seq, i);
            assert_eq!(event.prev_hash, previous);
            assert_eq!(audit::event_hash(&event).unwrap(), event.hash);
            assert_eq!(event.record.time.timestamp_subsec_nanos() % 1000, 0);
            previous = event.hash;
        }
        // A second node interleaves its own chain.
        let other = AuditLog::open(backend.store.clone(), "n2".into(), key.clone(), 50)
            .await
            .unwrap();
        for i in 1..=7 {
            other.record(decision(i)).await.unwrap();
        }

        // Checkpoints at 50, 100, 150, 200; the shutdown one at 230; none when nothing is new.
        let last = log.checkpoint().await.unwrap().unwrap();
        assert_eq!((last.seq, last.hash.clone()), log.head().await);
        assert_eq!(log.checkpoint().await.unwrap(), None);
        let seqs: Vec<u64> = backend
            .store
            .checkpoints("n1")
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(seqs, vec![50, 100, 150, 200, 230]);

        // Reopen: the chain continues where it ended.
        drop(log);
        let store = backend.reopen().await;
        let log = AuditLog::open(store.clone(), "n1".into(), key.clone(), 50)
            .await
            .unwrap();
        let next = log.record(decision(231)).await.unwrap();
        assert_eq!((next.seq, next.prev_hash.clone()), (231, previous));

        // Stored events read back identical, and every chain verifies with the trusted key.
        let stored = store.audit_events("n1", 230, 10).await.unwrap();
        assert_eq!(stored, vec![next.clone()]);
        let report = audit::verify(store.as_ref(), Some(&trusted)).await.unwrap();
        let summary: Vec<(String, u64, u64, u64)> = report
            .nodes
            .iter()
            .map(|n| (n.node.clone(), n.events, n.last_seq, n.checkpoints))
            .collect();
        assert_eq!(
            summary,
            vec![("n1".into(), 231, 231, 5), ("n2".into(), 7, 7, 0)]
        );
        assert_eq!(report.nodes[0].last_hash, next.hash);
    }
}
