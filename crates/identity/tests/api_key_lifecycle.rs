//! An API key is created, authenticates as its machine identity, and stops working once revoked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use warden_core::pipeline::Authenticate;
use warden_core::{AuthMethod, IdentityKind, Secret};
use warden_identity::{
    Authenticator, create_api_key, list_api_keys, revoke_api_key, verify_api_key,
};
use warden_store::Store;

#[tokio::test]
async fn create_verify_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(warden_store::open_sqlite(dir.path()).await.unwrap());
    let expires = chrono::Utc::now() + chrono::Duration::days(30);

    let (record, key) = create_api_key(
        store.as_ref(),
        "ci-bot",
        vec!["agents".into()],
        vec!["db:read".into()],
        Some(expires),
    )
    .await
    .unwrap();
    let key = key.expose().clone();
    assert!(
        key.starts_with(&format!("wdn_{}_", record.id)),
        "key has the id"
    );
    assert_eq!(key.len(), 4 + 16 + 1 + 43);
    assert_eq!(record.name, "ci-bot");
    assert!(record.revoked_at.is_none());

    let identity = verify_api_key(store.as_ref(), &key).await.unwrap();
    assert_eq!(identity.subject, "ci-bot");
    assert_eq!(identity.kind, IdentityKind::Machine);
    assert_eq!(identity.groups, ["agents"]);
    assert_eq!(identity.scopes, ["db:read"]);
    assert_eq!(identity.issuer, "warden");
    assert_eq!(identity.auth_method, AuthMethod::ApiKey);
    assert_eq!(
        identity.expires_at.map(|t| t.timestamp()),
        Some(expires.timestamp())
    );

    // The same key through the pipeline's authenticate phase.
    let config: warden_config::Config =
        toml::from_str("[gateway]\ndata_dir = \"/nonexistent\"\n").unwrap();
    let authenticator =
        Authenticator::new(&config.identity, dir.path(), Arc::clone(&store)).unwrap();
    let via_pipeline = authenticator
        .authenticate(&Secret::new(key.clone()))
        .await
        .unwrap();
    assert_eq!(via_pipeline, identity);

    // A second unrevoked key with the same name is refused.
    let error = create_api_key(store.as_ref(), "ci-bot", vec![], vec![], None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "api_key_name_taken");

    let revoked = revoke_api_key(store.as_ref(), "ci-bot").await.unwrap();
    assert_eq!(revoked.id, record.id);
    assert!(revoked.revoked_at.is_some());

    let error = verify_api_key(store.as_ref(), &key).await.unwrap_err();
    assert_eq!(error.code(), "api_key_revoked");
    assert!(error.to_string().contains(&record.id), "{error}");
    let refusal = authenticator
        .authenticate(&Secret::new(key.clone()))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "api_key_revoked");
    assert!(!refusal.message.contains(&key));

    let listed = list_api_keys(store.as_ref()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());

    let error = revoke_api_key(store.as_ref(), "no-such-key")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "api_key_not_found");
}
