//! How busy each worker is, and which movable sessions should change workers: the kernel's
//! account of each worker thread's CPU time, sampled every [`PERIOD`], drives [`plan`].
//!
//! The aim is to pack: serve movable sessions on as few workers as carry their load, because
//! on a machine whose cores the clients and the servers share, a second busy worker costs more
//! in wake-ups and switches than it gains, until one worker cannot keep up. A worker falls
//! behind before it reaches a whole core: when the machine's cores sit idle while one worker is
//! busy, the sessions may be waiting for that worker, and it is spread sooner ([`MachineIdle`]);
//! such a spread is kept only when the sessions' turns per second show it paying ([`trial`]).

use super::Seats;
use super::idle::MachineIdle;
use super::trial::{self, Rate, Rest, Step, Trial};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often loads are sampled and moves planned.
const PERIOD: Duration = Duration::from_millis(100);
/// A packed connection goes to the first worker below this load (per mille of one core).
const PACK_BELOW: u32 = 600;
/// A worker above this load sheds movable sessions to a worker below [`COOL`].
const HOT: u32 = 750;
/// The same, while the machine idles at least [`IDLE_SPARE`]: low enough that a worker the
/// sessions wait for is tried spread (on a slow 2-core VM the one worker sat at 0.40–0.45 of a
/// core while the machine idled a seventh of its time, and spreading gained 3–9%), since the
/// trial takes a spread that does not pay back.
const HOT_WHILE_IDLE: u32 = 350;
/// Idle time of the whole machine (per mille of one core) that makes [`HOT_WHILE_IDLE`] apply.
const IDLE_SPARE: u32 = 100;
/// The most a worker may be loaded to take sessions from a hot one.
const COOL: u32 = 500;
/// A worker's movable sessions join a lower worker when the two loads add up to less: below
/// [`HOT_WHILE_IDLE`], so that a spread (which costs more CPU, not less) is not merged back
/// at once.
const MERGE_BELOW: u32 = 300;
const _: () = assert!(MERGE_BELOW < HOT_WHILE_IDLE);
/// Periods to wait after planning a move, for the loads to show it.
const SETTLE: u32 = 3;

/// Some movable sessions to take from one worker to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// Worker the sessions leave.
    pub from: usize,
    /// Worker they go to.
    pub to: usize,
    /// How many.
    pub count: u32,
    /// Why.
    pub reason: Reason,
}

/// Why sessions move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Their worker is hot.
    Hot,
    /// Their worker is busy while the machine idles: they may be waiting for it.
    Waiting,
    /// Two workers are light enough to be one.
    Light,
    /// They were spread on the idle rule and go back, to measure packing again.
    Trial,
    /// That spread paid: they spread again.
    Paid,
}

/// The move to make, given each worker's load (per mille of one core), number of movable
/// sessions and the machine's idle time (per mille of one core): a hot worker gives the
/// coolest worker a share of its sessions that would even the two out; otherwise the highest
/// worker whose sessions fit beside a lower one's hands them all over. At most one move, so
/// that the loads can show its effect first.
pub fn plan(loads: &[u32], movable: &[u32], idle: u32) -> Option<Move> {
    let hot_above = if idle >= IDLE_SPARE {
        HOT_WHILE_IDLE
    } else {
        HOT
    };
    let n = loads.len().min(movable.len());
    let hottest = (0..n)
        .filter(|&i| movable[i] > 0)
        .max_by_key(|&i| (loads[i], std::cmp::Reverse(i)));
    let coolest = (0..n).min_by_key(|&i| (loads[i], i));
    if let (Some(hot), Some(cool)) = (hottest, coolest)
        && hot != cool
        && loads[hot] > hot_above
        && loads[cool] < COOL
    {
        let gap = u64::from(loads[hot] - loads[cool]);
        let share = gap * u64::from(movable[hot]) / (2 * u64::from(loads[hot]));
        let count = u32::try_from(share).unwrap_or(u32::MAX).max(1);
        let reason = if loads[hot] > HOT {
            Reason::Hot
        } else {
            Reason::Waiting
        };
        return Some(Move {
            from: hot,
            to: cool,
            count,
            reason,
        });
    }
    (1..n).rev().filter(|&j| movable[j] > 0).find_map(|from| {
        (0..from)
            .find(|&to| loads[to].saturating_add(loads[from]) < MERGE_BELOW)
            .map(|to| Move {
                from,
                to,
                count: movable[from],
                reason: Reason::Light,
            })
    })
}

