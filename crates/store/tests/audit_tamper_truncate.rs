//! Events cut off after a signed checkpoint are reported as truncation.

mod common;

use common::{backends, broken, write_chain};
use warden_store::AuditLog;

#[tokio::test]
async fn truncation_after_a_checkpoint_is_named() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = write_chain(&backend, "n1", 25, 10).await;
        // Shutdown checkpoint covers 25; checkpoints at 10, 20 and 25.
        assert_eq!(log.checkpoint().await.unwrap().unwrap().seq, 25);
        backend
            .exec("DELETE FROM audit_events WHERE node = 'n1' AND seq > 15")
            .await;
        let (node, seq, message) = broken(&backend, Some(&key.verifying_key())).await;
        assert_eq!((node.as_str(), seq), ("n1", 16));
        assert_eq!(
            message,
            "event 16 of node n1 is missing: a signed checkpoint covers events up to 20 but the chain ends at 15 (truncated)"
        );
        // The gateway refuses to continue a truncated chain rather than reuse its numbers.
        let reopened = AuditLog::open(backend.store.clone(), "n1".into(), key, 10).await;
        let message = common::error_of(reopened);
        assert!(
            message.contains("event 16 of node n1 is missing"),
            "{message}"
        );
        assert!(message.contains("new node name"), "{message}");
    }
}

#[tokio::test]
async fn deleting_every_event_is_truncation_from_one() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 10, 10).await;
        backend.exec("DELETE FROM audit_events").await;
        let (_, seq, message) = broken(&backend, None).await;
        assert_eq!(seq, 1, "{message}");
        assert!(message.contains("truncated"), "{message}");
    }
}
