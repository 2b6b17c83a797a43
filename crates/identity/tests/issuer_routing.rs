//! With several providers, the token's issuer picks the provider; an issuer nobody configured is
//! `unknown_issuer`. Refusals reach the pipeline as client errors with the same code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use warden_core::pipeline::Authenticate;
use warden_core::{Fault, Secret};
use warden_identity::Authenticator;
use warden_store::Store;
use warden_testkit::TokenIssuer;

#[tokio::test]
async fn tokens_are_routed_by_issuer() {
    let corp = TokenIssuer::start().await.unwrap();
    let partner = TokenIssuer::start().await.unwrap();
    let stranger = TokenIssuer::start().await.unwrap();
    let config = common::config(&format!(
        r#"
[identity.oidc.corp]
issuer = "{}"
audience = ["warden"]

[identity.oidc.partner]
issuer = "{}"
jwks_url = "{}"
audience = ["warden-partner"]
"#,
        corp.issuer(),
        partner.issuer(),
        partner.jwks_url()
    ));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(warden_store::open_sqlite(dir.path()).await.unwrap());
    let authenticator = Authenticator::new(&config.identity, dir.path(), store).unwrap();
    assert_eq!(authenticator.providers().len(), 2);

    let token = corp.sign(&corp.default_kid(), &corp.claims("alice", "warden", 300));
    let identity = authenticator.identify(&token).await.unwrap();
    assert_eq!(identity.issuer, corp.issuer());

    let token = partner.sign(
        &partner.default_kid(),
        &partner.claims("bob", "warden-partner", 300),
    );
    let identity = authenticator
        .authenticate(&Secret::new(token))
        .await
        .unwrap();
    assert_eq!(identity.subject, "bob");
    assert_eq!(identity.issuer, partner.issuer());

    let token = stranger.sign(
        &stranger.default_kid(),
        &stranger.claims("eve", "warden", 300),
    );
    let refusal = authenticator
        .authenticate(&Secret::new(token.clone()))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "unknown_issuer");
    assert_eq!(refusal.fault, Fault::Client);
    assert!(refusal.message.contains(&stranger.issuer()));
    assert!(!refusal.message.contains(&token));
    assert_eq!(stranger.jwks_fetches(), 0);

    // A partner-signed token claiming corp's issuer finds no corp key with that kid.
    let mut claims = partner.claims("bob", "warden", 300);
    claims["iss"] = serde_json::json!(corp.issuer());
    let token = partner.sign(&partner.default_kid(), &claims);
    let error = authenticator.identify(&token).await.unwrap_err();
    assert!(
        ["unknown_key_id", "bad_signature"].contains(&error.code()),
        "{error}"
    );
}
