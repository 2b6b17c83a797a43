//! The answer to "may X do Y on Z, and why?" (`warden policy check`).

use serde::Serialize;
use warden_core::{Decision, Verdict};

/// Where a matching rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleOrigin {
    /// A role's `allow`, `review` or `deny` list in the config.
    Role,
    /// A Cedar policy.
    Cedar,
}

/// One rule or policy that matched the request, with the verdict it asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// Rule id: `role:analyst/deny[0]`, `cedar:<id>`.
    pub rule: String,
    /// Where it comes from.
    pub origin: RuleOrigin,
    /// The verdict it asks for; a Cedar policy that failed to evaluate asks for `deny`.
    pub verdict: Verdict,
    /// A sentence saying why it matched (the pattern, the policy file, or the evaluation error).
    pub reason: String,
    /// Review policy it names, for `review`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_policy: Option<String>,
    /// Masking profile it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_profile: Option<String>,
}

/// A decision together with everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision `decide` returns for the same request.
    pub decision: Decision,
    /// Roles that bind the identity and list the connection, in name order.
    pub roles: Vec<String>,
    /// Every rule and policy that matched, roles first (by name, deny/review/allow lists in
    /// order), then Cedar policies in file order.
    pub matches: Vec<RuleMatch>,
}

impl Explanation {
    /// The final verdict.
    pub fn verdict(&self) -> Verdict {
        self.decision.verdict
    }

    /// Exit status for `warden policy check`: 0 allow, 1 deny, 2 review.
    pub fn exit_code(&self) -> i32 {
        match self.decision.verdict {
            Verdict::Allow => 0,
            Verdict::Deny => 1,
            Verdict::Review => 2,
        }
    }
}
