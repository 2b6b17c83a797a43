//! Registered claims are checked with the configured leeway: expiry, not-before, issuer and
//! audience each have their own refusal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use warden_identity::JwtValidator;
use warden_testkit::TokenIssuer;

fn validator(issuer: &TokenIssuer, leeway: &str) -> JwtValidator {
    common::corp_validator(issuer, &format!("leeway = \"{leeway}\""))
}

#[tokio::test]
async fn expired_token() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "30s");
    let token = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("alice", "warden", -120),
    );
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "token_expired");
    assert!(
        error.to_string().starts_with("token expired at 20"),
        "{error}"
    );
}

#[tokio::test]
async fn token_within_leeway_is_accepted() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "60s");
    let mut claims = issuer.claims("alice", "warden", -20);
    let now = claims["iat"].as_i64().unwrap();
    claims["nbf"] = json!(now + 20);
    let token = issuer.sign(&issuer.default_kid(), &claims);
    validator.validate(&token).await.unwrap();
}

#[tokio::test]
async fn token_not_yet_valid() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "30s");
    let mut claims = issuer.claims("alice", "warden", 3600);
    let now = claims["iat"].as_i64().unwrap();
    claims["nbf"] = json!(now + 600);
    let token = issuer.sign(&issuer.default_kid(), &claims);
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "token_not_yet_valid");
}

#[tokio::test]
async fn wrong_issuer() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "30s");
    let mut claims = issuer.claims("alice", "warden", 300);
    claims["iss"] = json!("https://evil.example");
    let token = issuer.sign(&issuer.default_kid(), &claims);
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "wrong_issuer");
    assert!(
        error.to_string().contains("https://evil.example"),
        "{error}"
    );
}

#[tokio::test]
async fn wrong_audience() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "30s");
    let token = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("alice", "api://other", 300),
    );
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "wrong_audience");
    assert_eq!(
        error.to_string(),
        "audience api://other is not accepted by provider corp; accepted: warden"
    );
}

#[tokio::test]
async fn missing_exp() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, "30s");
    let mut claims = issuer.claims("alice", "warden", 300);
    claims.as_object_mut().unwrap().remove("exp");
    let token = issuer.sign(&issuer.default_kid(), &claims);
    let error = validator.validate(&token).await.unwrap_err();
    assert_eq!(error.code(), "missing_claim");
}
