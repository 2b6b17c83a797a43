//! Unknown `kid`s cannot hammer the provider: refreshes are single-flight and at most one per
//! `jwks_min_refresh`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use std::sync::Arc;
use warden_identity::JwtValidator;
use warden_testkit::TokenIssuer;
use warden_testkit::issuer::sign_raw;

fn validator(issuer: &TokenIssuer, min_refresh: &str) -> JwtValidator {
    common::corp_validator(issuer, &format!("jwks_min_refresh = \"{min_refresh}\""))
}

fn junk_kid_token(issuer: &TokenIssuer, n: usize) -> String {
    sign_raw(
        &json!({"alg": "RS256", "kid": format!("junk-{n}")}),
        &issuer.claims("mallory", "warden", 300),
        &[1u8; 256],
    )
}

#[tokio::test]
async fn many_unknown_kids_cause_at_most_one_extra_fetch() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "60s");
    let good = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("alice", "warden", 300),
    );
    validator.validate(&good).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1);

    for n in 0..25 {
        let error = validator
            .validate(&junk_kid_token(&issuer, n))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "unknown_key_id");
    }
    assert!(
        issuer.jwks_fetches() <= 2,
        "{} fetches",
        issuer.jwks_fetches()
    );
    validator.validate(&good).await.unwrap();
}

#[tokio::test]
async fn concurrent_unknown_kids_share_one_fetch() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = Arc::new(validator(&issuer, "60s"));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let validator = Arc::clone(&validator);
            let token = junk_kid_token(&issuer, n);
            tokio::spawn(async move { validator.validate(&token).await })
        })
        .collect();
    for task in tasks {
        let error = task.await.unwrap().unwrap_err();
        assert_eq!(error.code(), "unknown_key_id");
    }
    assert!(
        issuer.jwks_fetches() <= 2,
        "{} fetches",
        issuer.jwks_fetches()
    );
}

#[tokio::test]
async fn failed_refresh_keeps_cached_keys() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "0s");
    let good = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("alice", "warden", 300),
    );
    validator.validate(&good).await.unwrap();

    issuer.set_jwks_available(false);
    let before = issuer.jwks_fetches();
    let error = validator
        .validate(&junk_kid_token(&issuer, 0))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "unknown_key_id");
    assert_eq!(issuer.jwks_fetches(), before + 1, "a refresh was attempted");
    validator.validate(&good).await.unwrap();
}

#[tokio::test]
async fn no_keys_ever_fetched_is_jwks_unavailable() {
    let issuer = TokenIssuer::start().await.unwrap();
    issuer.set_jwks_available(false);
    let validator = validator(&issuer, "0s");
    let good = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("alice", "warden", 300),
    );
    let error = validator.validate(&good).await.unwrap_err();
    assert_eq!(error.code(), "jwks_unavailable");
    assert_eq!(error.fault(), warden_core::Fault::Gateway);
    assert!(error.to_string().contains("503"), "{error}");

    issuer.set_jwks_available(true);
    validator.validate(&good).await.unwrap();
}
