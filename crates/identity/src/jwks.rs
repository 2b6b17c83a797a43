//! A provider's signing keys: fetched from its JWKS (explicit or discovered), cached by `kid`,
//! refreshed when they get old or when a token names a key the cache does not know.
//!
//! Refreshes are single-flight (callers that waited while another refreshed reuse its result)
//! and happen at most once per `min_refresh`, so junk `kid`s cannot hammer the provider. A failed
//! refresh keeps the cached keys.

use crate::IdentityError;
use crate::error::shown;
use crate::http::get_json;
use crate::key::{VerifyingKey, from_jwk};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Keys older than this are refreshed on the next use.
pub(crate) const JWKS_TTL: Duration = Duration::from_secs(10 * 60);

/// Where a provider's keys are published.
#[derive(Debug, Clone)]
pub(crate) enum JwksSource {
    /// The configured `jwks_url`.
    Url(String),
    /// `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    Discovery {
        /// The configured issuer.
        issuer: String,
    },
}

/// The keys last fetched.
#[derive(Debug, Default)]
struct KeySet {
    keys: Vec<VerifyingKey>,
    /// `None` until the first successful fetch.
    fetched_at: Option<Instant>,
}

/// Bookkeeping of refreshes, guarded by the single-flight lock.
#[derive(Debug, Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
    /// Discovered JWKS URL; forgotten after a failed fetch so discovery runs again.
    discovered: Option<String>,
}

/// The key cache of one provider.
#[derive(Debug)]
pub(crate) struct JwksCache {
    provider: String,
    source: JwksSource,
    client: reqwest::Client,
    min_refresh: Duration,
    keys: RwLock<Arc<KeySet>>,
    /// Refresh attempts finished; lets a caller that waited for the lock see that its view is old.
    attempts: AtomicU64,
    refresh: Mutex<RefreshState>,
    /// Why the last refresh failed, if it did; read without waiting for a refresh in flight.
    last_error: StdMutex<Option<String>>,
}

impl JwksCache {
    /// An empty cache; nothing is fetched until a token needs a key.
    pub fn new(
        provider: &str,
        source: JwksSource,
        client: reqwest::Client,
        min_refresh: Duration,
    ) -> Self {
        JwksCache {
            provider: provider.to_owned(),
            source,
            client,
            min_refresh,
            keys: RwLock::new(Arc::new(KeySet::default())),
            attempts: AtomicU64::new(0),
            refresh: Mutex::new(RefreshState::default()),
            last_error: StdMutex::new(None),
        }
    }

    /// The key that must verify a token with `kid`: cached, or after one refresh.
    pub async fn key(&self, kid: Option<&str>) -> Result<VerifyingKey, IdentityError> {
        let seen = self.attempts.load(Ordering::Acquire);
        let current = self.snapshot();
        let stale = current.fetched_at.is_none_or(|at| at.elapsed() >= JWKS_TTL);
        if stale {
            self.refresh(seen).await;
        }

        let seen = self.attempts.load(Ordering::Acquire);
        let current = self.snapshot();
        if let Some(key) = find(&current, kid) {
            return Ok(key.clone());
        }
        if kid.is_some() {
            // Unknown kid: the provider may have rotated keys.
            self.refresh(seen).await;
        }
        let current = self.snapshot();
        if let Some(key) = find(&current, kid) {
            return Ok(key.clone());
        }
        if current.fetched_at.is_none() {
            let reason = self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            return Err(IdentityError::JwksUnavailable {
                provider: self.provider.clone(),
                reason: reason.unwrap_or_else(|| "no keys fetched yet".to_owned()),
            });
        }
        Err(IdentityError::UnknownKeyId(match kid {
            Some(kid) => format!(
                "key id {} is not published by provider {}; if the provider just rotated keys, retry shortly",
                shown(kid),
                self.provider
            ),
            None => format!(
                "token has no kid, and provider {} publishes {} keys",
                self.provider,
                current.keys.len()
            ),
        }))
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn store(&self, set: KeySet) {
        match self.keys.write() {
            Ok(mut guard) => *guard = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
    }

    /// Fetches the keys unless someone else did since `seen`, or the last attempt was less than
    /// `min_refresh` ago. Failures are remembered and logged; cached keys stay.
    async fn refresh(&self, seen: u64) {
        let mut state = self.refresh.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            return;
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.min_refresh)
        {
            return;
        }
        state.last_attempt = Some(Instant::now());
        let outcome = self.fetch(&mut state).await;
        let error = match outcome {
            Ok(keys) => {
                tracing::info!(provider = %self.provider, keys = keys.len(), "fetched jwks");
                self.store(KeySet {
                    keys,
                    fetched_at: Some(Instant::now()),
                });
                None
            }
            Err(reason) => {
                tracing::warn!(provider = %self.provider, %reason, "jwks refresh failed; keeping cached keys");
                Some(reason)
            }
        };
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = error;
        // Counted once the result is visible, so a caller that read the old count before its
        // lookup knows, once it holds the lock, that it can look again instead of fetching.
        self.attempts.fetch_add(1, Ordering::AcqRel);
    }

    async fn fetch(&self, state: &mut RefreshState) -> Result<Vec<VerifyingKey>, String> {
        let url = match (&self.source, &state.discovered) {
            (JwksSource::Url(url), _) => url.clone(),
            (JwksSource::Discovery { .. }, Some(url)) => url.clone(),
            (JwksSource::Discovery { issuer }, None) => {
                let url = self.discover(issuer).await?;
                state.discovered = Some(url.clone());
                url
            }
        };
        let result = get_json(&self.client, &url)
            .await
            .and_then(|document| self.parse_keys(&url, &document));
        if result.is_err() {
            state.discovered = None;
        }
        result
    }

    async fn discover(&self, issuer: &str) -> Result<String, String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let document = get_json(&self.client, &url).await?;
        let announced = document.get("issuer").and_then(Value::as_str);
        if announced.is_some_and(|a| a.trim_end_matches('/') != issuer.trim_end_matches('/')) {
            return Err(format!(
                "{url} names issuer {}, expected {issuer}",
                shown(announced.unwrap_or_default())
            ));
        }
        document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{url} has no jwks_uri"))
    }

    fn parse_keys(&self, url: &str, document: &Value) -> Result<Vec<VerifyingKey>, String> {
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{url} is not a JWKS (no keys array)"))?;
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            match from_jwk(entry) {
                Ok(Some(key)) => keys.push(key),
                Ok(None) => {}
                Err(reason) => {
                    let kid = entry.get("kid").and_then(Value::as_str).unwrap_or("?");
                    tracing::warn!(provider = %self.provider, kid = %shown(kid), %reason, "skipping unusable jwk");
                }
            }
        }
        Ok(keys)
    }
}

fn find<'a>(set: &'a KeySet, kid: Option<&str>) -> Option<&'a VerifyingKey> {
    match kid {
        Some(kid) => set.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None => match set.keys.as_slice() {
            [only] => Some(only),
            _ => None,
        },
    }
}
