//! Warden's configuration: one TOML file describing the gateway, identity providers,
//! connections, roles, review policies and masking profiles.
//!
//! [`load`] reads and validates a file; every error names the file, line, key and what was
//! expected.

mod duration;
mod error;
mod http;
mod load;
mod locate;
pub mod model;
mod validate;

pub use duration::ConfigDuration;
pub use error::ConfigError;
pub use http::{HttpApi, HttpRoute, HttpSettings, TokenBudgetConfig};
pub use load::{load, parse};
pub use model::*;
pub use validate::{ALGORITHMS, DETECTORS};
