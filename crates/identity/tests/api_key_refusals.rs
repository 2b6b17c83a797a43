//! Each way an API key can be refused gives its own code, and none echoes the key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sha2::{Digest, Sha256};
use std::sync::Arc;
use warden_core::Secret;
use warden_core::pipeline::Authenticate;
use warden_identity::{Authenticator, create_api_key, verify_api_key};
use warden_store::{ApiKeyRecord, Store};

async fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(warden_store::open_sqlite(dir.path()).await.unwrap())
}

#[tokio::test]
async fn expired_key_is_refused_as_expired() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let secret = format!("{}A", "B".repeat(42));
    let now = chrono::Utc::now();
    store
        .insert_api_key(&ApiKeyRecord {
            id: "00000000000000ee".into(),
            name: "old-bot".into(),
            groups: vec![],
            scopes: vec![],
            secret_hash: hex::encode(Sha256::digest(secret.as_bytes())),
            created_at: now - chrono::Duration::days(31),
            expires_at: Some(now - chrono::Duration::days(1)),
            revoked_at: None,
        })
        .await
        .unwrap();
    let key = format!("wdn_00000000000000ee_{secret}");
    let error = verify_api_key(store.as_ref(), &key).await.unwrap_err();
    assert_eq!(error.code(), "api_key_expired");
    assert!(
        error
            .to_string()
            .starts_with("api key 00000000000000ee expired at")
    );
}

#[tokio::test]
async fn wrong_secret_for_a_real_id_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (record, key) = create_api_key(store.as_ref(), "ci-bot", vec![], vec![], None)
        .await
        .unwrap();
    let key = key.expose();
    // Same id, different (well-formed) secret: change its first character.
    let replacement = if &key[21..22] == "A" { "B" } else { "A" };
    let forged = format!("{}{replacement}{}", &key[..21], &key[22..]);
    assert_ne!(&forged, key);
    let error = verify_api_key(store.as_ref(), &forged).await.unwrap_err();
    assert_eq!(error.code(), "unknown_api_key");

    // An id that does not exist reads the same.
    let unknown = format!("wdn_ffffffffffffffff_{}", &key[21..]);
    assert_ne!(&record.id, "ffffffffffffffff");
    let error = verify_api_key(store.as_ref(), &unknown).await.unwrap_err();
    assert_eq!(error.code(), "unknown_api_key");
}

#[tokio::test]
async fn malformed_and_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let error = verify_api_key(store.as_ref(), "wdn_nothex_short")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "malformed_api_key");

    let config: warden_config::Config = toml::from_str(
        "[gateway]\ndata_dir = \"/nonexistent\"\n[identity.api_keys]\nenabled = false\n",
    )
    .unwrap();
    let (_, key) = create_api_key(store.as_ref(), "ci-bot", vec![], vec![], None)
        .await
        .unwrap();
    let authenticator = Authenticator::new(&config.identity, dir.path(), store).unwrap();
    let refusal = authenticator
        .authenticate(&Secret::new(key.expose().clone()))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "api_keys_disabled");
}
