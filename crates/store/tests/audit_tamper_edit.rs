//! An event edited in the database is reported by its sequence number.

mod common;

use common::{backends, broken, write_chain};

#[tokio::test]
async fn edited_detail_is_named_by_seq() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 20, 10).await;
        backend
            .exec(
                "UPDATE audit_events SET detail = '{\"i\":7,\"note\":\"nothing to see\"}' \
                 WHERE node = 'n1' AND seq = 7",
            )
            .await;
        let (node, seq, message) = broken(&backend, None).await;
        assert_eq!((node.as_str(), seq), ("n1", 7));
        assert_eq!(
            message,
            "event 7 of node n1 was edited: hash does not match its contents"
        );
    }
}

#[tokio::test]
async fn edited_column_with_recomputed_hash_breaks_the_next_link() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (_log, key) = write_chain(&backend, "n1", 20, 10).await;
        // The attacker edits event 4's verdict and stores a matching hash for it.
        let mut event = backend
            .store
            .audit_events("n1", 3, 1)
            .await
            .unwrap()
            .remove(0);
        event.record.verdict = Some(warden_core::Verdict::Allow);
        event.record.identity = Some("someone-else".into());
        let hash = warden_store::audit::event_hash(&event).unwrap();
        backend
            .exec(&format!(
                "UPDATE audit_events SET identity = 'someone-else', verdict = 'allow', \
                 hash = '{hash}' WHERE node = 'n1' AND seq = 4"
            ))
            .await;
        let (_, seq, message) = broken(&backend, Some(&key.verifying_key())).await;
        assert_eq!(seq, 5, "{message}");
        assert!(message.contains("out of order"), "{message}");
    }
}
