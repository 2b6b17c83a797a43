//! Data-path worker threads shared by every listener: each runs its own single-threaded Tokio
//! runtime, and a connection handed to one is served there from start to end. Its socket, its
//! upstream connection and its tasks never cross threads: a cross-thread wake-up costs more
//! than the gateway's own work on a short statement.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;

/// Pause after a failed `accept` (out of file descriptors, …) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// A connection's whole life, to run on a worker.
pub type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

thread_local! {
    /// `1 + i` on worker thread `i`, 0 elsewhere.
    static INDEX: Cell<usize> = const { Cell::new(0) };
}

/// The worker threads; see the module documentation.
pub struct Workers {
    queues: Vec<UnboundedSender<Job>>,
    next: AtomicUsize,
}

impl Workers {
    /// The process's workers: [`Self::count`] threads, started on first use. Jobs go to the
    /// calling runtime when none could be started.
    pub fn shared() -> &'static Workers {
        static SHARED: OnceLock<Workers> = OnceLock::new();
        SHARED.get_or_init(|| Workers::start(Self::count()))
    }

    /// How many workers [`Self::shared`] starts: `WARDEN_WORKERS` if set to a positive number,
    /// else one per core.
    pub fn count() -> usize {
        std::env::var("WARDEN_WORKERS")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// Starts `count` worker threads (fewer if threads cannot be created; the failure is logged).
    pub fn start(count: usize) -> Workers {
        let mut queues = Vec::with_capacity(count);
        for index in 0..count {
            match spawn(index) {
                Ok(queue) => queues.push(queue),
                Err(error) => tracing::error!(%error, index, "cannot start a worker thread"),
            }
        }
        Workers {
            queues,
            next: AtomicUsize::new(0),
        }
    }

    /// `1 + i` when called on worker `i`, 0 on any other thread.
    pub fn index() -> usize {
        INDEX.with(Cell::get)
    }

    /// Runs `job` on the next worker in turn, or on the calling runtime when there is none.
    /// Sockets must move as `std::net` sockets and be registered inside `job`.
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let mut job: Job = Box::pin(job);
        if !self.queues.is_empty() {
            let next = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
            match self.queues[next].send(job) {
                Ok(()) => return,
                Err(returned) => job = returned.0,
            }
        }
        tokio::spawn(job);
    }

    /// Accepts connections on `listener` forever; each is served by `serve` on the next worker,
    /// with its socket registered with that worker's runtime.
    pub async fn accept<F, Fut>(&self, listener: TcpListener, serve: F)
    where
        F: Fn(TcpStream, SocketAddr) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            };
            // Moved to the worker's reactor as a plain socket.
            let std = match tcp.into_std() {
                Ok(std) => std,
                Err(error) => {
                    tracing::warn!(%error, "cannot hand a connection over");
                    continue;
                }
            };
            let serve = serve.clone();
            self.spawn(async move {
                match TcpStream::from_std(std) {
                    Ok(tcp) => serve(tcp, peer).await,
                    Err(error) => tracing::warn!(%error, "cannot register a connection"),
                }
            });
        }
    }
}

/// Worker `index`: a thread with its own runtime, running the jobs sent to it.
fn spawn(index: usize) -> std::io::Result<UnboundedSender<Job>> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("warden-worker-{index}"))
        .spawn(move || {
            INDEX.with(|i| i.set(index + 1));
            runtime.block_on(async move {
                while let Some(job) = rx.recv().await {
                    tokio::spawn(job);
                }
            });
        })?;
    Ok(tx)
}
