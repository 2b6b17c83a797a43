//! Grant rows as both backends store them, and their conversion to and from [`Grant`].

use crate::{StoreError, timestamp};
use uuid::Uuid;
use warden_core::Grant;

/// Columns of `grants`, in [`GrantRow`] order.
pub(crate) const GRANT_COLUMNS: &str = "id, review_id, identity, connection, role, reason, granted_by, created_at, expires_at, revoked_at, revoked_by";

/// Columns of `grants`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct GrantRow {
    pub id: String,
    pub review_id: Option<String>,
    pub identity: String,
    pub connection: String,
    pub role: String,
    pub reason: Option<String>,
    /// JSON array of strings.
    pub granted_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl GrantRow {
    /// The row for `grant`.
    pub fn from_grant(grant: &Grant) -> Result<Self, StoreError> {
        let granted_by =
            serde_json::to_string(&grant.granted_by).map_err(|e| StoreError::Corrupt {
                table: "grants",
                message: format!("grant {}: cannot encode granted_by: {e}", grant.id),
            })?;
        Ok(GrantRow {
            id: grant.id.to_string(),
            review_id: grant.review_id.map(|id| id.to_string()),
            identity: grant.identity.clone(),
            connection: grant.connection.clone(),
            role: grant.role.clone(),
            reason: grant.reason.clone(),
            granted_by,
            created_at: timestamp::format(&grant.created_at),
            expires_at: timestamp::format(&grant.expires_at),
            revoked_at: grant.revoked_at.as_ref().map(timestamp::format),
            revoked_by: grant.revoked_by.clone(),
        })
    }

    /// The grant in this row.
    pub fn into_grant(self) -> Result<Grant, StoreError> {
        let id_text = self.id;
        let corrupt = |what: &str, e: String| StoreError::Corrupt {
            table: "grants",
            message: format!("grant {id_text}: {what}: {e}"),
        };
        let uuid = |what: &str, text: &str| {
            Uuid::parse_str(text).map_err(|e| corrupt(what, e.to_string()))
        };
        let time = |what: &str, text: &str| timestamp::parse(text).map_err(|e| corrupt(what, e));
        Ok(Grant {
            id: uuid("id", &id_text)?,
            review_id: self
                .review_id
                .as_deref()
                .map(|r| uuid("review_id", r))
                .transpose()?,
            identity: self.identity,
            connection: self.connection,
            role: self.role,
            reason: self.reason,
            granted_by: serde_json::from_str(&self.granted_by)
                .map_err(|e| corrupt("granted_by", e.to_string()))?,
            created_at: time("created_at", &self.created_at)?,
            expires_at: time("expires_at", &self.expires_at)?,
            revoked_at: self
                .revoked_at
                .as_deref()
                .map(|t| time("revoked_at", t))
                .transpose()?,
            revoked_by: self.revoked_by,
        })
    }
}
