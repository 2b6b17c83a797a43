//! The HTTP gateway's settings: listener-wide limits, and per connection the upstream API flavour
//! and the route rules that name actions.

use crate::ConfigDuration;
use serde::Deserialize;
use std::time::Duration;

/// Limits and routing shared by every HTTP connection (`[gateway.http]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Domain for Host-based routing: `<connection>.<domain>` selects a connection.
    #[serde(default)]
    pub domain: Option<String>,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_request_body")]
    pub max_request_body: usize,
    /// Largest response body that is buffered to be masked as a whole (JSON), in bytes.
    #[serde(default = "default_max_response_body")]
    pub max_response_body: usize,
    /// Largest request head (all header names and values together), in bytes.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// Time allowed to connect upstream and receive the response head.
    #[serde(default = "default_upstream_timeout")]
    pub upstream_timeout: ConfigDuration,
    /// Time allowed between two chunks of a response body.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: ConfigDuration,
    /// Longest a request held for review waits before Warden answers 202 with the review id.
    #[serde(default = "default_max_review_wait")]
    pub max_review_wait: ConfigDuration,
    /// Bytes of each body kept in a recording.
    #[serde(default = "default_recorded_body")]
    pub recorded_body_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            domain: None,
            max_request_body: default_max_request_body(),
            max_response_body: default_max_response_body(),
            max_header_bytes: default_max_header_bytes(),
            upstream_timeout: default_upstream_timeout(),
            idle_timeout: default_idle_timeout(),
            max_review_wait: default_max_review_wait(),
            recorded_body_bytes: default_recorded_body(),
        }
    }
}

fn default_max_request_body() -> usize {
    10 << 20
}
fn default_max_response_body() -> usize {
    32 << 20
}
fn default_max_header_bytes() -> usize {
    64 << 10
}
fn default_upstream_timeout() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(60))
}
fn default_idle_timeout() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(120))
}
fn default_max_review_wait() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(300))
}
fn default_recorded_body() -> usize {
    16 << 10
}

/// What kind of API an HTTP connection fronts, for protocol-aware features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpApi {
    /// An OpenAI-compatible LLM API: model allow-lists, token usage, prompt masking.
    Openai,
}

/// One route rule: requests with this method and path perform `action`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRoute {
    /// HTTP method (`GET`, `POST`, …) or `*` for any.
    pub method: String,
    /// Path pattern below the connection: `*` matches one segment, a final `**` the rest.
    pub path: String,
    /// The action requests on this route perform, e.g. `autogen:prompt`.
    pub action: String,
    /// Request bodies go to a model provider: personal data in them is masked before it leaves.
    #[serde(default)]
    pub outbound: bool,
}

/// A role's cap on LLM tokens per identity (`token_budget = { tokens = 200000, window = "1d" }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBudgetConfig {
    /// Tokens each identity may spend per window (prompt and completion together).
    pub tokens: u64,
    /// Window length; windows start at multiples of it since the Unix epoch (`1d` resets at
    /// 00:00 UTC).
    pub window: ConfigDuration,
}
