//! Checkpoint signatures: altered, re-signed by another key, or covering a rewritten chain.

mod common;

use common::{backends, broken, decision, write_chain};
use ed25519_dalek::{Signer, SigningKey};
use warden_store::audit::{self, checkpoint_message};

#[tokio::test]
async fn altered_signature_is_named() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 20, 10).await;
        let forged = "ab".repeat(64);
        backend
            .exec(&format!(
                "UPDATE audit_checkpoints SET signature = '{forged}' WHERE node = 'n1' AND seq = 20"
            ))
            .await;
        let (_, seq, message) = broken(&backend, None).await;
        assert_eq!(seq, 20);
        assert_eq!(
            message,
            "the checkpoint at event 20 of node n1 has an invalid signature (forged or altered)"
        );
    }
}

#[tokio::test]
async fn rewritten_chain_is_caught_by_its_checkpoint_or_by_the_trusted_key() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (_log, key) = write_chain(&backend, "n1", 20, 10).await;
        // The attacker rewrites event 5 and every later hash so the chain links again.
        let events = backend.store.audit_events("n1", 0, 100).await.unwrap();
        let mut previous = events[3].hash.clone();
        let mut rewritten = Vec::new();
        for mut event in events.into_iter().skip(4) {
            if event.seq == 5 {
                event.record = decision(999);
            }
            event.prev_hash = previous.clone();
            event.hash = audit::event_hash(&event).unwrap();
            previous = event.hash.clone();
            rewritten.push(event);
        }
        backend
            .exec("DELETE FROM audit_events WHERE node = 'n1' AND seq >= 5")
            .await;
        for event in &rewritten {
            backend.store.insert_audit_event(event).await.unwrap();
        }
        // The chain links, but the checkpoint at 10 no longer matches.
        let (_, seq, message) = broken(&backend, None).await;
        assert_eq!(seq, 10, "{message}");
        assert!(
            message.contains("does not match its signed checkpoint"),
            "{message}"
        );

        // The attacker also re-signs the checkpoints with their own key.
        let attacker = SigningKey::from_bytes(&[7u8; 32]);
        for checkpoint in backend.store.checkpoints("n1").await.unwrap() {
            let hash = &rewritten[(checkpoint.seq - 5) as usize].hash;
            let message = checkpoint_message("n1", checkpoint.seq, hash, &checkpoint.time).unwrap();
            let signature = hex::encode(attacker.sign(&message).to_bytes());
            let public_key = hex::encode(attacker.verifying_key().to_bytes());
            backend
                .exec(&format!(
                    "UPDATE audit_checkpoints SET hash = '{hash}', signature = '{signature}', \
                     public_key = '{public_key}' WHERE node = 'n1' AND seq = {}",
                    checkpoint.seq
                ))
                .await;
        }
        // Only the trusted key tells.
        audit::verify(backend.store.as_ref(), None).await.unwrap();
        let (_, seq, message) = broken(&backend, Some(&key.verifying_key())).await;
        assert_eq!(seq, 10, "{message}");
        assert!(
            message.contains("which is not a trusted audit key"),
            "{message}"
        );
    }
}
