//! The PostgreSQL gateway: speaks the v3 wire protocol to clients, authenticates them with a
//! token as the password, classifies every statement, asks the shared pipeline for a verdict,
//! and relays allowed traffic to the real server using credentials the client never sees.
//!
//! This crate translates wire messages into pipeline calls; it holds no policy of its own.

pub mod cancel;
pub mod catalog;
pub mod error;
pub mod frame;
pub mod listener;
pub mod masking;
pub mod messages;
pub mod named;
pub mod params;
pub mod recording;
pub mod served;
pub mod session;
pub mod statements;
pub mod stream;
pub mod upstream;
pub mod upstream_tls;

pub use error::PgError;

pub use listener::{PgGateway, PgListenerConfig};
pub use upstream::UpstreamTarget;