/// Where a packed connection goes: the first worker below [`PACK_BELOW`], else the least
/// loaded.
pub fn pack(loads: &[u32]) -> usize {
    loads
        .iter()
        .position(|&load| load < PACK_BELOW)
        .or_else(|| (0..loads.len()).min_by_key(|&i| (loads[i], i)))
        .unwrap_or(0)
}

/// Reads each worker thread's CPU time from `/proc` and turns it into loads.
pub struct Sampler {
    paths: Vec<PathBuf>,
    /// The machine's idle time, when `/proc/uptime` can be read.
    machine: Option<MachineIdle>,
    last: Vec<u64>,
    at: Instant,
    loads: Vec<u32>,
}

impl Sampler {
    /// A sampler of the threads whose `schedstat` files are `paths`; `None` when one cannot
    /// be read (no `/proc`, or a kernel without scheduler statistics).
    pub fn new(paths: Vec<PathBuf>) -> Option<Sampler> {
        let last = paths
            .iter()
            .map(|p| cpu_ns(p))
            .collect::<Option<Vec<_>>>()?;
        Some(Sampler {
            machine: MachineIdle::of_this_machine(),
            loads: vec![0; paths.len()],
            paths,
            last,
            at: Instant::now(),
        })
    }

    /// The same, starting its first period at `at`.
    #[cfg(test)]
    fn starting_at(mut self, at: Instant) -> Sampler {
        self.at = at;
        self
    }

    /// The same, reading the machine's idle time from `idle` instead.
    #[cfg(test)]
    fn with_idle(mut self, idle: Option<MachineIdle>) -> Sampler {
        self.machine = idle;
        self
    }

    /// The loads from the last call to `now`, each the mean of this period's and the last
    /// one's (per mille of one core), the machine's smoothed idle time (per mille of one
    /// core; 0 when it cannot be read) and the period's length in nanoseconds; `None` when a
    /// thread's file can no longer be read.
    pub fn sample_at(&mut self, now: Instant) -> Option<(&[u32], u32, u128)> {
        let elapsed = now.saturating_duration_since(self.at).as_nanos();
        self.at = now;
        for (i, path) in self.paths.iter().enumerate() {
            let ns = cpu_ns(path)?;
            let used = u128::from(ns.saturating_sub(self.last[i]));
            self.last[i] = ns;
            let load = per_mille(used, elapsed);
            self.loads[i] = self.loads[i] / 2 + load / 2;
        }
        let idle = self.machine.as_mut().map_or(0, |m| m.sample(elapsed));
        Some((&self.loads, idle, elapsed))
    }
}

/// `ns` of CPU time in a period of `elapsed` nanoseconds, per mille of one core.
pub(super) fn per_mille(ns: u128, elapsed: u128) -> u32 {
    u32::try_from(ns * 1000 / elapsed.max(1)).unwrap_or(u32::MAX)
}

/// The calling thread's `schedstat` file, by its path through `/proc/self` (readable from
/// other threads).
pub fn own_schedstat() -> Option<PathBuf> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    let tid = link.file_name()?.to_str()?.parse::<u32>().ok()?;
    Some(PathBuf::from(format!("/proc/self/task/{tid}/schedstat")))
}

/// Nanoseconds a thread has run, the first field of its `schedstat`.
fn cpu_ns(path: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.split_ascii_whitespace().next()?.parse().ok()
}

/// The balancer thread: samples loads every period and asks for at most one move at a time.
pub(super) fn run(sampler: Sampler, seats: &Seats) {
    let mut balancer = Balancer::new(sampler);
    loop {
        std::thread::sleep(PERIOD);
        if !balancer.tick(seats, Instant::now()) {
            tracing::warn!("worker loads can no longer be read: placement stops balancing");
            seats.balanced.store(false, Ordering::Relaxed);
            return;
        }
    }
}

/// The balancer's state between periods.
struct Balancer {
    sampler: Sampler,
    /// Periods left before the next plan, after a move was asked for.
    settle: u32,
    /// The sessions' turns per second since the last move settled.
    rate: Rate,
    /// Periods in a row the idle rule has asked for a spread.
    waiting: u32,
    /// The spread on the idle rule whose effect is being measured.
    trial: Option<Trial>,
    /// How long the idle rule rests after spreads that did not pay.
    rest: Rest,
}

