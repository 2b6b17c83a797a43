//! Why a review operation failed.

use thiserror::Error;
use uuid::Uuid;
use warden_core::{GatewayError, ReviewError};
use warden_store::StoreError;

/// A failed review operation, worded for the person or client who asked.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// No review has this id.
    #[error("no review has id {0}")]
    NotFound(Uuid),
    /// A role names a review policy the config does not define.
    #[error("review policy {0} is not configured")]
    UnknownPolicy(String),
    /// The review rules refused the operation (self-approval, double vote, not pending, ...).
    #[error(transparent)]
    Rules(#[from] ReviewError),
    /// The request itself is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The review kept changing under concurrent votes.
    #[error("review {0} is changing too fast to update; try again")]
    Busy(Uuid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log could not record the change, so it was not made.
    #[error("{0}")]
    Audit(GatewayError),
}

impl ServiceError {
    /// Whether the caller caused it (as opposed to the store or the audit log).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            ServiceError::NotFound(_) | ServiceError::Rules(_) | ServiceError::Invalid(_)
        )
    }
}
