//! One worker per webhook: takes queued events in order and POSTs each, retrying with
//! exponential backoff, so a dead endpoint only ever delays its own events.

use super::sign::{EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use bytes::Bytes;
use chrono::Utc;
use reqwest::header::CONTENT_TYPE;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;
use warden_core::Secret;

/// Attempts per event before it is given up.
pub const MAX_ATTEMPTS: u32 = 5;
/// Wait before the first retry; doubled before each next one (0.5 s, 1 s, 2 s, 4 s).
pub const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);

/// One serialized event waiting for one webhook.
pub(crate) struct Delivery {
    /// `review.<transition>`.
    pub(crate) event: String,
    /// The review it is about, for logs.
    pub(crate) review: Uuid,
    /// The exact bytes to POST (and sign).
    pub(crate) body: Bytes,
}

/// Where and how one webhook is sent to.
pub(crate) struct Target {
    pub(crate) url: reqwest::Url,
    /// Scheme, host and port: the only part of the URL ever logged.
    pub(crate) label: String,
    pub(crate) secret: Option<Secret<Vec<u8>>>,
    pub(crate) timeout: Duration,
}

/// Delivers everything queued for `target` until the queue is closed and drained.
pub(crate) async fn run(
    client: reqwest::Client,
    target: Target,
    mut queue: mpsc::Receiver<Delivery>,
) {
    while let Some(delivery) = queue.recv().await {
        deliver(&client, &target, &delivery).await;
    }
}

async fn deliver(client: &reqwest::Client, target: &Target, delivery: &Delivery) {
    let mut delay = FIRST_RETRY_DELAY;
    for attempt in 1..=MAX_ATTEMPTS {
        match send(client, target, delivery).await {
            Ok(()) => {
                tracing::debug!(webhook = %target.label, event = %delivery.event,
                    review = %delivery.review, attempt, "webhook delivered");
                return;
            }
            Err(why) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(webhook = %target.label, event = %delivery.event,
                    review = %delivery.review, attempt, error = %why,
                    "webhook delivery failed; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            Err(why) => tracing::warn!(webhook = %target.label, event = %delivery.event,
                review = %delivery.review, attempts = MAX_ATTEMPTS, error = %why,
                "webhook delivery failed; the event is dropped"),
        }
    }
}

/// One attempt; the error says what failed without the URL or any secret.
async fn send(
    client: &reqwest::Client,
    target: &Target,
    delivery: &Delivery,
) -> Result<(), String> {
    let mut request = client
        .post(target.url.clone())
        .timeout(target.timeout)
        .header(CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, &delivery.event);
    if let Some(secret) = &target.secret {
        // Signed per attempt, so a retry carries a fresh timestamp.
        let timestamp = Utc::now().timestamp().to_string();
        let signature = sign(secret.expose(), &timestamp, &delivery.body)
            .ok_or("the secret cannot key HMAC-SHA256")?;
        request = request
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature);
    }
    let response = request
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| describe(&e.without_url(), target.timeout))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered HTTP {status}"))
    }
}

fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {timeout:?}");
    }
    warden_core::error::with_sources(error)
}
