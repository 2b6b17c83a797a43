//! Process set-up shared by every command.

use crate::cli::LogFormat;
use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Threads of the shared runtime unless `TOKIO_WORKER_THREADS` sets another number. It carries
/// the audit chain, the admin API and the commands' own work, none of it on the data path,
/// whose workers have a thread per core of their own: a second thread here only woke to look
/// for work the first already had, on the cores the data path needs (see docs/benchmarks.md).
pub const SHARED_THREADS: usize = 1;

/// The runtime every command runs on (the gateway's data-path workers run beside it).
pub fn shared_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(SHARED_THREADS);
    }
    builder.enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_runtime_has_one_thread_unless_tokio_is_told_otherwise() {
        let expected = std::env::var("TOKIO_WORKER_THREADS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(SHARED_THREADS);
        let runtime = shared_runtime().unwrap();
        assert_eq!(runtime.metrics().num_workers(), expected);
        // Work spawned from a task still runs with the one thread.
        let answer = runtime.block_on(async { tokio::spawn(async { 6 * 7 }).await.unwrap() });
        assert_eq!(answer, 42);
    }
}
