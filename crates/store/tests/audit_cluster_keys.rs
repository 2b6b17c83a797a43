//! A cluster whose nodes sign with their own keys verifies against the set of their keys.

mod common;

use common::{backends, decision};
use ed25519_dalek::SigningKey;
use warden_store::{AuditLog, audit};

#[tokio::test]
async fn every_checkpoint_must_be_signed_by_one_of_the_trusted_keys() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let k1 = SigningKey::from_bytes(&[1u8; 32]);
        let k2 = SigningKey::from_bytes(&[2u8; 32]);
        for (node, key) in [("n1", &k1), ("n2", &k2)] {
            let log = AuditLog::open(backend.store.clone(), node.into(), key.clone(), 2)
                .await
                .unwrap();
            for i in 1..=4 {
                log.record(decision(i)).await.unwrap();
            }
        }
        let store = backend.store.as_ref();
        let both = [k1.verifying_key(), k2.verifying_key()];
        let report = audit::verify_with_keys(store, &both).await.unwrap();
        assert_eq!(report.nodes.len(), 2);
        audit::verify(store, None).await.unwrap();

        let failure = audit::verify(store, Some(&k1.verifying_key()))
            .await
            .unwrap_err();
        assert_eq!(failure.location(), Some(("n2", 2)), "{failure}");
        assert!(
            failure.to_string().contains("not a trusted audit key"),
            "{failure}"
        );
    }
}
