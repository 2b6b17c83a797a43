//! Validation of access tokens from one OIDC provider.
//!
//! Order of checks: the header `alg` against the allow-list (never `none`); the key — HMAC
//! algorithms use only the configured `hmac_secret`, everything else a JWKS key found by `kid`
//! whose pinned algorithm must equal the header's; the signature; then `iss`, `exp`, `nbf`, `aud`
//! and the subject claim. A token is trusted for nothing before its signature verifies, except
//! that its unverified `iss` picks the provider.

use crate::claims::ClaimRules;
use crate::jwks::{JwksCache, JwksSource};
use crate::token::UnverifiedToken;
use crate::{IdentityError, resolve_secret};
use chrono::Utc;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use std::path::Path;
use std::str::FromStr;
use warden_config::OidcProvider;
use warden_core::Identity;

/// Shortest accepted `hmac_secret`, in bytes (the size of an HS256 output).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// Validates tokens of one configured OIDC provider.
#[derive(Debug)]
pub struct JwtValidator {
    name: String,
    algorithms: Vec<Algorithm>,
    hmac: Option<DecodingKey>,
    jwks: JwksCache,
    rules: ClaimRules,
}

impl JwtValidator {
    /// A validator for provider `name`; its `hmac_secret` is resolved against `base_dir`.
    /// Nothing is fetched until the first token arrives.
    pub fn new(
        name: &str,
        provider: &OidcProvider,
        base_dir: &Path,
    ) -> Result<Self, IdentityError> {
        // jsonwebtoken panics at first use if feature unification enabled two crypto backends;
        // selecting one explicitly avoids that. An `Err` only means one is already installed.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();

        let config_error = |what: String| IdentityError::Config(format!("provider {name}: {what}"));
        if provider.audience.is_empty() {
            return Err(config_error(
                "audience is empty; list the aud values Warden accepts".to_owned(),
            ));
        }
        let mut algorithms = Vec::with_capacity(provider.algorithms.len());
        for text in &provider.algorithms {
            let alg = Algorithm::from_str(text).map_err(|_| {
                config_error(format!(
                    "algorithm {text:?} is not supported; use RS256/384/512, PS256/384/512, ES256/384, EdDSA or HS256/384/512"
                ))
            })?;
            algorithms.push(alg);
        }
        let wants_hmac = algorithms
            .iter()
            .any(|a| a.family() == AlgorithmFamily::Hmac);
        let hmac = match (&provider.hmac_secret, wants_hmac) {
            (Some(reference), true) => {
                let secret = resolve_secret(reference, base_dir)?;
                if secret.expose().len() < MIN_HMAC_SECRET_BYTES {
                    return Err(config_error(format!(
                        "hmac_secret is shorter than {MIN_HMAC_SECRET_BYTES} bytes"
                    )));
                }
                Some(DecodingKey::from_secret(secret.expose().as_bytes()))
            }
            (None, true) => {
                return Err(config_error(
                    "algorithms include HS* but no hmac_secret is set; HMAC tokens are only verified with that secret".to_owned(),
                ));
            }
            (Some(_), false) => {
                tracing::warn!(
                    provider = name,
                    "hmac_secret is set but no HS* algorithm is allowed; it is unused"
                );
                None
            }
            (None, false) => None,
        };
        let source = match &provider.jwks_url {
            Some(url) => JwksSource::Url(url.clone()),
            None => JwksSource::Discovery {
                issuer: provider.issuer.clone(),
            },
        };
        Ok(JwtValidator {
            name: name.to_owned(),
            algorithms,
            hmac,
            jwks: JwksCache::new(
                name,
                source,
                crate::http::client()?,
                provider.jwks_min_refresh.0,
            ),
            rules: ClaimRules::new(name, provider),
        })
    }

    /// The provider's name in the config.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer (`iss`) this provider's tokens carry.
    pub fn issuer(&self) -> &str {
        &self.rules.issuer
    }

    /// The identity behind `token`, or the precise reason it is refused.
    pub async fn validate(&self, token: &str) -> Result<Identity, IdentityError> {
        self.validate_parsed(&UnverifiedToken::parse(token)?).await
    }

    pub(crate) async fn validate_parsed(
        &self,
        token: &UnverifiedToken<'_>,
    ) -> Result<Identity, IdentityError> {
        let alg = self.allowed_algorithm(&token.alg)?;
        let key = if alg.family() == AlgorithmFamily::Hmac {
            // Checked in `allowed_algorithm`: HS* is only allowed with a configured secret.
            self.hmac
                .clone()
                .ok_or_else(|| self.not_allowed(&token.alg))?
        } else {
            let key = self.jwks.key(token.kid.as_deref()).await?;
            if !key.pin.accepts(alg) {
                return Err(IdentityError::AlgorithmMismatch {
                    provider: self.name.clone(),
                    kid: crate::error::shown(key.kid.as_deref().unwrap_or("(none)")),
                    token_alg: format!("{alg:?}"),
                    key_alg: key.pin.to_string(),
                });
            }
            key.key
        };
        let verified = jsonwebtoken::crypto::verify(
            token.signature,
            token.signing_input.as_bytes(),
            &key,
            alg,
        )
        .unwrap_or(false);
        if !verified {
            return Err(IdentityError::BadSignature {
                provider: self.name.clone(),
            });
        }
        self.rules.identity(&token.claims, Utc::now())
    }

    fn allowed_algorithm(&self, text: &str) -> Result<Algorithm, IdentityError> {
        // `alg: none` never gets here: `UnverifiedToken::parse` refuses it.
        match Algorithm::from_str(text) {
            Ok(alg) if self.algorithms.contains(&alg) => Ok(alg),
            _ => Err(self.not_allowed(text)),
        }
    }

    fn not_allowed(&self, text: &str) -> IdentityError {
        let allowed: Vec<String> = self.algorithms.iter().map(|a| format!("{a:?}")).collect();
        IdentityError::AlgorithmNotAllowed(format!(
            "algorithm {} is not allowed by provider {}; allowed: {}",
            crate::error::shown(text),
            self.name,
            allowed.join(", ")
        ))
    }
}
