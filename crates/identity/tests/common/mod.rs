//! Set-up shared by the JWT scenarios: a gateway config around provider tables, and the validator
//! for one provider `corp` of a [`TokenIssuer`].

#![allow(dead_code)]

use std::path::Path;
use warden_identity::JwtValidator;
use warden_testkit::TokenIssuer;

/// Parses a gateway config whose identity section is `providers` (`[identity.oidc.*]` tables).
pub fn config(providers: &str) -> warden_config::Config {
    let text = format!("[gateway]\ndata_dir = \"/nonexistent\"\n\n{providers}");
    toml::from_str(&text).unwrap()
}

/// The validator for provider `corp`: `issuer`'s keys from its JWKS URL, audience `warden`, plus
/// the `extra` provider settings (TOML lines); key files are read relative to `base_dir`.
pub fn corp_validator_in(issuer: &TokenIssuer, extra: &str, base_dir: &Path) -> JwtValidator {
    let config = config(&format!(
        "[identity.oidc.corp]\nissuer = \"{}\"\njwks_url = \"{}\"\naudience = [\"warden\"]\n{extra}\n",
        issuer.issuer(),
        issuer.jwks_url()
    ));
    JwtValidator::new("corp", &config.identity.oidc["corp"], base_dir).unwrap()
}

/// [`corp_validator_in`] with key files read relative to `/`.
pub fn corp_validator(issuer: &TokenIssuer, extra: &str) -> JwtValidator {
    corp_validator_in(issuer, extra, Path::new("/"))
}
