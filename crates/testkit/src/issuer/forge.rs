//! Hand-built tokens for attack tests: `alg: none`, tampered parts, HMAC with a public key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};

/// Builds `base64url(header) . base64url(claims) . base64url(signature)` without signing, so a
/// test can forge `{"alg":"none"}` tokens, swap claims under a valid signature, and so on.
pub fn sign_raw(
    header_json: &serde_json::Value,
    claims: &serde_json::Value,
    signature: &[u8],
) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header_json.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Signs `claims` with HS256 under `secret` (e.g. an RSA public key PEM, for the
/// algorithm-confusion attack), with `kid` in the header when given.
#[allow(
    clippy::expect_used,
    reason = "HMAC accepts any key length, so signing cannot fail; a test helper returns the token"
)]
pub fn hs256_with_secret(secret: &[u8], kid: Option<&str>, claims: &serde_json::Value) -> String {
    let mut header = serde_json::json!({ "alg": "HS256", "typ": "JWT" });
    if let (Some(kid), Some(object)) = (kid, header.as_object_mut()) {
        object.insert("kid".to_owned(), serde_json::Value::String(kid.to_owned()));
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    super::ensure_crypto_provider();
    let signature = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .expect("HS256 signing with any secret succeeds");
    format!("{signing_input}.{signature}")
}
