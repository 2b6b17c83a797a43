//! One module per top-level command.

mod config;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs the chosen command and returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config(command) => config::run(command),
        _ => anyhow::bail!("not wired yet"),
    }
}
