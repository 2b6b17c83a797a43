//! Phase 1 of the pipeline: any credential to an [`Identity`].

use crate::api_keys::{API_KEY_PREFIX, verify_api_key};
use crate::token::UnverifiedToken;
use crate::{IdentityError, JwtValidator};
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;
use warden_config::IdentityConfig;
use warden_core::pipeline::{Authenticate, Credential};
use warden_core::{GatewayError, Identity};
use warden_store::Store;

/// Verifies Warden API keys (`wdn_…`) against the store and JWTs against the configured OIDC
/// providers.
pub struct Authenticator {
    providers: Vec<JwtValidator>,
    api_keys: Option<Arc<dyn Store>>,
}

impl Authenticator {
    /// Builds the validators of every provider in `config`; `base_dir` resolves relative secret
    /// files. API keys are looked up in `store` when `[identity.api_keys] enabled` is true.
    pub fn new(
        config: &IdentityConfig,
        base_dir: &Path,
        store: Arc<dyn Store>,
    ) -> Result<Self, IdentityError> {
        let providers = config
            .oidc
            .iter()
            .map(|(name, provider)| JwtValidator::new(name, provider, base_dir))
            .collect::<Result<Vec<_>, _>>()?;
        for (index, provider) in providers.iter().enumerate() {
            if let Some(twin) = providers[..index]
                .iter()
                .find(|p| p.issuer() == provider.issuer())
            {
                return Err(IdentityError::Config(format!(
                    "providers {} and {} have the same issuer {}; tokens are routed by issuer, so merge them",
                    twin.name(),
                    provider.name(),
                    provider.issuer()
                )));
            }
        }
        Ok(Authenticator {
            providers,
            api_keys: config.api_keys.enabled.then_some(store),
        })
    }

    /// The configured token validators, in config order.
    pub fn providers(&self) -> &[JwtValidator] {
        &self.providers
    }

    /// The identity behind `credential`, or the precise reason it is refused.
    pub async fn identify(&self, credential: &str) -> Result<Identity, IdentityError> {
        if credential.starts_with(API_KEY_PREFIX) {
            let store = self
                .api_keys
                .as_deref()
                .ok_or(IdentityError::ApiKeysDisabled)?;
            return verify_api_key(store, credential).await;
        }
        let token = UnverifiedToken::parse(credential)?;
        self.provider_for(&token)?.validate_parsed(&token).await
    }

    /// With one provider, that one (a foreign `iss` is then `wrong_issuer`); with several, the
    /// one whose issuer equals the token's unverified `iss`.
    fn provider_for(&self, token: &UnverifiedToken<'_>) -> Result<&JwtValidator, IdentityError> {
        match self.providers.as_slice() {
            [] => Err(IdentityError::NoProviders),
            [only] => Ok(only),
            several => {
                let issuer = token.issuer().ok_or_else(|| IdentityError::MissingClaim {
                    provider: "(any)".to_owned(),
                    claim: "iss".to_owned(),
                })?;
                several
                    .iter()
                    .find(|p| p.issuer() == issuer)
                    .ok_or_else(|| IdentityError::UnknownIssuer {
                        issuer: crate::error::shown(issuer),
                        accepted: several
                            .iter()
                            .map(JwtValidator::issuer)
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    }
}

#[async_trait]
impl Authenticate for Authenticator {
    async fn authenticate(&self, credential: &Credential) -> Result<Identity, GatewayError> {
        self.identify(credential.expose())
            .await
            .map_err(GatewayError::from)
    }
}
