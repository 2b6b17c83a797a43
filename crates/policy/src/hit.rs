//! A rule that matched one request, and how matches combine into one decision.

use crate::cedar::PolicyMeta;
use crate::explain::{RuleMatch, RuleOrigin};
use crate::roles::RoleRule;
use warden_core::pipeline::DecisionRequest;
use warden_core::{Decision, Verdict};

/// Rule id of the decision when nothing matched.
pub const DEFAULT_DENY: &str = "default-deny";
/// Rule id of the decision for a connection the config does not define.
pub const UNKNOWN_CONNECTION: &str = "unknown-connection";

/// One matching rule; borrowed from the engine so the hot path allocates only for the result.
#[derive(Debug)]
pub(crate) enum Hit<'e> {
    /// An entry of a role's list whose pattern matched.
    Role(&'e RoleRule),
    /// A satisfied Cedar policy.
    Cedar(&'e PolicyMeta),
    /// A Cedar policy that could not be evaluated: it denies (fail closed).
    CedarFailure {
        /// `cedar:<id>`.
        rule: String,
        /// What went wrong.
        message: String,
    },
}

impl Hit<'_> {
    pub(crate) fn verdict(&self) -> Verdict {
        match self {
            Hit::Role(rule) => rule.verdict,
            Hit::Cedar(meta) => meta.verdict,
            Hit::CedarFailure { .. } => Verdict::Deny,
        }
    }

    fn rule(&self) -> &str {
        match self {
            Hit::Role(rule) => &rule.id,
            Hit::Cedar(meta) => &meta.rule,
            Hit::CedarFailure { rule, .. } => rule,
        }
    }

    fn review_policy(&self) -> Option<&str> {
        match self {
            Hit::Role(rule) if rule.verdict == Verdict::Review => rule.review_policy.as_deref(),
            Hit::Cedar(meta) => meta.review_policy.as_deref(),
            _ => None,
        }
    }

    fn mask(&self) -> Option<&str> {
        match self {
            Hit::Role(rule) if rule.verdict != Verdict::Deny => rule.mask.as_deref(),
            Hit::Cedar(meta) => meta.mask.as_deref(),
            _ => None,
        }
    }

    fn token_budget(&self) -> Option<warden_core::TokenBudget> {
        match self {
            Hit::Role(rule) if rule.verdict != Verdict::Deny => rule.token_budget,
            _ => None,
        }
    }

    fn reason(&self, req: &DecisionRequest<'_>) -> String {
        let (action, connection) = (&req.action.name, req.connection);
        match self {
            // Built piece by piece: this runs for every statement, and `format!` costs more
            // than the rest of a role's decision.
            Hit::Role(rule) => {
                let verb = verb(rule.verdict);
                let pattern = rule.pattern.as_str();
                let mut reason = String::with_capacity(
                    32 + rule.role.len()
                        + verb.len()
                        + action.len()
                        + connection.len()
                        + pattern.len(),
                );
                for part in [
                    "role ",
                    rule.role.as_str(),
                    " ",
                    verb,
                    " ",
                    action.as_str(),
                    " on ",
                    connection,
                ] {
                    reason.push_str(part);
                }
                reason.push_str(" (pattern ");
                push_debug_str(&mut reason, pattern);
                reason.push(')');
                reason
            }
            Hit::Cedar(meta) => format!(
                "cedar policy {} in {} {} {action} on {connection}",
                meta.rule.trim_start_matches("cedar:"),
                meta.file.display(),
                verb(meta.verdict)
            ),
            Hit::CedarFailure { message, .. } => {
                format!("{message}; refusing because policy could not be evaluated")
            }
        }
    }

    /// The public form, for explanations.
    pub(crate) fn to_match(&self, req: &DecisionRequest<'_>) -> RuleMatch {
        RuleMatch {
            rule: self.rule().to_owned(),
            origin: match self {
                Hit::Role(_) => RuleOrigin::Role,
                Hit::Cedar(_) | Hit::CedarFailure { .. } => RuleOrigin::Cedar,
            },
            verdict: self.verdict(),
            reason: self.reason(req),
            review_policy: self.review_policy().map(str::to_owned),
            mask_profile: self.mask().map(str::to_owned),
        }
    }
}

/// Appends `text` as `{:?}` formats it, quoted and escaped.
fn push_debug_str(out: &mut String, text: &str) {
    if text
        .bytes()
        .all(|b| b == b' ' || (b.is_ascii_graphic() && b != b'"' && b != b'\\'))
    {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{text:?}");
    }
}

fn verb(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Allow => "allows",
        Verdict::Review => "requires approval for",
        Verdict::Deny => "denies",
    }
}

fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Allow => 0,
        Verdict::Review => 1,
        Verdict::Deny => 2,
    }
}

/// Deny beats review beats allow; nothing matched is a default deny. The deciding hit is the
/// first with the winning verdict; its masking profile applies, or, if it names none, the first
/// profile named by another hit with the same verdict.
pub(crate) fn combine(hits: &[Hit<'_>], req: &DecisionRequest<'_>) -> Decision {
    let Some(verdict) = hits.iter().map(Hit::verdict).max_by_key(|v| rank(*v)) else {
        return Decision::deny(
            DEFAULT_DENY,
            format!(
                "no role or cedar policy allows {} on {} for {}",
                req.action.name, req.connection, req.identity.subject
            ),
        );
    };
    let mut same = hits.iter().filter(|h| h.verdict() == verdict);
    // The deciding role's budget, else the first budget of another role with that verdict.
    let token_budget = match verdict {
        Verdict::Deny => None,
        _ => hits
            .iter()
            .filter(|h| h.verdict() == verdict)
            .find_map(Hit::token_budget),
    };
    let Some(deciding) = same.next() else {
        return Decision::deny(DEFAULT_DENY, "no rule decided");
    };
    let mask_profile = match verdict {
        Verdict::Deny => None,
        _ => deciding
            .mask()
            .or_else(|| same.find_map(Hit::mask))
            .map(str::to_owned),
    };
    Decision {
        verdict,
        rule: deciding.rule().to_owned(),
        reason: deciding.reason(req),
        review_policy: match verdict {
            Verdict::Review => deciding.review_policy().map(str::to_owned),
            _ => None,
        },
        mask_profile,
        token_budget,
    }
}

#[cfg(test)]
mod tests {
    use super::push_debug_str;

    #[test]
    fn debug_strings_match_the_debug_format() {
        for text in [
            "sql:*",
            "sql:read on *",
            "a\"b",
            "back\\slash",
            "tab\there",
            "ünï",
            "",
        ] {
            let mut out = String::new();
            push_debug_str(&mut out, text);
            assert_eq!(out, format!("{text:?}"), "{text}");
        }
    }
}
