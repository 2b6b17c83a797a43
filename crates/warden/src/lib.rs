//! The Warden application: CLI commands and the wiring that turns a config into a running
//! gateway. The `warden` binary is a thin `main` over this library; integration tests build
//! gateways in-process with [`wiring::Gateway`].

pub mod admin;
pub mod cli;
pub mod client;
pub mod commands;
pub mod masking;
pub mod notify;
pub mod retention;
pub mod runtime;
pub mod state;
pub mod tls_listener;
pub mod wiring;
