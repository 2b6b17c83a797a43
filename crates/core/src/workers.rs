//! Data-path worker threads shared by every listener: each runs its own single-threaded Tokio
//! runtime, and a connection handed to one is served there: its socket, its upstream
//! connection and its tasks never cross threads while it runs, because a cross-thread wake-up
//! costs more than the gateway's own work on a short statement.
//!
//! Connections are placed by their listener's [`Placement`]. Sessions that can move between
//! requests ([`Placement::Pack`]) are packed onto as few workers as carry their load and
//! spread out when a worker gets hot; see the `balance` module.

mod balance;
mod idle;
mod settings;
mod trial;

pub use settings::{Settings, thread_count};

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;

/// Pause after a failed `accept` (out of file descriptors, …) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// How long an explicit [`Workers::request_move`] stays asked for before the balancer may
/// plan over it, in balancer periods.
const REQUEST_HOLD: u32 = 50;

/// A connection's whole life (or the rest of it), to run on a worker.
pub type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The process's workers, once started.
static SHARED: OnceLock<Workers> = OnceLock::new();

thread_local! {
    /// `1 + i` on worker thread `i`, 0 elsewhere.
    static INDEX: Cell<usize> = const { Cell::new(0) };
}

/// How a listener's connections are placed on workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Each on the next worker in turn, for its whole life.
    Spread,
    /// On the first worker with room (`balance::pack`); the session moves between workers
    /// at the points it chooses ([`Workers::departure`]).
    Pack,
}

/// The worker threads; see the module documentation.
pub struct Workers {
    queues: Vec<UnboundedSender<Job>>,
    next: AtomicUsize,
    seats: Arc<Seats>,
}

/// What the balancer and the sessions share, one entry per worker.
struct Seats {
    /// Load, per mille of one core.
    load: Vec<AtomicU32>,
    /// The whole machine's smoothed idle time, per mille of one core.
    idle: AtomicU32,
    /// Movable sessions served there.
    movable: Vec<AtomicU32>,
    /// Movable sessions asked to leave at their next chance.
    shed: Vec<AtomicU32>,
    /// Where those go.
    shed_to: Vec<AtomicUsize>,
    /// Exchanges movable sessions finished there, each written only by its worker.
    turns: Vec<Turns>,
    /// Moves started since the process began.
    moves: AtomicU64,
    /// Spreads on the idle rule kept because the turns per second rose.
    spreads_kept: AtomicU64,
    /// Spreads on the idle rule undone because they did not.
    spreads_undone: AtomicU64,
    /// Whether loads are sampled; without them packing would put everything on one worker.
    balanced: AtomicBool,
    /// Balancer periods left before it may plan over an explicit request.
    hold: AtomicU32,
    /// Held while asking for moves, so that a request and a plan do not overwrite each other.
    asking: Mutex<()>,
}

impl Seats {
    /// Seats for `n` workers, nothing asked, loads not sampled.
    fn new(n: usize) -> Seats {
        Seats {
            load: (0..n).map(|_| AtomicU32::new(0)).collect(),
            idle: AtomicU32::new(0),
            movable: (0..n).map(|_| AtomicU32::new(0)).collect(),
            shed: (0..n).map(|_| AtomicU32::new(0)).collect(),
            shed_to: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            turns: (0..n).map(|_| Turns::default()).collect(),
            moves: AtomicU64::new(0),
            spreads_kept: AtomicU64::new(0),
            spreads_undone: AtomicU64::new(0),
            balanced: AtomicBool::new(false),
            hold: AtomicU32::new(0),
            asking: Mutex::new(()),
        }
    }

    /// Exchanges finished on every worker.
    fn turns(&self) -> u64 {
        self.turns
            .iter()
            .fold(0, |sum, t| sum.wrapping_add(t.0.load(Ordering::Relaxed)))
    }
}

/// A worker's count of finished exchanges, on a cache line of its own so that counting does
/// not slow the other workers.
#[derive(Default)]
#[repr(align(128))]
struct Turns(AtomicU64);

