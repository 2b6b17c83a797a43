//! A compact JWS split into its parts before anything about it is trusted.

use crate::IdentityError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Tokens longer than this are refused before decoding (64 KiB is far above any real token).
const MAX_TOKEN_LEN: usize = 64 * 1024;

/// A token's decoded header and claims, not yet verified.
#[derive(Debug)]
pub(crate) struct UnverifiedToken<'a> {
    /// Header `alg`, as written.
    pub alg: String,
    /// Header `kid`, if any.
    pub kid: Option<String>,
    /// Decoded claims.
    pub claims: Map<String, Value>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
    /// Base64url signature.
    pub signature: &'a str,
}

impl<'a> UnverifiedToken<'a> {
    /// Splits and decodes `token`. Failures are `malformed_token`, or `algorithm_not_allowed` for
    /// `alg: none`; no message quotes the token.
    pub fn parse(token: &'a str) -> Result<Self, IdentityError> {
        let malformed = |why: &str| IdentityError::MalformedToken(why.to_owned());
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("longer than 64 KiB"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "expected three base64url parts separated by dots (header.payload.signature)",
            ));
        };
        let header = decode_object(header)
            .ok_or_else(|| malformed("header is not base64url-encoded json object"))?;
        let claims = decode_object(payload)
            .ok_or_else(|| malformed("payload is not base64url-encoded json object"))?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg.clone(),
            _ => return Err(malformed("header has no alg")),
        };
        // Refused before anything else, whichever provider the token claims to come from.
        if alg.eq_ignore_ascii_case("none") {
            return Err(IdentityError::AlgorithmNotAllowed(
                "unsigned tokens (alg none) are never accepted".to_owned(),
            ));
        }
        let kid = match header.get("kid") {
            None | Some(Value::Null) => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(malformed("header kid is not a string")),
        };
        if header.contains_key("crit") {
            return Err(malformed(
                "header has crit extensions, which are not supported",
            ));
        }
        let signing_input_len = token.len() - signature.len() - 1;
        Ok(UnverifiedToken {
            alg,
            kid,
            claims,
            signing_input: token.get(..signing_input_len).unwrap_or_default(),
            signature,
        })
    }

    /// The unverified `iss` claim, used only to pick a provider.
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
