//! Warden's domain: who is calling ([`Identity`]), what they reach ([`ConnectionKind`]), what a
//! request does ([`Action`]), what policy said ([`Decision`]), what gets written down
//! ([`AuditRecord`]), what waits for approvers ([`Review`]) and the access they grant ([`Grant`]),
//! and the request [`pipeline`] every protocol calls in the same order.
//!
//! This crate names no protocol. Protocol crates translate their wire format into these types.

pub mod action;
pub mod audit;
pub mod budget;
pub mod bytes;
pub mod connection;
pub mod decimal;
pub mod decision;
pub mod elapsed;
pub mod error;
pub mod grant;
pub mod identity;
pub mod json_str;
pub mod mask;
pub mod pipeline;
pub mod read_buf;
pub mod review;
pub mod secret;
pub mod session;
pub mod workers;

pub use action::Action;
pub use audit::{AuditKind, AuditRecord, Exchange, RequestEvent};
pub use budget::{TokenBudget, TokenLedger};
pub use connection::ConnectionKind;
pub use decision::{Decision, Verdict};
pub use error::{Fault, GatewayError};
pub use grant::Grant;
pub use identity::{AuthMethod, Identity, IdentityKind};
pub use pipeline::Pipeline;
pub use review::{
    GrantRequest, Review, ReviewError, ReviewKind, ReviewRequest, ReviewRules, ReviewState, Vote,
};
pub use secret::Secret;
pub use session::Session;