impl Balancer {
    /// A balancer sampling with `sampler`, nothing asked yet.
    fn new(sampler: Sampler) -> Balancer {
        Balancer {
            sampler,
            settle: 0,
            rate: Rate::default(),
            waiting: 0,
            trial: None,
            rest: Rest::default(),
        }
    }

    /// One period at `now`: publishes the loads and, unless an explicit request or the last
    /// move is settling, replaces what was asked of the sessions with the plan's move or the
    /// next step of a spread on trial. `false` when the loads can no longer be read.
    fn tick(&mut self, seats: &Seats, now: Instant) -> bool {
        let Some((loads, idle, elapsed)) = self.sampler.sample_at(now) else {
            return false;
        };
        for (seat, load) in seats.load.iter().zip(loads) {
            seat.store(*load, Ordering::Relaxed);
        }
        seats.idle.store(idle, Ordering::Relaxed);
        self.rate.push(seats.turns(), elapsed);
        let resting = self.rest.tick();
        let _asking = seats.asking.lock();
        let held = seats.hold.load(Ordering::Relaxed);
        if held > 0 {
            seats.hold.store(held - 1, Ordering::Relaxed);
            self.trial = None;
            self.rate.clear();
            self.waiting = 0;
            return true;
        }
        if self.settle > 0 {
            self.settle -= 1;
            self.rate.clear();
            self.waiting = 0;
            return true;
        }
        let movable = super::snapshot(&seats.movable);
        let next = match self.trial {
            Some(_) if !self.rate.full() => return true,
            Some(_) => judge(
                &mut self.trial,
                &mut self.rate,
                &mut self.rest,
                seats,
                &movable,
            ),
            None => match plan(loads, &movable, if resting { 0 } else { idle }) {
                // The idle rule spreads once it has held for a whole window of turns, the
                // rate its trial compares with.
                Some(m) if m.reason == Reason::Waiting => {
                    self.waiting += 1;
                    (self.waiting as usize >= trial::WINDOW).then_some(m)
                }
                other => {
                    self.waiting = 0;
                    other
                }
            },
        };
        for shed in &seats.shed {
            shed.store(0, Ordering::Release);
        }
        if let Some(m) = next {
            tracing::debug!(
                from = m.from,
                to = m.to,
                count = m.count,
                reason = ?m.reason,
                ?loads,
                idle,
                "moving sessions"
            );
            seats.shed_to[m.from].store(m.to, Ordering::Release);
            seats.shed[m.from].store(m.count, Ordering::Release);
            self.settle = SETTLE;
            if m.reason == Reason::Waiting {
                let before = self.rate.per_second();
                self.trial = Some(Trial::new(m.from, m.to, m.count, before));
            }
        }
        true
    }
}

/// The next step of the trial in `current`, its window measured in `rate`: the move that
/// takes its sessions back to measure packing again (the trial goes on), or that spreads them
/// again for good when the spread paid, or none and a `rest` for the idle rule when it did
/// not. No more sessions move than are left where they are (of `movable`).
fn judge(
    current: &mut Option<Trial>,
    rate: &mut Rate,
    rest: &mut Rest,
    seats: &Seats,
    movable: &[u32],
) -> Option<Move> {
    let mut trial = current.take()?;
    let measured = rate.per_second();
    let (from, to, reason) = match trial.measured(measured) {
        Step::Back => {
            *current = Some(trial);
            rate.clear();
            (trial.to, trial.from, Reason::Trial)
        }
        Step::Keep => {
            tracing::debug!(before = trial.before, spread = ?trial.spread, after = measured, "the spread paid: kept");
            seats.spreads_kept.fetch_add(1, Ordering::Relaxed);
            rest.reset();
            (trial.from, trial.to, Reason::Paid)
        }
        Step::Undo => {
            tracing::debug!(before = trial.before, spread = ?trial.spread, after = measured, "the spread did not pay: undone");
            seats.spreads_undone.fetch_add(1, Ordering::Relaxed);
            rest.start();
            return None;
        }
    };
    let count = trial.count.min(movable.get(from).copied().unwrap_or(0));
    (count > 0).then_some(Move {
        from,
        to,
        count,
        reason,
    })
}

#[cfg(test)]
#[path = "balance_tests.rs"]
mod tests;
