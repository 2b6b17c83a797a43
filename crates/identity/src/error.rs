//! Why a credential was refused, or why identity could not be set up.

use chrono::{DateTime, Utc};
use thiserror::Error;
use warden_core::{Fault, GatewayError};
use warden_store::StoreError;

/// Every way authentication or identity setup can fail. Each variant has a stable
/// [`code`](IdentityError::code) used in audit events and client errors; no message ever
/// contains a token, an API key secret or a secret's value.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The credential is not a compact JWS (`header.payload.signature`) with JSON parts.
    #[error("token is malformed: {0}")]
    MalformedToken(String),
    /// The token's `alg` is `none`, unknown, not in the provider's allow-list, or HMAC without
    /// a configured secret.
    #[error("{0}")]
    AlgorithmNotAllowed(String),
    /// The token's `alg` differs from the algorithm pinned for the key that should verify it.
    #[error(
        "token algorithm {token_alg} does not match key {kid} of provider {provider}, which only verifies {key_alg}"
    )]
    AlgorithmMismatch {
        /// Provider name.
        provider: String,
        /// Key id.
        kid: String,
        /// Algorithm in the token header.
        token_alg: String,
        /// Algorithm(s) the key is pinned to.
        key_alg: String,
    },
    /// No configured provider has the token's issuer.
    #[error("issuer {issuer} is not configured; accepted issuers: {accepted}")]
    UnknownIssuer {
        /// The token's `iss`.
        issuer: String,
        /// Configured issuers, comma-separated.
        accepted: String,
    },
    /// The provider's JWKS has no key with the token's `kid`, even after a refresh.
    #[error("{0}")]
    UnknownKeyId(String),
    /// The signature does not verify with the provider's key or secret.
    #[error("token signature is invalid for provider {provider}")]
    BadSignature {
        /// Provider name.
        provider: String,
    },
    /// `exp` (plus leeway) is in the past.
    #[error("token expired at {at}; obtain a new token")]
    TokenExpired {
        /// The token's `exp`.
        at: DateTime<Utc>,
    },
    /// `nbf` (minus leeway) is in the future.
    #[error("token is not valid before {at}; check the clocks of the issuer and the gateway")]
    TokenNotYetValid {
        /// The token's `nbf`.
        at: DateTime<Utc>,
    },
    /// The token's `iss` is not the provider's issuer.
    #[error("issuer {issuer} is not accepted by provider {provider}, which expects {expected}")]
    WrongIssuer {
        /// Provider name.
        provider: String,
        /// The token's `iss`.
        issuer: String,
        /// The configured issuer.
        expected: String,
    },
    /// None of the token's audiences is configured for the provider.
    #[error("audience {audience} is not accepted by provider {provider}; accepted: {accepted}")]
    WrongAudience {
        /// Provider name.
        provider: String,
        /// The token's audiences, comma-separated.
        audience: String,
        /// The configured audiences, comma-separated.
        accepted: String,
    },
    /// A claim the provider needs is absent or has the wrong type.
    #[error("token has no usable {claim} claim (required by provider {provider})")]
    MissingClaim {
        /// Provider name.
        provider: String,
        /// Claim name.
        claim: String,
    },
    /// The provider's keys could not be fetched and none are cached.
    #[error("keys of provider {provider} are unavailable: {reason}")]
    JwksUnavailable {
        /// Provider name.
        provider: String,
        /// What failed (URL, status, parse error).
        reason: String,
    },
    /// The credential starts with `wdn_` but is not a well-formed Warden API key.
    #[error("api key is malformed: expected wdn_<16 hex characters>_<43 base64url characters>")]
    MalformedApiKey,
    /// No API key has this id, or its secret does not match.
    #[error("api key is not known; create one with `warden keys create`")]
    UnknownApiKey,
    /// The API key was revoked.
    #[error("api key {id} was revoked at {at}; create a new one with `warden keys create`")]
    ApiKeyRevoked {
        /// Key id.
        id: String,
        /// When it was revoked.
        at: DateTime<Utc>,
    },
    /// The API key's expiry has passed.
    #[error("api key {id} expired at {at}; create a new one with `warden keys create`")]
    ApiKeyExpired {
        /// Key id.
        id: String,
        /// When it expired.
        at: DateTime<Utc>,
    },
    /// API keys are turned off in the config.
    #[error("api keys are disabled on this gateway ([identity.api_keys] enabled = false)")]
    ApiKeysDisabled,
    /// A JWT was presented but no OIDC provider is configured.
    #[error("no oidc provider is configured; add one under [identity.oidc.<name>]")]
    NoProviders,
    /// An API key name or attribute given to `create` is not acceptable.
    #[error("{0}")]
    InvalidApiKey(String),
    /// An unrevoked API key already has this name.
    #[error("an api key named {0} already exists; revoke it first or choose another name")]
    ApiKeyNameTaken(String),
    /// `revoke` matched no key.
    #[error("no api key has id or name {0}; see `warden keys list`")]
    ApiKeyNotFound(String),
    /// A secret reference could not be resolved.
    #[error("{0}")]
    SecretUnavailable(String),
    /// The identity configuration cannot be used.
    #[error("identity config: {0}")]
    Config(String),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The system random generator failed.
    #[error("random generator unavailable: {0}")]
    Random(String),
}

