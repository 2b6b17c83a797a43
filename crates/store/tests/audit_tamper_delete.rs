//! A deleted event leaves a gap that names the first missing seq.

mod common;

use common::{backends, broken, write_chain};

#[tokio::test]
async fn deleted_middle_event_is_named_by_seq() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 20, 10).await;
        backend
            .exec("DELETE FROM audit_events WHERE node = 'n1' AND seq IN (12, 13)")
            .await;
        let (node, seq, message) = broken(&backend, None).await;
        assert_eq!((node.as_str(), seq), ("n1", 12));
        assert_eq!(
            message,
            "event 12 of node n1 is missing: the chain jumps from event 11 to 14 (events deleted)"
        );
    }
}

#[tokio::test]
async fn deleted_first_event_is_named() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 5, 0).await;
        backend
            .exec("DELETE FROM audit_events WHERE node = 'n1' AND seq = 1")
            .await;
        let (_, seq, message) = broken(&backend, None).await;
        assert_eq!(seq, 1, "{message}");
        assert!(message.contains("starts at event 2"), "{message}");
    }
}
