//! Two writers of one node's chain: the loser gets a conflict every time, never a fork.

mod common;

use common::{backends, decision};
use warden_store::{AuditLog, StoreError, audit};

#[tokio::test]
async fn second_writer_of_a_node_gets_a_conflict_and_no_fork() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
        let first = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        let second = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        first.record(decision(1)).await.unwrap();
        for _ in 0..2 {
            let err = second.record(decision(2)).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{err}");
            assert!(err.to_string().contains("event 1 of node n1"), "{err}");
            assert_eq!(second.head().await.0, 0);
        }
        first.record(decision(2)).await.unwrap();
        let report = audit::verify(backend.store.as_ref(), None).await.unwrap();
        assert_eq!(report.nodes[0].last_seq, 2);
    }
}

#[tokio::test]
async fn concurrent_appends_in_one_process_are_serialised() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
        let log = std::sync::Arc::new(
            AuditLog::open(backend.store.clone(), "n1".into(), key, 16)
                .await
                .unwrap(),
        );
        let tasks: Vec<_> = (1..=64u64)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move { log.record(decision(i)).await.unwrap().seq })
            })
            .collect();
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.push(task.await.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=64).collect::<Vec<_>>());
        let report = audit::verify(backend.store.as_ref(), None).await.unwrap();
        assert_eq!(
            (report.nodes[0].last_seq, report.nodes[0].checkpoints),
            (64, 4)
        );
    }
}
