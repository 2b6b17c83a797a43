//! One module per top-level command.

mod access;
mod audit;
mod config;
mod gateway;
mod http_replay;
mod keys;
mod login;
mod policy;
mod quickstart;
mod review;
pub mod sessions;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs the chosen command and returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config(command) => config::run(command),
        Command::Gateway(args) => gateway::run(&args.config).await,
        Command::Quickstart { dir, port } => quickstart::run(&dir, port).await,
        Command::Keys(command) => keys::run(command).await,
        Command::Policy(command) => policy::run(command),
        Command::Audit(command) => audit::run(command).await,
        Command::Login(args) => login::run(args).await,
        Command::Review(command) => review::run(command).await,
        Command::Access(command) => access::run_access(command).await,
        Command::Grants(command) => access::run_grants(command).await,
        Command::Sessions(command) => sessions::run(command).await,
        Command::Replay(args) => sessions::replay(args).await,
    }
}
