//! Where review transitions are announced: the configured webhooks.

use std::sync::Arc;
use warden_config::Config;
use warden_review::{Notify, ReviewEvent, WebhookNotifier, resolve_webhooks};

/// The notifier for `config`'s webhooks (must be called inside the runtime).
pub fn notifier(config: &Config) -> anyhow::Result<Arc<dyn Notify>> {
    if config.webhooks.is_empty() {
        return Ok(Arc::new(Silent));
    }
    let hooks = resolve_webhooks(config).map_err(|e| anyhow::anyhow!("webhooks: {e}"))?;
    let notifier = WebhookNotifier::start(hooks).map_err(|e| anyhow::anyhow!("webhooks: {e}"))?;
    Ok(Arc::new(notifier))
}

/// Announces nothing (no webhooks configured).
struct Silent;

impl Notify for Silent {
    fn notify(&self, _event: &ReviewEvent) {}
}
