//! How much of the machine sits idle: the idle time of every core together, from the second
//! field of `/proc/uptime`, smoothed over a few balancer periods.
//!
//! The balancer spreads a busy worker's sessions sooner when cores are idle: then one worker,
//! not the machine, is what the sessions wait for. `/proc/uptime` rather than `/proc/stat`:
//! the kernel builds all of `/proc/stat` (every interrupt's count on every core) on each read,
//! which on a large machine costs more than the balancer should.

use super::balance::per_mille;
use std::path::{Path, PathBuf};

/// Smoothed idle time of the whole machine, per mille of one core.
pub struct MachineIdle {
    path: PathBuf,
    /// Idle nanoseconds of all cores at the last sample.
    last: u128,
    /// The smoothed figure: each period weighs a quarter.
    idle: u32,
}

impl MachineIdle {
    /// A sampler of the `/proc/uptime`-shaped file at `path`; `None` when it cannot be read.
    pub fn new(path: PathBuf) -> Option<MachineIdle> {
        Some(MachineIdle {
            last: idle_ns(&path)?,
            path,
            idle: 0,
        })
    }

    /// The machine's own `/proc/uptime`.
    pub fn of_this_machine() -> Option<MachineIdle> {
        MachineIdle::new(PathBuf::from("/proc/uptime"))
    }

    /// The smoothed idle time after a period of `elapsed` nanoseconds since the last sample,
    /// per mille of one core (0 once the file can no longer be read: nothing is then spread
    /// on its account).
    pub fn sample(&mut self, elapsed: u128) -> u32 {
        let Some(ns) = idle_ns(&self.path) else {
            self.idle = 0;
            return 0;
        };
        let idle = per_mille(ns.saturating_sub(self.last), elapsed);
        self.last = ns;
        self.idle = self.idle / 4 * 3 + idle / 4;
        self.idle
    }
}

/// Idle time of all cores in nanoseconds: the second field of `/proc/uptime`, seconds with a
/// decimal fraction (`4436.41`).
fn idle_ns(path: &Path) -> Option<u128> {
    let text = std::fs::read_to_string(path).ok()?;
    let field = text.split_ascii_whitespace().nth(1)?;
    let (whole, fraction) = field.split_once('.').unwrap_or((field, ""));
    if fraction.len() > 9 || !fraction.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    for _ in fraction.len()..9 {
        nanos *= 10;
    }
    Some(whole.parse::<u128>().ok()? * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A balancer period in nanoseconds.
    const PERIOD: u128 = 100_000_000;

    /// Writes an uptime file whose cores have idled `centis` hundredths of a second.
    fn write(path: &Path, centis: u64) {
        let text = format!("1234.56 {}.{:02}\n", centis / 100, centis % 100);
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn idle_time_counts_per_mille_of_one_core_smoothed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uptime");
        write(&path, 1000);
        let mut idle = MachineIdle::new(path.clone()).unwrap();
        // 160 ms idle in 100 ms: 1.6 cores' worth; a quarter of it shows at first.
        write(&path, 1016);
        assert_eq!(idle.sample(PERIOD), 400);
        // It stays there: the figure climbs towards 1600.
        let mut centis = 1016;
        let mut last = 400;
        for n in 2..=20 {
            centis += 16;
            write(&path, centis);
            let now = idle.sample(PERIOD);
            assert!(now >= last && now <= 1600, "period {n}: {now}");
            last = now;
        }
        assert!(last > 1550, "{last}");
        // A busy machine brings it down again.
        for _ in 21..=40 {
            last = idle.sample(PERIOD);
        }
        assert!(last < 10, "{last}");
    }

    #[test]
    fn the_idle_field_is_read_to_the_nanosecond() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uptime");
        for (text, ns) in [
            ("1.00 4436.41\n", 4_436_410_000_000),
            ("1 12\n", 12_000_000_000),
            ("1 0.5", 500_000_000),
            ("1 7.123456789", 7_123_456_789),
        ] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(idle_ns(&path), Some(ns), "{text:?}");
        }
        for text in ["", "1", "1 x.5", "1 2.-5", "1 2.1234567890", "1 -2.5"] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(idle_ns(&path), None, "{text:?}");
        }
    }

    #[test]
    fn an_unreadable_file_reads_as_no_idle_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uptime");
        assert!(MachineIdle::new(path.clone()).is_none());
        write(&path, 10);
        let mut idle = MachineIdle::new(path.clone()).unwrap();
        write(&path, 110);
        assert!(idle.sample(PERIOD) > 0);
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(idle.sample(PERIOD), 0);
    }

    #[test]
    fn this_machine_reports_its_idle_time() {
        assert!(MachineIdle::of_this_machine().is_some());
    }
}
