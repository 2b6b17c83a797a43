//! How much of the machine sits idle: the kernel's idle and I/O-wait time of every core
//! together, from the `cpu` line of `/proc/stat`, smoothed over a few balancer periods.
//!
//! The balancer spreads a busy worker's sessions sooner when cores are idle: then one worker,
//! not the machine, is what the sessions wait for.

use std::path::{Path, PathBuf};
use std::time::Instant;

/// Ticks per second of `/proc/stat` (`USER_HZ`, fixed at 100 by the kernel's ABI on the
/// architectures Warden runs on).
const USER_HZ: u64 = 100;

/// Smoothed idle time of the whole machine, per mille of one core.
pub struct MachineIdle {
    path: PathBuf,
    /// Idle and I/O-wait ticks at the last sample.
    last: u64,
    at: Instant,
    /// The smoothed figure: each period weighs a quarter.
    idle: u32,
}

impl MachineIdle {
    /// A sampler of the `/proc/stat`-shaped file at `path`; `None` when it cannot be read.
    pub fn new(path: PathBuf) -> Option<MachineIdle> {
        Some(MachineIdle {
            last: idle_ticks(&path)?,
            path,
            at: Instant::now(),
            idle: 0,
        })
    }

    /// The machine's own `/proc/stat`.
    pub fn of_this_machine() -> Option<MachineIdle> {
        MachineIdle::new(PathBuf::from("/proc/stat"))
    }

    /// The same, starting its first period at `at`.
    #[cfg(test)]
    pub fn starting_at(mut self, at: Instant) -> MachineIdle {
        self.at = at;
        self
    }

    /// The smoothed idle time up to `now`, per mille of one core (0 once the file can no
    /// longer be read: nothing is then spread on its account).
    pub fn sample_at(&mut self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.at).as_nanos().max(1);
        self.at = now;
        let Some(ticks) = idle_ticks(&self.path) else {
            self.idle = 0;
            return 0;
        };
        let ns = u128::from(ticks.saturating_sub(self.last)) * 1_000_000_000 / u128::from(USER_HZ);
        self.last = ticks;
        let idle = u32::try_from(ns * 1000 / elapsed).unwrap_or(u32::MAX);
        self.idle = self.idle / 4 * 3 + idle / 4;
        self.idle
    }
}

/// Idle plus I/O-wait ticks of all cores: the fourth and fifth numbers of the `cpu` line.
fn idle_ticks(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|line| line.starts_with("cpu "))?;
    let mut fields = line.split_ascii_whitespace().skip(4);
    let idle: u64 = fields.next()?.parse().ok()?;
    let iowait: u64 = fields.next()?.parse().ok()?;
    Some(idle + iowait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn write(path: &Path, idle: u64, iowait: u64) {
        let text = format!("cpu  10 0 20 {idle} {iowait} 0 0 0 0 0\ncpu0 5 0 10 0 0 0 0 0 0 0\n");
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn idle_and_io_wait_count_per_mille_of_one_core_smoothed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stat");
        write(&path, 1000, 0);
        let start = Instant::now();
        let mut idle = MachineIdle::new(path.clone()).unwrap().starting_at(start);
        let period = Duration::from_millis(100);
        // 16 ticks (160 ms) idle in 100 ms: 1.6 cores' worth; a quarter of it shows at first.
        write(&path, 1010, 6);
        assert_eq!(idle.sample_at(start + period), 400);
        // It stays there: the figure climbs towards 1600.
        let mut ticks = 1016;
        let mut last = 400;
        for n in 2..=20 {
            ticks += 16;
            write(&path, ticks, 6);
            let now = idle.sample_at(start + period * n);
            assert!(now >= last && now <= 1600, "period {n}: {now}");
            last = now;
        }
        assert!(last > 1550, "{last}");
        // A busy machine brings it down again.
        for n in 21..=40 {
            write(&path, ticks, 6);
            last = idle.sample_at(start + period * n);
        }
        assert!(last < 10, "{last}");
    }

    #[test]
    fn an_unreadable_file_reads_as_no_idle_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stat");
        assert!(MachineIdle::new(path.clone()).is_none());
        write(&path, 5, 5);
        let start = Instant::now();
        let mut idle = MachineIdle::new(path.clone()).unwrap().starting_at(start);
        write(&path, 105, 5);
        assert!(idle.sample_at(start + Duration::from_millis(100)) > 0);
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(idle.sample_at(start + Duration::from_millis(200)), 0);
    }

    #[test]
    fn this_machine_has_a_cpu_line() {
        assert!(MachineIdle::of_this_machine().is_some());
    }
}