impl IdentityError {
    /// Stable machine-readable reason, e.g. `token_expired`.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::MalformedToken(_) => "malformed_token",
            IdentityError::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            IdentityError::AlgorithmMismatch { .. } => "algorithm_mismatch",
            IdentityError::UnknownIssuer { .. } => "unknown_issuer",
            IdentityError::UnknownKeyId(_) => "unknown_key_id",
            IdentityError::BadSignature { .. } => "bad_signature",
            IdentityError::TokenExpired { .. } => "token_expired",
            IdentityError::TokenNotYetValid { .. } => "token_not_yet_valid",
            IdentityError::WrongIssuer { .. } => "wrong_issuer",
            IdentityError::WrongAudience { .. } => "wrong_audience",
            IdentityError::MissingClaim { .. } => "missing_claim",
            IdentityError::JwksUnavailable { .. } => "jwks_unavailable",
            IdentityError::MalformedApiKey => "malformed_api_key",
            IdentityError::UnknownApiKey => "unknown_api_key",
            IdentityError::ApiKeyRevoked { .. } => "api_key_revoked",
            IdentityError::ApiKeyExpired { .. } => "api_key_expired",
            IdentityError::ApiKeysDisabled => "api_keys_disabled",
            IdentityError::NoProviders => "unknown_issuer",
            IdentityError::InvalidApiKey(_) => "invalid_api_key",
            IdentityError::ApiKeyNameTaken(_) => "api_key_name_taken",
            IdentityError::ApiKeyNotFound(_) => "api_key_not_found",
            IdentityError::SecretUnavailable(_) => "secret_unavailable",
            IdentityError::Config(_) => "identity_config",
            IdentityError::Store(_) => "store_unavailable",
            IdentityError::Random(_) => "random_unavailable",
        }
    }

    /// Who is at fault: the caller for credential problems, the gateway when Warden could not
    /// check the credential (keys unavailable, store down), so the request fails closed.
    pub fn fault(&self) -> Fault {
        match self {
            IdentityError::JwksUnavailable { .. }
            | IdentityError::SecretUnavailable(_)
            | IdentityError::Config(_)
            | IdentityError::Store(_)
            | IdentityError::Random(_) => Fault::Gateway,
            _ => Fault::Client,
        }
    }
}

impl From<IdentityError> for GatewayError {
    fn from(error: IdentityError) -> Self {
        GatewayError {
            fault: error.fault(),
            code: error.code(),
            message: error.to_string(),
            review: None,
        }
    }
}

/// Shortens text taken from an unverified token before it goes into a message, so a hostile
/// token cannot flood logs.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 96;
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}
