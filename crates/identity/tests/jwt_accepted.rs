//! Valid RS256, ES256 and EdDSA tokens are accepted, with subject, groups, scopes and kind mapped,
//! whether keys come from discovery or an explicit JWKS URL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use std::path::Path;
use warden_core::{AuthMethod, IdentityKind};
use warden_identity::JwtValidator;
use warden_testkit::{KeyAlg, TokenIssuer};

fn validator(issuer: &TokenIssuer, jwks_url: Option<&str>) -> JwtValidator {
    let jwks = jwks_url.map_or(String::new(), |url| format!("jwks_url = \"{url}\"\n"));
    let config = common::config(&format!(
        r#"
[identity.oidc.corp]
issuer = "{}"
{jwks}audience = ["warden", "api://warden"]
algorithms = ["RS256", "ES256", "EdDSA"]
groups_claim = "groups"
scopes_claim = "scope"

[identity.oidc.corp.machine]
claim = "client_type"
equals = "agent"
"#,
        issuer.issuer()
    ));
    JwtValidator::new("corp", &config.identity.oidc["corp"], Path::new("/")).unwrap()
}

#[tokio::test]
async fn every_signature_algorithm_is_accepted_via_explicit_jwks_url() {
    let issuer = TokenIssuer::start().await.unwrap();
    let es = issuer.add_key(KeyAlg::Es256, true);
    let ed = issuer.add_key(KeyAlg::EdDsa, true);
    let validator = validator(&issuer, Some(&issuer.jwks_url()));

    for kid in [issuer.default_kid(), es, ed] {
        let mut claims = issuer.claims("alice", "warden", 300);
        claims["groups"] = json!(["dba", "eng"]);
        claims["scope"] = json!("db:read db:write");
        let token = issuer.sign(&kid, &claims);
        let identity = validator
            .validate(&token)
            .await
            .unwrap_or_else(|e| panic!("{kid}: {e}"));
        assert_eq!(identity.subject, "alice");
        assert_eq!(identity.kind, IdentityKind::Human);
        assert_eq!(identity.groups, ["dba", "eng"]);
        assert_eq!(identity.scopes, ["db:read", "db:write"]);
        assert_eq!(identity.issuer, issuer.issuer());
        assert_eq!(identity.auth_method, AuthMethod::Jwt);
        assert_eq!(
            identity.expires_at.map(|t| t.timestamp()),
            claims["exp"].as_i64()
        );
    }
    // All three keys came from one fetch.
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn keys_are_discovered_from_the_issuer() {
    let issuer = TokenIssuer::start().await.unwrap();
    let validator = validator(&issuer, None);

    let mut claims = issuer.claims("build-42", "api://warden", 300);
    claims["client_type"] = json!("agent");
    claims["groups"] = json!("agents ci");
    claims["scope"] = json!(["db:read"]);
    let token = issuer.sign(&issuer.default_kid(), &claims);
    let identity = validator.validate(&token).await.unwrap();
    assert_eq!(identity.subject, "build-42");
    assert_eq!(identity.kind, IdentityKind::Machine);
    assert_eq!(identity.groups, ["agents", "ci"]);
    assert_eq!(identity.scopes, ["db:read"]);
    assert_eq!(
        issuer.jwks_fetches(),
        1,
        "the discovered jwks_uri was fetched"
    );
}