impl Workers {
    /// The process's workers: [`Self::count`] threads, started on first use. Jobs go to the
    /// calling runtime when none could be started.
    pub fn shared() -> &'static Workers {
        SHARED.get_or_init(|| Workers::start(Self::count()))
    }

    /// The process's workers if they have been started (no threads are started by asking).
    pub fn started() -> Option<&'static Workers> {
        SHARED.get()
    }

    /// How many workers [`Self::shared`] starts: `WARDEN_WORKERS`, else one per core (also when
    /// it is bad, which the `warden` binary refuses at start, see [`Settings`]).
    pub fn count() -> usize {
        settings::count_from_env()
    }

    /// Whether packing listeners' sessions are balanced: yes unless `WARDEN_BALANCE=off`,
    /// which places every connection on the next worker in turn.
    fn balancing() -> bool {
        settings::balance_from_env()
    }

    /// Starts `count` worker threads (fewer if threads cannot be created; the failure is
    /// logged), and with two or more the balancer thread that samples their loads.
    pub fn start(count: usize) -> Workers {
        let mut queues = Vec::with_capacity(count);
        let mut stats = Vec::with_capacity(count);
        for index in 0..count {
            match spawn(index) {
                Ok((queue, stat)) => {
                    queues.push(queue);
                    stats.push(stat);
                }
                Err(error) => tracing::error!(%error, index, "cannot start a worker thread"),
            }
        }
        let n = queues.len();
        let seats = Arc::new(Seats::new(n));
        if n > 1 && Self::balancing() {
            let paths = stats.into_iter().collect::<Option<Vec<_>>>();
            match paths.and_then(balance::Sampler::new) {
                Some(sampler) => {
                    let shared = seats.clone();
                    let started = std::thread::Builder::new()
                        .name("warden-balancer".into())
                        .spawn(move || balance::run(sampler, &shared));
                    match started {
                        Ok(_) => seats.balanced.store(true, Ordering::Relaxed),
                        Err(error) => tracing::warn!(%error, "cannot start the balancer"),
                    }
                }
                None => tracing::info!(
                    "worker loads cannot be read from /proc: connections are spread in turn"
                ),
            }
        }
        Workers {
            queues,
            next: AtomicUsize::new(0),
            seats,
        }
    }

    /// `1 + i` when called on worker `i`, 0 on any other thread.
    pub fn index() -> usize {
        INDEX.with(Cell::get)
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.queues.len()
    }

    /// Whether no worker runs (jobs then go to the calling runtime).
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// Runs `job` on a worker chosen by `placement`, or on the calling runtime when there is
    /// none. Sockets must move as `std::net` sockets and be registered inside `job`.
    pub fn spawn(&self, placement: Placement, job: impl Future<Output = ()> + Send + 'static) {
        let index = match placement {
            Placement::Pack if self.seats.balanced.load(Ordering::Relaxed) => {
                balance::pack(&self.loads())
            }
            _ => self.next.fetch_add(1, Ordering::Relaxed),
        };
        self.spawn_on(index, job);
    }

    /// Runs `job` on worker `index` (modulo their number), or on the calling runtime when
    /// there is none.
    pub fn spawn_on(&self, index: usize, job: impl Future<Output = ()> + Send + 'static) {
        let mut job: Job = Box::pin(job);
        if !self.queues.is_empty() {
            match self.queues[index % self.queues.len()].send(job) {
                Ok(()) => return,
                Err(returned) => job = returned.0,
            }
        }
        tokio::spawn(job);
    }

    /// Accepts connections on `listener` forever; each is served by `serve` on a worker
    /// chosen by `placement`, with its socket registered with that worker's runtime.
    pub async fn accept<F, Fut>(&self, listener: TcpListener, placement: Placement, serve: F)
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
            self.spawn(placement, async move {
                match TcpStream::from_std(std) {
                    Ok(tcp) => serve(tcp, peer).await,
                    Err(error) => tracing::warn!(%error, "cannot register a connection"),
                }
            });
        }
    }

    /// Counts a movable session as served by the calling worker until the returned guard is
    /// dropped.
    pub fn reside(&'static self) -> Residence {
        let index = Self::index().checked_sub(1);
        if let Some(count) = index.and_then(|i| self.seats.movable.get(i)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        Residence {
            seats: &self.seats,
            index,
        }
    }

    /// Called by a movable session on the calling worker of the [`Self::shared`] ones each
    /// time it finishes an exchange (counted: the balancer weighs spreads by these turns per
    /// second): the worker it should move to now, if any. A session that gets `Some` is
    /// counted as leaving and must go. `None` at once on any other thread.
    pub fn departure() -> Option<usize> {
        let index = Self::index().checked_sub(1)?;
        let workers = SHARED.get()?;
        if let Some(turns) = workers.seats.turns.get(index) {
            // Only this worker writes its count.
            let count = &turns.0;
            count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
        let shed = workers.seats.shed.get(index)?;
        if shed.load(Ordering::Acquire) == 0 {
            return None;
        }
        let to = workers.seats.shed_to[index].load(Ordering::Acquire);
        if to == index || to >= workers.queues.len() {
            return None;
        }
        shed.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .ok()?;
        workers.seats.moves.fetch_add(1, Ordering::Relaxed);
        Some(to)
    }

    /// Asks up to `count` movable sessions on worker `from` to move to worker `to` at their
    /// next chance; the balancer leaves the request alone for a few seconds.
    pub fn request_move(&self, from: usize, to: usize, count: u32) {
        let (Some(shed), Some(shed_to)) = (self.seats.shed.get(from), self.seats.shed_to.get(from))
        else {
            return;
        };
        let _asking = self.seats.asking.lock();
        self.seats.hold.store(REQUEST_HOLD, Ordering::Relaxed);
        shed_to.store(to, Ordering::Release);
        shed.store(count, Ordering::Release);
    }

    /// Each worker's load over the last sampling periods, per mille of one core (zeros when
    /// loads are not sampled).
    pub fn loads(&self) -> Vec<u32> {
        snapshot(&self.seats.load)
    }

    /// The whole machine's idle time as the balancer last sampled it, per mille of one core
    /// (0 when not sampled).
    pub fn machine_idle(&self) -> u32 {
        self.seats.idle.load(Ordering::Relaxed)
    }

    /// How many movable sessions each worker serves.
    pub fn residents(&self) -> Vec<u32> {
        snapshot(&self.seats.movable)
    }

    /// Moves started since the process began.
    pub fn moves(&self) -> u64 {
        self.seats.moves.load(Ordering::Relaxed)
    }

    /// Exchanges movable sessions have finished since the process began.
    pub fn turns(&self) -> u64 {
        self.seats.turns()
    }

    /// Spreads on the idle rule kept, and undone, since the process began.
    pub fn spread_trials(&self) -> (u64, u64) {
        (
            self.seats.spreads_kept.load(Ordering::Relaxed),
            self.seats.spreads_undone.load(Ordering::Relaxed),
        )
    }
}

/// The values of per-worker counters, read one by one.
fn snapshot(counters: &[AtomicU32]) -> Vec<u32> {
    counters.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

/// A movable session counted on its worker; see [`Workers::reside`].
pub struct Residence {
    seats: &'static Seats,
    index: Option<usize>,
}

impl Drop for Residence {
    fn drop(&mut self) {
        if let Some(count) = self.index.and_then(|i| self.seats.movable.get(i)) {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Worker `index`: a thread with its own runtime, running the jobs sent to it. Also returns
/// where the thread's CPU time can be read, when it can.
fn spawn(index: usize) -> std::io::Result<(UnboundedSender<Job>, Option<PathBuf>)> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
    let (stat_tx, stat_rx) = std::sync::mpsc::sync_channel(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("warden-worker-{index}"))
        .spawn(move || {
            INDEX.with(|i| i.set(index + 1));
            let _ = stat_tx.send(balance::own_schedstat());
            runtime.block_on(async move {
                while let Some(job) = rx.recv().await {
                    tokio::spawn(job);
                }
            });
        })?;
    let stat = stat_rx.recv_timeout(Duration::from_secs(5)).ok().flatten();
    Ok((tx, stat))
}
