//! Process set-up shared by every command.

use crate::cli::LogFormat;
use tracing_subscriber::EnvFilter;
use warden_core::workers::thread_count;

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
/// whose workers have a thread per core of their own; with one thread the gateway measured as
/// fast as with one per core or a little faster (see docs/benchmarks.md).
const SHARED_THREADS: usize = 1;

/// The runtime every command runs on (the gateway's data-path workers run beside it).
pub fn shared_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let setting = std::env::var("TOKIO_WORKER_THREADS").ok();
    let threads = shared_threads(setting.as_deref())
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidInput, message))?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
}

/// The shared runtime's threads for the value of `TOKIO_WORKER_THREADS`, if it is set.
fn shared_threads(setting: Option<&str>) -> Result<usize, String> {
    setting.map_or(Ok(SHARED_THREADS), |value| {
        thread_count("TOKIO_WORKER_THREADS", value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_runtime_has_one_thread_unless_told_otherwise() {
        assert_eq!(shared_threads(None), Ok(1));
        assert_eq!(shared_threads(Some("3")), Ok(3));
        for bad in ["0", "-1", "two", ""] {
            let error = shared_threads(Some(bad)).unwrap_err();
            assert!(error.contains("TOKIO_WORKER_THREADS"), "{error}");
        }
        let expected = shared_threads(std::env::var("TOKIO_WORKER_THREADS").ok().as_deref());
        let runtime = shared_runtime().unwrap();
        assert_eq!(Ok(runtime.metrics().num_workers()), expected);
        // Work spawned from a task still runs with the one thread.
        let answer = runtime.block_on(async { tokio::spawn(async { 6 * 7 }).await.unwrap() });
        assert_eq!(answer, 42);
    }
}
