//! How busy each worker is, and which movable sessions should change workers: the kernel's
//! account of each worker thread's CPU time, sampled every [`PERIOD`], drives [`plan`].
//!
//! The aim is to pack: serve movable sessions on as few workers as carry their load, because
//! on a machine whose cores the clients and the servers share, a second busy worker costs more
//! in wake-ups and switches than it gains, until one worker cannot keep up.

use super::Seats;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often loads are sampled and moves planned.
pub const PERIOD: Duration = Duration::from_millis(100);
/// A packed connection goes to the first worker below this load (per mille of one core).
pub const PACK_BELOW: u32 = 600;
/// A worker above this load sheds movable sessions to a worker below [`COOL`].
const HOT: u32 = 750;
/// The most a worker may be loaded to take sessions from a hot one.
const COOL: u32 = 500;
/// A worker's movable sessions join a lower worker when the two loads add up to less.
const MERGE_BELOW: u32 = 450;
/// Periods to wait after planning a move, for the loads to show it.
pub const SETTLE: u32 = 3;

/// Some movable sessions to take from one worker to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// Worker the sessions leave.
    pub from: usize,
    /// Worker they go to.
    pub to: usize,
    /// How many.
    pub count: u32,
}

/// The move to make, given each worker's load (per mille of one core) and number of movable
/// sessions: a hot worker gives the coolest worker a share of its sessions that would even
/// the two out; otherwise the highest worker whose sessions fit beside a lower one's hands
/// them all over. At most one move, so that the loads can show its effect first.
pub fn plan(loads: &[u32], movable: &[u32]) -> Option<Move> {
    let n = loads.len().min(movable.len());
    let hottest = (0..n)
        .filter(|&i| movable[i] > 0)
        .max_by_key(|&i| (loads[i], std::cmp::Reverse(i)));
    let coolest = (0..n).min_by_key(|&i| (loads[i], i));
    if let (Some(hot), Some(cool)) = (hottest, coolest)
        && hot != cool
        && loads[hot] > HOT
        && loads[cool] < COOL
    {
        let gap = u64::from(loads[hot] - loads[cool]);
        let share = gap * u64::from(movable[hot]) / (2 * u64::from(loads[hot]));
        let count = u32::try_from(share).unwrap_or(u32::MAX).max(1);
        return Some(Move {
            from: hot,
            to: cool,
            count,
        });
    }
    (1..n).rev().filter(|&j| movable[j] > 0).find_map(|from| {
        (0..from)
            .find(|&to| loads[to].saturating_add(loads[from]) < MERGE_BELOW)
            .map(|to| Move {
                from,
                to,
                count: movable[from],
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
            loads: vec![0; paths.len()],
            paths,
            last,
            at: Instant::now(),
        })
    }

    /// The loads since the last call, each the mean of the last two periods' (per mille of
    /// one core); `None` when a thread's file can no longer be read.
    pub fn sample(&mut self) -> Option<&[u32]> {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.at).as_nanos().max(1);
        self.at = now;
        for (i, path) in self.paths.iter().enumerate() {
            let ns = cpu_ns(path)?;
            let used = u128::from(ns.saturating_sub(self.last[i]));
            self.last[i] = ns;
            let load = u32::try_from(used * 1000 / elapsed).unwrap_or(u32::MAX);
            self.loads[i] = self.loads[i] / 2 + load / 2;
        }
        Some(&self.loads)
    }
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
pub(super) fn run(mut sampler: Sampler, seats: &Seats) {
    let mut settle = 0u32;
    loop {
        std::thread::sleep(PERIOD);
        let Some(loads) = sampler.sample() else {
            tracing::warn!("worker loads can no longer be read: placement stops balancing");
            seats.balanced.store(false, Ordering::Relaxed);
            return;
        };
        for (seat, load) in seats.load.iter().zip(loads) {
            seat.store(*load, Ordering::Relaxed);
        }
        let _asking = seats.asking.lock();
        let held = seats.hold.load(Ordering::Relaxed);
        if held > 0 {
            seats.hold.store(held - 1, Ordering::Relaxed);
            continue;
        }
        if settle > 0 {
            settle -= 1;
            continue;
        }
        let movable: Vec<u32> = seats
            .movable
            .iter()
            .map(|m| m.load(Ordering::Relaxed))
            .collect();
        for shed in &seats.shed {
            shed.store(0, Ordering::Release);
        }
        if let Some(m) = plan(loads, &movable) {
            tracing::debug!(
                from = m.from,
                to = m.to,
                count = m.count,
                ?loads,
                "moving sessions"
            );
            seats.shed_to[m.from].store(m.to, Ordering::Release);
            seats.shed[m.from].store(m.count, Ordering::Release);
            settle = SETTLE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hot_worker_sheds_half_the_gap_to_the_coolest() {
        assert_eq!(
            plan(&[900, 0], &[16, 0]),
            Some(Move {
                from: 0,
                to: 1,
                count: 8
            })
        );
        assert_eq!(
            plan(&[800, 400], &[10, 2]),
            Some(Move {
                from: 0,
                to: 1,
                count: 2
            })
        );
        // At least one session moves.
        assert_eq!(plan(&[760, 499], &[1, 0]).map(|m| m.count), Some(1));
    }

    #[test]
    fn nothing_moves_between_the_thresholds() {
        // One worker at half a core: packed, and stays so.
        assert_eq!(plan(&[500, 0], &[16, 0]), None);
        // Spread out and busy: the sum is above the merge threshold.
        assert_eq!(plan(&[480, 470], &[8, 8]), None);
        // Hot, but no cool worker to take anything.
        assert_eq!(plan(&[900, 600], &[8, 8]), None);
        // Hot, but nothing on it may move (an HTTP-heavy worker).
        assert_eq!(plan(&[900, 100], &[0, 3]), None);
    }

    #[test]
    fn light_workers_merge_downwards() {
        assert_eq!(
            plan(&[200, 150], &[8, 8]),
            Some(Move {
                from: 1,
                to: 0,
                count: 8
            })
        );
        // The highest worker first, onto the lowest that has room.
        assert_eq!(
            plan(&[900, 100, 100], &[0, 2, 3]),
            Some(Move {
                from: 2,
                to: 1,
                count: 3
            })
        );
    }

    #[test]
    fn spreading_then_merging_does_not_oscillate() {
        // After a hot worker sheds half, the two together still carry too much to merge.
        let Some(m) = plan(&[900, 0], &[16, 0]) else {
            panic!("no move")
        };
        assert_eq!(m.count, 8);
        assert_eq!(plan(&[450, 450], &[8, 8]), None);
    }

    #[test]
    fn packing_fills_the_first_worker_with_room() {
        assert_eq!(pack(&[0, 0]), 0);
        assert_eq!(pack(&[599, 0]), 0);
        assert_eq!(pack(&[700, 100]), 1);
        assert_eq!(pack(&[900, 800, 650]), 2);
        assert_eq!(pack(&[]), 0);
    }

    #[test]
    fn the_calling_threads_cpu_time_is_readable() {
        let Some(path) = own_schedstat() else {
            panic!("no /proc/thread-self")
        };
        let before = cpu_ns(&path).unwrap_or_default();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_ns(&path).unwrap_or_default() > before);
    }
}
