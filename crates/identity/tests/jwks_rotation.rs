//! A token signed with a key the cache has not seen triggers one JWKS refresh: after the
//! provider publishes the key (rotation) the same token is accepted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use warden_testkit::{KeyAlg, TokenIssuer};

#[tokio::test]
async fn published_key_is_picked_up_on_unknown_kid() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = common::corp_validator(&issuer, "jwks_min_refresh = \"0s\"");

    let next = issuer.add_key(KeyAlg::Es256, false);
    let token = issuer.sign(&next, &issuer.claims("alice", "warden", 300));
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "unknown_key_id");
    assert!(error.to_string().contains(&next), "{error}");

    let before = issuer.jwks_fetches();
    issuer.publish(&next);
    let identity = validator.validate(&token).await.unwrap();
    assert_eq!(identity.subject, "alice");
    assert_eq!(issuer.jwks_fetches(), before + 1, "exactly one refresh");

    // Known keys are served from the cache.
    validator.validate(&token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), before + 1);
}
