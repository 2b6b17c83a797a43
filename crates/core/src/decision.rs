//! The outcome of policy for one request.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Forward it.
    Allow,
    /// Hold it until enough approvers say yes.
    Review,
    /// Refuse it.
    Deny,
}

impl Verdict {
    /// Lowercase name used in audit events and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Review => "review",
            Verdict::Deny => "deny",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict with the rule that produced it and what it carries for later phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow, review or deny.
    pub verdict: Verdict,
    /// Id of the rule or Cedar policy that decided, e.g. `role:analyst/deny[0]` or `default-deny`.
    pub rule: String,
    /// A sentence a user can read: why this verdict.
    pub reason: String,
    /// For `review`: the review policy that governs approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_policy: Option<String>,
    /// The masking profile of the role that allowed it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_profile: Option<String>,
    /// The LLM token budget of the role that allowed it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_budget: Option<crate::TokenBudget>,
}

impl Decision {
    /// A deny with its rule and reason.
    pub fn deny(rule: impl Into<String>, reason: impl Into<String>) -> Self {
        Decision {
            verdict: Verdict::Deny,
            rule: rule.into(),
            reason: reason.into(),
            review_policy: None,
            mask_profile: None,
            token_budget: None,
        }
    }
}
