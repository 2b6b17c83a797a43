//! The store holds only the SHA-256 of an API key's secret, never the key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sha2::{Digest, Sha256};
use warden_identity::{create_api_key, list_api_keys};

#[tokio::test]
async fn stored_row_never_contains_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let store = warden_store::open_sqlite(dir.path()).await.unwrap();
    let (record, key) = create_api_key(&store, "ci-bot", vec!["agents".into()], vec![], None)
        .await
        .unwrap();
    let key = key.expose().clone();
    let secret = &key[21..];
    assert_eq!(
        record.secret_hash,
        hex::encode(Sha256::digest(secret.as_bytes()))
    );

    let listed = list_api_keys(&store).await.unwrap();
    let stored = serde_json::to_string(&listed).unwrap();
    assert!(stored.contains(&record.id));
    assert!(!stored.contains(secret));

    // Nothing on disk holds the secret either (database, WAL, shared memory).
    drop(store);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret was written to disk"
        );
    }
}
