//! Signature keys from a JWKS, each pinned to the algorithm(s) it may verify.

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// Which token algorithms a key verifies, fixed when the key is loaded so a token can never
/// choose how its own signature is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyPin {
    /// The JWK named its `alg`, or its curve fixes it (P-256 → ES256, Ed25519 → EdDSA).
    Exact(Algorithm),
    /// An RSA key without `alg`: any RSA algorithm (RS*/PS*) the provider allows.
    AnyRsa,
}

impl KeyPin {
    /// Whether a token signed with `alg` may be verified by this key.
    pub fn accepts(self, alg: Algorithm) -> bool {
        match self {
            KeyPin::Exact(pinned) => pinned == alg,
            KeyPin::AnyRsa => alg.family() == AlgorithmFamily::Rsa,
        }
    }
}

impl fmt::Display for KeyPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPin::Exact(alg) => write!(f, "{alg:?}"),
            KeyPin::AnyRsa => f.write_str("RS*/PS*"),
        }
    }
}

/// One public key of a provider.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    /// `kid`, if the JWK has one.
    pub kid: Option<String>,
    /// Algorithms it verifies.
    pub pin: KeyPin,
    /// The key material.
    pub key: DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

/// The JWK members Warden reads; anything else is ignored.
#[derive(Debug, Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    key_use: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// Reads a JWK into a verifying key. `Ok(None)` means the key is deliberately skipped
/// (encryption key, symmetric key); `Err` says why a signing key is unusable.
pub(crate) fn from_jwk(value: &serde_json::Value) -> Result<Option<VerifyingKey>, String> {
    let jwk: RawJwk =
        serde_json::from_value(value.clone()).map_err(|e| format!("unreadable jwk: {e}"))?;
    if jwk.key_use.as_deref().is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let declared = match jwk.alg.as_deref() {
        None => None,
        Some(name) => {
            Some(Algorithm::from_str(name).map_err(|_| format!("unsupported jwk alg {name}"))?)
        }
    };
    let missing = |member: &str| format!("{} jwk has no {member}", jwk.kty);
    let (pin, key) = match jwk.kty.as_str() {
        "RSA" => {
            let n = jwk.n.as_deref().ok_or_else(|| missing("n"))?;
            let e = jwk.e.as_deref().ok_or_else(|| missing("e"))?;
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|e| format!("invalid RSA jwk: {e}"))?;
            let pin = match declared {
                None => KeyPin::AnyRsa,
                Some(alg) if alg.family() == AlgorithmFamily::Rsa => KeyPin::Exact(alg),
                Some(alg) => return Err(format!("RSA jwk declares alg {alg:?}")),
            };
            (pin, key)
        }
        "EC" => {
            let curve_alg = match jwk.crv.as_deref() {
                Some("P-256") => Algorithm::ES256,
                Some("P-384") => Algorithm::ES384,
                other => return Err(format!("unsupported EC curve {other:?}")),
            };
            if declared.is_some_and(|alg| alg != curve_alg) {
                return Err(format!("EC jwk alg does not match its curve {curve_alg:?}"));
            }
            let x = jwk.x.as_deref().ok_or_else(|| missing("x"))?;
            let y = jwk.y.as_deref().ok_or_else(|| missing("y"))?;
            let key = DecodingKey::from_ec_components(x, y)
                .map_err(|e| format!("invalid EC jwk: {e}"))?;
            (KeyPin::Exact(curve_alg), key)
        }
        "OKP" => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err(format!("unsupported OKP curve {:?}", jwk.crv));
            }
            if declared.is_some_and(|alg| alg != Algorithm::EdDSA) {
                return Err("Ed25519 jwk declares an alg other than EdDSA".to_owned());
            }
            let x = jwk.x.as_deref().ok_or_else(|| missing("x"))?;
            let key = DecodingKey::from_ed_components(x)
                .map_err(|e| format!("invalid Ed25519 jwk: {e}"))?;
            (KeyPin::Exact(Algorithm::EdDSA), key)
        }
        // Symmetric keys in a public JWKS are never used: HMAC is verified with the configured
        // secret only.
        _ => return Ok(None),
    };
    Ok(Some(VerifyingKey {
        kid: jwk.kid,
        pin,
        key,
    }))
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
