//! Checks a verified token's registered claims and maps its claims to an [`Identity`].

use crate::IdentityError;
use crate::error::shown;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::time::Duration;
use warden_config::{MachineRule, OidcProvider};
use warden_core::{AuthMethod, Identity, IdentityKind};

/// What one provider requires of a token's claims and how it maps them.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub provider: String,
    pub issuer: String,
    pub audience: Vec<String>,
    pub leeway: Duration,
    pub subject_claim: String,
    pub groups_claim: String,
    pub scopes_claim: String,
    pub machine: Option<MachineRule>,
}

impl ClaimRules {
    /// The rules of provider `name`.
    pub fn new(name: &str, provider: &OidcProvider) -> Self {
        ClaimRules {
            provider: name.to_owned(),
            issuer: provider.issuer.clone(),
            audience: provider.audience.clone(),
            leeway: provider.leeway.0,
            subject_claim: provider.subject_claim.clone(),
            groups_claim: provider.groups_claim.clone(),
            scopes_claim: provider.scopes_claim.clone(),
            machine: provider.machine.clone(),
        }
    }

    /// Checks `iss`, `exp` (required), `nbf` and `aud` at time `now`, then builds the identity.
    pub fn identity(
        &self,
        claims: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Identity, IdentityError> {
        let issuer = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing("iss"))?;
        if issuer != self.issuer {
            return Err(IdentityError::WrongIssuer {
                provider: self.provider.clone(),
                issuer: shown(issuer),
                expected: self.issuer.clone(),
            });
        }

        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        let now_secs = now.timestamp();
        let expires_at = self
            .time(claims, "exp")?
            .ok_or_else(|| self.missing("exp"))?;
        if now_secs >= expires_at.timestamp().saturating_add(leeway) {
            return Err(IdentityError::TokenExpired { at: expires_at });
        }
        if let Some(not_before) = self.time(claims, "nbf")?
            && now_secs.saturating_add(leeway) < not_before.timestamp()
        {
            return Err(IdentityError::TokenNotYetValid { at: not_before });
        }

        let audiences = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if audiences.is_empty() {
            return Err(self.missing("aud"));
        }
        if !audiences
            .iter()
            .any(|aud| self.audience.iter().any(|a| a == aud))
        {
            return Err(IdentityError::WrongAudience {
                provider: self.provider.clone(),
                audience: shown(&audiences.join(", ")),
                accepted: self.audience.join(", "),
            });
        }

        let subject = match lookup(claims, &self.subject_claim) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(self.missing(&self.subject_claim)),
        };
        let kind = match &self.machine {
            Some(rule) if machine_rule_matches(rule, claims) => IdentityKind::Machine,
            _ => IdentityKind::Human,
        };
        Ok(Identity {
            subject,
            kind,
            groups: string_list(lookup(claims, &self.groups_claim)),
            scopes: string_list(lookup(claims, &self.scopes_claim)),
            issuer: issuer.to_owned(),
            auth_method: AuthMethod::Jwt,
            expires_at: Some(expires_at),
        })
    }

    fn missing(&self, claim: &str) -> IdentityError {
        IdentityError::MissingClaim {
            provider: self.provider.clone(),
            claim: claim.to_owned(),
        }
    }

    /// A NumericDate claim; `Ok(None)` when absent, `missing_claim` when not a valid time.
    fn time(
        &self,
        claims: &Map<String, Value>,
        name: &str,
    ) -> Result<Option<DateTime<Utc>>, IdentityError> {
        let Some(value) = claims.get(name) else {
            return Ok(None);
        };
        let seconds = value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f.floor() as i64));
        seconds
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(Some)
            .ok_or_else(|| self.missing(name))
    }
}

/// The claim `name`, or, if there is no such top-level claim, the dotted path through nested
/// objects (`realm_access.roles`).
fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// Groups or scopes: a JSON array of strings, or one space-separated string.
fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(text)) => text.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn machine_rule_matches(rule: &MachineRule, claims: &Map<String, Value>) -> bool {
    let Some(value) = lookup(claims, &rule.claim) else {
        return false;
    };
    let Some(expected) = &rule.equals else {
        return !value.is_null();
    };
    match value {
        Value::String(s) => s == expected,
        Value::Array(items) => items.iter().any(|item| item.as_str() == Some(expected)),
        Value::Null => false,
        other => serde_json::from_str::<Value>(expected).is_ok_and(|e| &e == other),
    }
}

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
