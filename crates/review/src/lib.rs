//! Approvals: a `review` verdict becomes a stored review that approvers vote on; the held
//! request runs (once, exactly as approved) or is refused. Access reviews become grants.
//! Every transition is audited and announced to the configured webhooks.

mod error;
mod event;
mod grants;
mod hold;
mod service;
mod webhook;

pub use error::ServiceError;
pub use event::{Notify, ReviewEvent, Transition};
pub use grants::{GrantIndex, REFRESH_INTERVAL};
pub use hold::{DEFAULT_POLICY, justification};
pub use service::{AccessRequest, POLL_INTERVAL, ReviewService};
pub use webhook::{
    EVENT_HEADER, FIRST_RETRY_DELAY, MAX_ATTEMPTS, QUEUE_CAPACITY, ResolvedWebhook,
    SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError, WebhookNotifier, resolve_webhooks,
    verify_signature,
};
