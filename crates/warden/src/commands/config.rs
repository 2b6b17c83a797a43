//! `warden config check`.

use crate::cli::ConfigCommand;
use std::process::ExitCode;

/// Validates a config file and prints either a summary or the error at fault.
pub fn run(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Check { file } => match warden_config::load(&file) {
            Ok(config) => {
                println!(
                    "{}: ok ({} connections, {} roles, {} identity providers, {} review policies, {} masking profiles)",
                    file.display(),
                    config.connections.len(),
                    config.roles.len(),
                    config.identity.oidc.len(),
                    config.review_policies.len(),
                    config.masking.profiles.len(),
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                eprintln!("{error}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}
