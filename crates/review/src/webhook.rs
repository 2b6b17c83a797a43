//! Outgoing webhooks: every review transition is POSTed to the configured endpoints, as a
//! signed json event or a Slack message. [`WebhookNotifier::notify`] only queues; one worker
//! per webhook delivers in order, with retries, so a slow or dead endpoint delays nothing else.

mod deliver;
mod json;
mod resolve;
mod sign;
mod slack;

pub use deliver::{FIRST_RETRY_DELAY, MAX_ATTEMPTS};
pub use resolve::{ResolvedWebhook, WebhookError, resolve_webhooks};
pub use sign::{EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature};

use crate::{Notify, ReviewEvent, Transition};
use bytes::Bytes;
use deliver::{Delivery, Target};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;
use warden_config::WebhookFormat;

/// Events each webhook may have waiting; past this, new events for it are dropped (and logged).
pub const QUEUE_CAPACITY: usize = 1000;

/// Announces review transitions to webhooks; cheap to call from any thread.
pub struct WebhookNotifier {
    hooks: Vec<Hook>,
    workers: Vec<JoinHandle<()>>,
}

/// The notifier's side of one webhook.
struct Hook {
    format: WebhookFormat,
    events: Option<Vec<Transition>>,
    label: String,
    queue: mpsc::Sender<Delivery>,
}

impl WebhookNotifier {
    /// Starts one delivery worker per webhook; call inside a tokio runtime.
    pub fn start(hooks: Vec<ResolvedWebhook>) -> Result<WebhookNotifier, WebhookError> {
        let client = reqwest::Client::builder()
            // A redirect would carry a signed event somewhere not configured.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("warden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        let mut targets = Vec::with_capacity(hooks.len());
        for hook in hooks {
            let label = resolve::origin(&hook.url)?;
            let url =
                reqwest::Url::parse(&hook.url).map_err(|e| WebhookError::Url(e.to_string()))?;
            if hook.format == WebhookFormat::Json && hook.secret.is_none() {
                return Err(WebhookError::MissingSecret(label));
            }
            targets.push((hook, label, url));
        }
        let mut notifier = WebhookNotifier {
            hooks: Vec::with_capacity(targets.len()),
            workers: Vec::with_capacity(targets.len()),
        };
        for (hook, label, url) in targets {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            let target = Target {
                url,
                label: label.clone(),
                secret: hook.secret,
                timeout: hook.timeout,
            };
            notifier
                .workers
                .push(tokio::spawn(deliver::run(client.clone(), target, receiver)));
            notifier.hooks.push(Hook {
                format: hook.format,
                events: hook.events,
                label,
                queue: sender,
            });
        }
        Ok(notifier)
    }

    /// Stops taking events and waits until every queued one is delivered or given up.
    pub async fn close(self) {
        drop(self.hooks);
        for worker in self.workers {
            // A worker that panicked has nothing left to deliver.
            let _ = worker.await;
        }
    }
}

impl Notify for WebhookNotifier {
    fn notify(&self, event: &ReviewEvent) {
        let mut json_body = None;
        let mut slack_body = None;
        for hook in &self.hooks {
            if hook
                .events
                .as_ref()
                .is_some_and(|events| !events.contains(&event.transition))
            {
                continue;
            }
            let body = match hook.format {
                WebhookFormat::Json => {
                    json_body.get_or_insert_with(|| serialize(event, json::body))
                }
                WebhookFormat::Slack => {
                    slack_body.get_or_insert_with(|| serialize(event, slack::body))
                }
            };
            let Some(body) = body else { continue };
            let delivery = Delivery {
                event: json::event_name(event),
                review: event.review.id,
                body: body.clone(),
            };
            match hook.queue.try_send(delivery) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => tracing::warn!(
                    webhook = %hook.label, review = %event.review.id,
                    event = event.transition.as_str(),
                    "webhook queue is full ({QUEUE_CAPACITY} events waiting); event for review {} dropped",
                    event.review.id
                ),
                Err(TrySendError::Closed(_)) => tracing::warn!(
                    webhook = %hook.label, review = %event.review.id,
                    "webhook worker has stopped; event for review {} dropped", event.review.id
                ),
            }
        }
    }
}

fn serialize(
    event: &ReviewEvent,
    body: fn(&ReviewEvent) -> serde_json::Result<Vec<u8>>,
) -> Option<Bytes> {
    body(event)
        .inspect_err(|e| {
            tracing::warn!(review = %event.review.id, error = %e,
                "cannot serialize the webhook event; not sent");
        })
        .ok()
        .map(Bytes::from)
}
