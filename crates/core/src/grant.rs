//! Grants: elevated access — a role on a connection for one identity until a deadline —
//! created when an access review is approved (or by an administrator), and revocable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A role on a connection granted to one identity for a limited time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Unique id.
    pub id: Uuid,
    /// The access review that led to it, if any.
    pub review_id: Option<Uuid>,
    /// Subject of the identity that holds it.
    pub identity: String,
    /// Connection name.
    pub connection: String,
    /// Role granted on the connection.
    pub role: String,
    /// Why it was asked for.
    pub reason: Option<String>,
    /// Subjects of the approvers (or the administrator) who granted it.
    pub granted_by: Vec<String>,
    /// When it was created; it is active from then on.
    pub created_at: DateTime<Utc>,
    /// When it stops being active.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Subject of whoever revoked it.
    pub revoked_by: Option<String>,
}

impl Grant {
    /// Whether it is in force at `now`: created, not yet expired and not yet revoked.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.created_at <= now
            && now < self.expires_at
            && self.revoked_at.is_none_or(|revoked| now < revoked)
    }
}

#[cfg(test)]
#[path = "grant_tests.rs"]
mod tests;
