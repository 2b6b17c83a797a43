//! API keys: insert, get, list newest first, revoke by id or name, duplicates refused.

mod common;

use common::{at, backends};
use warden_store::{ApiKeyRecord, StoreError};

fn key(id: &str, name: &str, created_micros: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        name: name.into(),
        groups: vec!["ci".into(), "deployers".into()],
        scopes: vec!["sql:read".into()],
        secret_hash: format!("{:0>64}", id),
        created_at: at(created_micros),
        expires_at: Some(at(created_micros + 86_400_000_000)),
        revoked_at: None,
    }
}

#[tokio::test]
async fn api_keys_round_trip_revoke_and_refuse_duplicates() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let store = &backend.store;

        assert_eq!(store.api_key("wk_a").await.unwrap(), None);
        let a = key("wk_a", "builder", 1);
        let b = ApiKeyRecord {
            expires_at: None,
            groups: vec![],
            ..key("wk_b", "deployer", 2)
        };
        store.insert_api_key(&a).await.unwrap();
        store.insert_api_key(&b).await.unwrap();
        assert_eq!(store.api_key("wk_a").await.unwrap(), Some(a.clone()));
        assert_eq!(store.api_key("wk_b").await.unwrap(), Some(b.clone()));

        // Newest first.
        assert_eq!(store.api_keys().await.unwrap(), vec![b.clone(), a.clone()]);

        // Same id, or same name while the first is live: conflict.
        let same_id = key("wk_a", "other", 3);
        assert!(matches!(
            store.insert_api_key(&same_id).await,
            Err(StoreError::Conflict(_))
        ));
        let same_name = key("wk_c", "builder", 3);
        let err = store.insert_api_key(&same_name).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains("builder"), "{err}");

        // Revoke by name; the name becomes free; revoking again keeps the first time.
        let revoked = store
            .revoke_api_key("builder", at(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revoked.id, "wk_a");
        assert_eq!(revoked.revoked_at, Some(at(10)));
        assert_eq!(
            store.api_key("wk_a").await.unwrap().unwrap().revoked_at,
            Some(at(10))
        );
        store.insert_api_key(&same_name).await.unwrap();
        let again = store.revoke_api_key("wk_a", at(20)).await.unwrap().unwrap();
        assert_eq!(again.revoked_at, Some(at(10)));

        // Revoke by id.
        let revoked = store.revoke_api_key("wk_b", at(30)).await.unwrap().unwrap();
        assert_eq!(revoked.name, "deployer");
        assert_eq!(revoked.revoked_at, Some(at(30)));

        assert_eq!(store.revoke_api_key("nobody", at(40)).await.unwrap(), None);
        assert_eq!(store.api_keys().await.unwrap().len(), 3);
    }
}
