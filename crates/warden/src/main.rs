//! `warden`: the identity-aware access gateway, and the CLI that runs and inspects it.

use clap::Parser;
use std::process::ExitCode;
use warden_app::{cli, commands, runtime};

// Many small, short-lived allocations per statement across worker threads: mimalloc spends a
// fraction of what glibc malloc does on them (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    runtime::init_logging(cli.log_format);
    warden_tls::install_crypto_provider();
    // Read here only to refuse a bad value; the workers read them again when they start.
    if let Err(message) = warden_core::workers::Settings::from_env() {
        eprintln!("error: cannot start the data-path workers: {message}");
        return ExitCode::FAILURE;
    }
    let tokio = match runtime::shared_runtime() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match tokio.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
