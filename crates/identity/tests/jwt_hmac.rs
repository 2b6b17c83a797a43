//! HS256 tokens are accepted only when the provider has an `hmac_secret`, and only with it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use warden_identity::JwtValidator;
use warden_testkit::TokenIssuer;
use warden_testkit::issuer::hs256_with_secret;

const SECRET: &str = "a-shared-secret-of-at-least-32-bytes";

#[tokio::test]
async fn hs256_with_the_configured_secret_only() {
    let issuer = TokenIssuer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hmac"), format!("{SECRET}\n")).unwrap();
    let config = common::config(&format!(
        r#"
[identity.oidc.legacy]
issuer = "{}"
jwks_url = "{}"
audience = ["warden"]
algorithms = ["HS256"]
hmac_secret = {{ file = "hmac" }}
"#,
        issuer.issuer(),
        issuer.jwks_url()
    ));
    let provider = &config.identity.oidc["legacy"];
    let validator = JwtValidator::new("legacy", provider, dir.path()).unwrap();

    let claims = issuer.claims("svc", "warden", 300);
    let token = hs256_with_secret(SECRET.as_bytes(), None, &claims);
    let identity = validator.validate(&token).await.unwrap();
    assert_eq!(identity.subject, "svc");
    assert_eq!(issuer.jwks_fetches(), 0, "hmac never touches the jwks");

    let other = hs256_with_secret(b"another-secret-also-32-bytes-long!!", None, &claims);
    let error = validator.validate(&other).await.unwrap_err();
    assert_eq!(error.code(), "bad_signature");

    // RS256 is not in this provider's list.
    let rs = issuer.sign(&issuer.default_kid(), &claims);
    let error = validator.validate(&rs).await.unwrap_err();
    assert_eq!(error.code(), "algorithm_not_allowed");
    assert!(error.to_string().contains("allowed: HS256"), "{error}");

    // Listing HS256 without a secret, or with a short one, is a startup error.
    let mut no_secret = provider.clone();
    no_secret.hmac_secret = None;
    let error = JwtValidator::new("legacy", &no_secret, dir.path()).unwrap_err();
    assert_eq!(error.code(), "identity_config");
    std::fs::write(dir.path().join("hmac"), "short").unwrap();
    let error = JwtValidator::new("legacy", provider, dir.path()).unwrap_err();
    assert_eq!(error.code(), "identity_config");
}
