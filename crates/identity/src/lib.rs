//! Caller authentication for Warden: OIDC/JWT access tokens validated against each provider's
//! JWKS, and Warden API keys bound to machine identities.
//!
//! [`Authenticator`] implements the pipeline's authenticate phase. Every refusal is an
//! [`IdentityError`] with a stable [`code`](IdentityError::code) (`token_expired`,
//! `unknown_key_id`, `api_key_revoked`, …) and a message that never contains the credential.

pub mod api_keys;
mod authenticator;
mod claims;
mod error;
mod http;
mod jwks;
mod jwt;
mod key;
mod secret;
mod token;

pub use api_keys::{create_api_key, list_api_keys, revoke_api_key, verify_api_key};
pub use authenticator::Authenticator;
pub use error::IdentityError;
pub use jwt::{JwtValidator, MIN_HMAC_SECRET_BYTES};
pub use secret::resolve_secret;
