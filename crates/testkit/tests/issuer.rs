//! The token issuer publishes a discovery document and JWKS over HTTP, and tokens it signs
//! verify against the published keys for every algorithm.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use warden_testkit::issuer::{hs256_with_secret, sign_raw};
use warden_testkit::{KeyAlg, TokenIssuer};

#[allow(clippy::expect_used, reason = "test helper")]
async fn fetch_jwks(issuer: &TokenIssuer) -> JwkSet {
    reqwest::get(issuer.jwks_url())
        .await
        .expect("GET jwks")
        .error_for_status()
        .expect("jwks status")
        .json()
        .await
        .expect("jwks json")
}

fn validation(issuer: &TokenIssuer, alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[issuer.issuer()]);
    validation.set_audience(&["warden"]);
    validation
}

#[tokio::test]
async fn discovery_document_points_at_the_jwks() {
    let issuer = TokenIssuer::start().await.expect("issuer starts");
    assert!(issuer.issuer().starts_with("http://127.0.0.1:"));
    let doc: serde_json::Value = reqwest::get(issuer.discovery_url())
        .await
        .expect("GET discovery")
        .json()
        .await
        .expect("discovery json");
    assert_eq!(doc["issuer"], issuer.issuer());
    assert_eq!(doc["jwks_uri"], issuer.jwks_url());
    let algs = doc["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("alg list");
    assert!(algs.contains(&serde_json::json!("RS256")));

    assert_eq!(issuer.jwks_fetches(), 0);
    let jwks = fetch_jwks(&issuer).await;
    assert_eq!(issuer.jwks_fetches(), 1);
    assert_eq!(jwks.keys.len(), 1);
    assert!(jwks.find(&issuer.default_kid()).is_some());
}

#[tokio::test]
async fn tokens_verify_against_the_published_jwk_for_each_algorithm() {
    let issuer = TokenIssuer::start().await.expect("issuer starts");
    let mut kids = vec![(issuer.default_kid(), Algorithm::RS256)];
    kids.push((issuer.add_key(KeyAlg::Es256, true), Algorithm::ES256));
    kids.push((issuer.add_key(KeyAlg::EdDsa, true), Algorithm::EdDSA));
    kids.push((issuer.add_key(KeyAlg::Rs256, true), Algorithm::RS256));
    let jwks = fetch_jwks(&issuer).await;
    assert_eq!(jwks.keys.len(), 4);

    for (kid, alg) in kids {
        let token = issuer.sign(&kid, &issuer.claims("alice", "warden", 300));
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, alg);
        assert_eq!(header.kid.as_deref(), Some(kid.as_str()));

        let jwk = jwks.find(&kid).expect("kid is published");
        let key = DecodingKey::from_jwk(jwk).expect("decoding key from jwk");
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation(&issuer, alg))
                .unwrap_or_else(|e| panic!("{alg:?} token verifies against its JWK: {e}"));
        assert_eq!(data.claims["sub"], "alice");

        let pem = issuer.public_key_pem(&kid);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let from_pem = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(pem.as_bytes()),
            Algorithm::ES256 => DecodingKey::from_ec_pem(pem.as_bytes()),
            _ => DecodingKey::from_ed_pem(pem.as_bytes()),
        }
        .expect("decoding key from pem");
        jsonwebtoken::decode::<serde_json::Value>(&token, &from_pem, &validation(&issuer, alg))
            .expect("token verifies against the public key PEM");

        let other = jwks.keys.iter().find(|k| {
            k.common.key_id.as_deref() != Some(kid.as_str())
                && k.common.key_algorithm == jwk.common.key_algorithm
        });
        if let Some(other) = other {
            let wrong = DecodingKey::from_jwk(other).expect("other key");
            assert!(
                jsonwebtoken::decode::<serde_json::Value>(
                    &token,
                    &wrong,
                    &validation(&issuer, alg)
                )
                .is_err(),
                "a token does not verify under another key"
            );
        }
    }

    let expired = issuer.sign(
        &issuer.default_kid(),
        &issuer.claims("bob", "warden", -3600),
    );
    let key =
        DecodingKey::from_jwk(jwks.find(&issuer.default_kid()).expect("default")).expect("key");
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(
            &expired,
            &key,
            &validation(&issuer, Algorithm::RS256)
        )
        .is_err()
    );
}

#[tokio::test]
async fn unpublished_keys_appear_only_after_publish() {
    let issuer = TokenIssuer::start().await.expect("issuer starts");
    let kid = issuer.add_key(KeyAlg::Es256, false);
    assert!(fetch_jwks(&issuer).await.find(&kid).is_none());
    assert!(issuer.jwks().find(&kid).is_none());
    let token = issuer.sign(&kid, &issuer.claims("carol", "warden", 60));

    issuer.publish(&kid);
    let jwks = fetch_jwks(&issuer).await;
    let key = DecodingKey::from_jwk(jwks.find(&kid).expect("published now")).expect("key");
    jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation(&issuer, Algorithm::ES256))
        .expect("a token signed before publication verifies after it");

    issuer.unpublish(&kid);
    assert!(fetch_jwks(&issuer).await.find(&kid).is_none());
    assert_eq!(issuer.jwks_fetches(), 3);

    issuer.set_jwks_available(false);
    let status = reqwest::get(issuer.jwks_url()).await.expect("GET").status();
    assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(issuer.jwks_fetches(), 4);
    issuer.set_jwks_available(true);
    assert_eq!(fetch_jwks(&issuer).await.keys.len(), 1);
}

#[tokio::test]
async fn forged_tokens_are_built_as_asked() {
    let issuer = TokenIssuer::start().await.expect("issuer starts");
    let claims = issuer.claims("mallory", "warden", 60);
    let kid = issuer.default_kid();
    let pem = issuer.public_key_pem(&kid);

    let confused = hs256_with_secret(pem.as_bytes(), Some(&kid), &claims);
    let header = jsonwebtoken::decode_header(&confused).expect("header");
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));
    jsonwebtoken::decode::<serde_json::Value>(
        &confused,
        &DecodingKey::from_secret(pem.as_bytes()),
        &validation(&issuer, Algorithm::HS256),
    )
    .expect("the HS256 token is a valid HMAC under the PEM bytes");

    let none = sign_raw(
        &serde_json::json!({"alg": "none", "kid": kid}),
        &claims,
        b"",
    );
    assert!(none.ends_with('.'), "{none}");
    let parts: Vec<&str> = none.split('.').collect();
    assert_eq!(parts.len(), 3);
    let key = DecodingKey::from_jwk(issuer.jwks().find(&kid).expect("default")).expect("key");
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(
            &none,
            &key,
            &validation(&issuer, Algorithm::RS256)
        )
        .is_err()
    );
}

#[tokio::test]
async fn dropping_the_issuer_stops_serving() {
    let issuer = TokenIssuer::start().await.expect("issuer starts");
    let url = issuer.jwks_url();
    fetch_jwks(&issuer).await;
    drop(issuer);
    tokio::task::yield_now().await;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client");
    assert!(client.get(&url).send().await.is_err());
}
