//! Forged tokens are refused with the precise reason: `alg: none`, HMAC keyed with the RSA public
//! key, a header algorithm that does not match the key, and claims swapped under a valid
//! signature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use warden_identity::JwtValidator;
use warden_testkit::issuer::{hs256_with_secret, sign_raw};
use warden_testkit::{KeyAlg, TokenIssuer};

async fn code(validator: &JwtValidator, token: &str) -> &'static str {
    let error = validator.validate(token).await.unwrap_err();
    assert!(!error.to_string().contains(token));
    error.code()
}

#[tokio::test]
async fn alg_none_is_refused() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = common::corp_validator(&issuer, "");
    let claims = issuer.claims("alice", "warden", 300);
    for alg in ["none", "None", "NONE"] {
        let token = sign_raw(&json!({"alg": alg, "typ": "JWT"}), &claims, b"");
        assert_eq!(
            code(&validator, &token).await,
            "algorithm_not_allowed",
            "{alg}"
        );
    }
}

#[tokio::test]
async fn hs256_keyed_with_the_rsa_public_key_is_refused() {
    let issuer = TokenIssuer::start().await.unwrap();
    let kid = issuer.default_kid();
    let pem = issuer.public_key_pem(&kid);
    let claims = issuer.claims("alice", "warden", 300);
    let token = hs256_with_secret(pem.as_bytes(), Some(&kid), &claims);

    // Default algorithms: HS256 is not allowed at all.
    let default = common::corp_validator(&issuer, "");
    assert_eq!(code(&default, &token).await, "algorithm_not_allowed");

    // HS256 allowed with a configured secret: verified with that secret only, never the PEM.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hmac"),
        "a-shared-secret-of-at-least-32-bytes\n",
    )
    .unwrap();
    let hmac = common::corp_validator_in(
        &issuer,
        "algorithms = [\"RS256\", \"HS256\"]\nhmac_secret = { file = \"hmac\" }",
        dir.path(),
    );
    assert_eq!(code(&hmac, &token).await, "bad_signature");
    // The PEM's key still verifies real RS256 tokens.
    hmac.validate(&issuer.sign(&kid, &claims)).await.unwrap();
}

#[tokio::test]
async fn header_algorithm_must_match_the_key() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = common::corp_validator(&issuer, "");
    let es_kid = issuer.add_key(KeyAlg::Es256, true);
    let claims = issuer.claims("alice", "warden", 300);
    // The RSA key's kid with an ES256 header, and the other way round.
    let forged = sign_raw(
        &json!({"alg": "ES256", "kid": issuer.default_kid()}),
        &claims,
        &[7u8; 64],
    );
    assert_eq!(code(&validator, &forged).await, "algorithm_mismatch");
    let forged = sign_raw(
        &json!({"alg": "RS256", "kid": es_kid}),
        &claims,
        &[7u8; 256],
    );
    assert_eq!(code(&validator, &forged).await, "algorithm_mismatch");
}

#[tokio::test]
async fn tampered_payload_fails_the_signature() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = common::corp_validator(&issuer, "");
    let claims = issuer.claims("alice", "warden", 300);
    let token = issuer.sign(&issuer.default_kid(), &claims);
    validator.validate(&token).await.unwrap();

    let mut parts = token.split('.');
    let (header, _, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let mut escalated = claims.clone();
    escalated["sub"] = json!("admin");
    escalated["groups"] = json!(["admins"]);
    let payload = URL_SAFE_NO_PAD.encode(escalated.to_string());
    let tampered = format!("{header}.{payload}.{signature}");
    assert_eq!(code(&validator, &tampered).await, "bad_signature");

    // A signature that is not even base64url is the same failure, and garbage is malformed.
    let mangled = format!("{header}.{payload}.!!!");
    assert_eq!(code(&validator, &mangled).await, "bad_signature");
    assert_eq!(code(&validator, "garbage").await, "malformed_token");
}
