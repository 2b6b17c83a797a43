//! The authenticated caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a person or a program is behind an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// A person, usually logged in through an identity provider.
    Human,
    /// An agent, CI job or bot.
    Machine,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// An OIDC/JWT access token checked against the provider's keys.
    Jwt,
    /// A Warden API key.
    ApiKey,
}

impl AuthMethod {
    /// Stable lowercase name used in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Jwt => "jwt",
            AuthMethod::ApiKey => "api_key",
        }
    }
}

/// A caller whose credential was verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Stable subject: the token's `sub` or the API key's name.
    pub subject: String,
    /// Person or program.
    pub kind: IdentityKind,
    /// Groups the identity belongs to (from a claim or the API key).
    pub groups: Vec<String>,
    /// OAuth scopes or API key scopes.
    pub scopes: Vec<String>,
    /// Who vouched for it: the token issuer, or `warden` for API keys.
    pub issuer: String,
    /// How the credential was checked.
    pub auth_method: AuthMethod,
    /// When the credential stops being valid, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Identity {
    /// Whether the identity is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the identity holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
