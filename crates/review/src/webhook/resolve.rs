//! Turning `[[webhooks]]` config into ready-to-send targets: secrets read, URLs parsed.

use crate::Transition;
use reqwest::Url;
use std::fmt;
use std::path::Path;
use std::time::Duration;
use thiserror::Error;
use warden_config::{Config, Webhook, WebhookEvent, WebhookFormat};
use warden_core::Secret;
use warden_identity::{IdentityError, resolve_secret};

/// A webhook that cannot be set up; never shows the secret, nor the URL's path (Slack URLs
/// carry their token there).
#[derive(Debug, Error)]
pub enum WebhookError {
    /// The URL does not parse or is not http(s).
    #[error("webhook url is not a valid http(s) URL: {0}")]
    Url(String),
    /// The signing secret could not be read.
    #[error("webhook {hook}: {source}")]
    Secret {
        /// Scheme, host and port of the webhook.
        hook: String,
        /// What failed (names the variable or file, never the value).
        source: IdentityError,
    },
    /// A json webhook without a secret to sign with.
    #[error("webhook {0}: json webhooks need a `secret` to sign with")]
    MissingSecret(String),
    /// The HTTP client could not be built.
    #[error("cannot build the webhook http client: {0}")]
    Client(String),
}

/// One webhook ready to send to: the secret read, the filter as transitions. Its `Debug`
/// shows only the URL's origin, since a Slack URL's path is a credential.
#[derive(Clone)]
pub struct ResolvedWebhook {
    /// Where to POST.
    pub url: String,
    /// Body format.
    pub format: WebhookFormat,
    /// HMAC key for json bodies; Slack bodies are not signed.
    pub secret: Option<Secret<Vec<u8>>>,
    /// Transitions sent; every transition when `None`.
    pub events: Option<Vec<Transition>>,
    /// Time allowed for one attempt.
    pub timeout: Duration,
}

impl ResolvedWebhook {
    /// Resolves `hook`, reading its secret (relative files from `base_dir`).
    pub fn from_config(hook: &Webhook, base_dir: &Path) -> Result<Self, WebhookError> {
        let label = origin(&hook.url)?;
        let secret = match (&hook.secret, hook.format) {
            (Some(reference), WebhookFormat::Json) => {
                let value =
                    resolve_secret(reference, base_dir).map_err(|source| WebhookError::Secret {
                        hook: label.clone(),
                        source,
                    })?;
                Some(Secret::new(value.expose().as_bytes().to_vec()))
            }
            (None, WebhookFormat::Json) => return Err(WebhookError::MissingSecret(label)),
            (_, WebhookFormat::Slack) => None,
        };
        Ok(ResolvedWebhook {
            url: hook.url.clone(),
            format: hook.format,
            secret,
            events: hook
                .events
                .as_ref()
                .map(|events| events.iter().copied().map(transition).collect()),
            timeout: hook.timeout.0,
        })
    }

    /// Whether this webhook wants `transition`.
    pub fn wants(&self, transition: Transition) -> bool {
        self.events
            .as_ref()
            .is_none_or(|events| events.contains(&transition))
    }
}

impl fmt::Debug for ResolvedWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedWebhook")
            .field(
                "url",
                &origin(&self.url).unwrap_or_else(|_| "<invalid>".into()),
            )
            .field("format", &self.format)
            .field("secret", &self.secret)
            .field("events", &self.events)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Every `[[webhooks]]` entry of `config`, resolved.
pub fn resolve_webhooks(config: &Config) -> Result<Vec<ResolvedWebhook>, WebhookError> {
    config
        .webhooks
        .iter()
        .map(|hook| ResolvedWebhook::from_config(hook, &config.base_dir))
        .collect()
}

/// Scheme, host and port of `url`: enough to name a webhook in logs and errors without the
/// path or query, which may hold a token.
pub(crate) fn origin(url: &str) -> Result<String, WebhookError> {
    let parsed = Url::parse(url).map_err(|e| WebhookError::Url(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(WebhookError::Url(format!(
            "scheme {} is not http or https, or the host is missing",
            parsed.scheme()
        )));
    }
    Ok(parsed.origin().ascii_serialization())
}

fn transition(event: WebhookEvent) -> Transition {
    match event {
        WebhookEvent::Created => Transition::Created,
        WebhookEvent::Voted => Transition::Voted,
        WebhookEvent::Approved => Transition::Approved,
        WebhookEvent::Denied => Transition::Denied,
        WebhookEvent::Expired => Transition::Expired,
        WebhookEvent::Executed => Transition::Executed,
    }
}
