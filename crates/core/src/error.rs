//! The error every phase returns, classified by who is at fault.

use thiserror::Error;

/// Who caused a failure; decides how it is reported and whether a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bad credential, forbidden action, malformed input: the caller must change something.
    Client,
    /// The target refused or failed.
    Upstream,
    /// Warden itself could not do its job (store, audit, policy load); the request fails closed.
    Gateway,
}

/// A refusal or failure of one request, with a message safe to show the caller.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct GatewayError {
    /// Who is at fault.
    pub fault: Fault,
    /// Machine-readable reason, e.g. `token_expired`, `policy_denied`, `audit_unavailable`.
    pub code: &'static str,
    /// Lowercase, specific, safe to show: never contains a secret.
    pub message: String,
    /// The review a refusal is waiting on (fail-fast reviews), for protocols that can answer
    /// "accepted, pending review" instead of an error.
    pub review: Option<String>,
}

impl GatewayError {
    /// A failure the caller caused.
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        GatewayError {
            fault: Fault::Client,
            code,
            message: message.into(),
            review: None,
        }
    }

    /// A failure inside Warden; the request is refused.
    pub fn gateway(code: &'static str, message: impl Into<String>) -> Self {
        GatewayError {
            fault: Fault::Gateway,
            code,
            message: message.into(),
            review: None,
        }
    }

    /// The same refusal, naming the review it waits on.
    pub fn with_review(mut self, id: impl Into<String>) -> Self {
        self.review = Some(id.into());
        self
    }

    /// A failure of the target.
    pub fn upstream(code: &'static str, message: impl Into<String>) -> Self {
        GatewayError {
            fault: Fault::Upstream,
            code,
            message: message.into(),
            review: None,
        }
    }
}

/// `error` and each of its sources, joined by `: ` (a client library's error usually says
/// only "request failed"; the reason is in its sources).
pub fn with_sources(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
