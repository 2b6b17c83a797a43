//! Fetching the provider's JSON documents (discovery, JWKS) with timeouts and a size bound.

use crate::IdentityError;
use serde_json::Value;
use std::time::Duration;

/// Largest discovery document or JWKS accepted.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Connect and whole-request timeout of every fetch.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client for identity provider documents.
pub(crate) fn client() -> Result<reqwest::Client, IdentityError> {
    reqwest::Client::builder()
        .connect_timeout(FETCH_TIMEOUT)
        .timeout(FETCH_TIMEOUT)
        .user_agent(concat!("warden/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| IdentityError::Config(format!("cannot build the http client: {e}")))
}

/// GETs `url` and parses the body as JSON; the error says what failed, for the operator.
pub(crate) async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("GET {url} failed: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url} returned HTTP {status}"));
    }
    let too_large = || format!("{url} returned more than {MAX_DOCUMENT_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading {url} failed: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("{url} did not return json: {e}"))
}
