use super::{KeyPin, from_jwk};
use jsonwebtoken::Algorithm;
use serde_json::json;

// A real P-256 point and Ed25519 key are not needed for pinning: the components only have to be
// valid base64url.
const B64: &str = "AQAB";

#[test]
fn rsa_without_alg_accepts_only_rsa_algorithms() {
    let key = from_jwk(&json!({"kty":"RSA","kid":"r","n":B64,"e":B64}))
        .unwrap()
        .unwrap();
    assert_eq!(key.pin, KeyPin::AnyRsa);
    assert!(key.pin.accepts(Algorithm::RS256));
    assert!(key.pin.accepts(Algorithm::PS512));
    assert!(!key.pin.accepts(Algorithm::HS256));
    assert!(!key.pin.accepts(Algorithm::ES256));
}

#[test]
fn declared_alg_pins_exactly() {
    let key = from_jwk(&json!({"kty":"RSA","kid":"r","alg":"RS384","n":B64,"e":B64}))
        .unwrap()
        .unwrap();
    assert_eq!(key.pin, KeyPin::Exact(Algorithm::RS384));
    assert!(!key.pin.accepts(Algorithm::RS256));
}

#[test]
fn curve_fixes_the_algorithm() {
    let p256 = from_jwk(&json!({"kty":"EC","crv":"P-256","x":B64,"y":B64}))
        .unwrap()
        .unwrap();
    assert_eq!(p256.pin, KeyPin::Exact(Algorithm::ES256));
    let ed = from_jwk(&json!({"kty":"OKP","crv":"Ed25519","x":B64}))
        .unwrap()
        .unwrap();
    assert_eq!(ed.pin, KeyPin::Exact(Algorithm::EdDSA));
    assert!(from_jwk(&json!({"kty":"EC","crv":"P-256","alg":"ES384","x":B64,"y":B64})).is_err());
    assert!(from_jwk(&json!({"kty":"RSA","alg":"HS256","n":B64,"e":B64})).is_err());
}

#[test]
fn symmetric_and_encryption_keys_are_skipped() {
    assert!(
        from_jwk(&json!({"kty":"oct","k":"c2VjcmV0","alg":"HS256"}))
            .unwrap()
            .is_none()
    );
    assert!(
        from_jwk(&json!({"kty":"RSA","use":"enc","n":B64,"e":B64}))
            .unwrap()
            .is_none()
    );
}
