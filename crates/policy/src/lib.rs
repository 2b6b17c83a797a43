//! Policy: roles bind identities to connections and give each action a verdict (`allow`,
//! `review`, `deny`); Cedar policies add attribute rules (connection tags, tables, source
//! address, time). Deny beats review beats allow, and anything unmatched is denied.
//!
//! Build a [`PolicyEngine`] with [`PolicyEngine::from_config`], then call
//! [`PolicyEngine::decide`] per request, or [`PolicyEngine::explain`] for `warden policy check`.

mod cedar;
mod engine;
mod error;
mod explain;
mod hit;
pub mod pattern;
mod roles;

pub use cedar::CEDAR_SCHEMA;
pub use engine::PolicyEngine;
pub use error::{CedarProblem, PolicyError};
pub use explain::{Explanation, RuleMatch, RuleOrigin};
pub use hit::{DEFAULT_DENY, UNKNOWN_CONNECTION};
pub use pattern::{ActionPattern, ConnectionPattern};
