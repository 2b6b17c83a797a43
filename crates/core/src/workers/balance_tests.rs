use super::*;
use crate::workers::idle::MachineIdle;

#[test]
fn a_hot_worker_sheds_half_the_gap_to_the_coolest() {
    assert_eq!(
        plan(&[900, 0], &[16, 0], 0),
        Some(Move {
            from: 0,
            to: 1,
            count: 8,
            reason: Reason::Hot
        })
    );
    assert_eq!(
        plan(&[800, 400], &[10, 2], 0),
        Some(Move {
            from: 0,
            to: 1,
            count: 2,
            reason: Reason::Hot
        })
    );
    // At least one session moves.
    assert_eq!(plan(&[760, 499], &[1, 0], 0).map(|m| m.count), Some(1));
}

#[test]
fn nothing_moves_between_the_thresholds() {
    // One worker at half a core: packed, and stays so.
    assert_eq!(plan(&[500, 0], &[16, 0], 0), None);
    // Spread out and busy: the sum is above the merge threshold.
    assert_eq!(plan(&[480, 470], &[8, 8], 0), None);
    // Hot, but no cool worker to take anything.
    assert_eq!(plan(&[900, 600], &[8, 8], 0), None);
    // Hot, but nothing on it may move (an HTTP-heavy worker).
    assert_eq!(plan(&[900, 100], &[0, 3], 0), None);
}

#[test]
fn an_idle_machine_spreads_a_busy_worker_sooner() {
    // 0.6 of a core on one worker: packed while the machine is busy...
    assert_eq!(plan(&[600, 0], &[16, 0], IDLE_SPARE - 1), None);
    // ...spread while a tenth of a core or more sits idle: the sessions wait for the worker.
    assert_eq!(
        plan(&[600, 0], &[16, 0], IDLE_SPARE),
        Some(Move {
            from: 0,
            to: 1,
            count: 8,
            reason: Reason::Waiting
        })
    );
    // ...and from 0.35 of a core on, as the trial will tell whether it pays.
    assert_eq!(
        plan(&[440, 0], &[16, 0], IDLE_SPARE).map(|m| (m.count, m.reason)),
        Some((8, Reason::Waiting))
    );
    // Below that it stays packed however idle the machine is.
    assert_eq!(plan(&[HOT_WHILE_IDLE, 0], &[16, 0], 2000), None);
    // Once spread, the two together carry too much to merge, and neither is hot: a spread
    // of a worker just above the threshold is not merged back at once.
    assert_eq!(plan(&[180, 180], &[8, 8], 2000), None);
    assert_eq!(plan(&[220, 220], &[8, 8], 2000), None);
    // When the load falls, they merge onto one worker below the threshold.
    assert_eq!(
        plan(&[140, 140], &[8, 8], 2000).map(|m| (m.from, m.to)),
        Some((1, 0))
    );
    assert_eq!(plan(&[280, 0], &[16, 0], 2000), None);
}

#[test]
fn light_workers_merge_downwards() {
    assert_eq!(
        plan(&[150, 100], &[8, 8], 0),
        Some(Move {
            from: 1,
            to: 0,
            count: 8,
            reason: Reason::Light
        })
    );
    // The highest worker first, onto the lowest that has room.
    assert_eq!(
        plan(&[900, 100, 100], &[0, 2, 3], 0),
        Some(Move {
            from: 2,
            to: 1,
            count: 3,
            reason: Reason::Light
        })
    );
}

#[test]
fn spreading_then_merging_does_not_oscillate() {
    // After a hot worker sheds half, the two together still carry too much to merge.
    let Some(m) = plan(&[900, 0], &[16, 0], 0) else {
        panic!("no move")
    };
    assert_eq!(m.count, 8);
    assert_eq!(plan(&[450, 450], &[8, 8], 0), None);
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

/// Fake `schedstat` files for two workers, and seats with the given movable sessions.
struct Fake {
    dir: tempfile::TempDir,
    seats: Seats,
}

impl Fake {
    fn new(movable: [u32; 2]) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake {
            dir,
            seats: Seats::new(2),
        };
        fake.set([0, 0]);
        for (seat, n) in fake.seats.movable.iter().zip(movable) {
            seat.store(n, Ordering::Relaxed);
        }
        fake
    }

    fn set(&self, ns: [u64; 2]) {
        for (i, ns) in ns.iter().enumerate() {
            std::fs::write(self.path(i), format!("{ns} 0 0\n")).unwrap();
        }
    }

    /// A balancer of the two fake workers whose first period starts at `start`, on a machine
    /// whose idle time cannot be read.
    fn balancer(&self, start: Instant) -> Balancer {
        self.balancer_idle(start, None)
    }

    /// The same, reading the machine's idle time from `idle`.
    fn balancer_idle(&self, start: Instant, idle: Option<MachineIdle>) -> Balancer {
        let sampler = Sampler::new(vec![self.path(0), self.path(1)])
            .unwrap()
            .starting_at(start)
            .with_idle(idle);
        Balancer::new(sampler)
    }

    fn path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("w{i}"))
    }

    fn shed(&self) -> Vec<(u32, usize)> {
        (0..2)
            .map(|i| {
                (
                    self.seats.shed[i].load(Ordering::Relaxed),
                    self.seats.shed_to[i].load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}

const MS: u64 = 1_000_000;

#[test]
fn the_balancer_spreads_a_hot_worker_then_lets_the_move_settle() {
    let fake = Fake::new([8, 0]);
    let start = Instant::now();
    let mut balancer = fake.balancer(start);
    let at = |periods: u32| start + PERIOD * periods;
    // Worker 0 runs 90 ms of every 100: its smoothed load climbs 450, 675, 787.
    let mut used = 0;
    for period in 1..=2 {
        used += 90 * MS;
        fake.set([used, 0]);
        assert!(balancer.tick(&fake.seats, at(period)));
        assert_eq!(fake.shed(), vec![(0, 0), (0, 0)], "period {period}");
    }
    used += 90 * MS;
    fake.set([used, 0]);
    assert!(balancer.tick(&fake.seats, at(3)));
    assert_eq!(fake.seats.load[0].load(Ordering::Relaxed), 787);
    assert_eq!(
        fake.shed(),
        vec![(4, 1), (0, 0)],
        "half the gap's share of 8"
    );
    // Three periods to settle: what was asked stands, whatever the loads say.
    for period in 4..=6 {
        used += 90 * MS;
        fake.set([used, 0]);
        assert!(balancer.tick(&fake.seats, at(period)));
        assert_eq!(fake.shed()[0], (4, 1), "period {period}");
    }
    // The sessions moved and the two workers share the load: nothing more is asked.
    fake.seats.movable[0].store(4, Ordering::Relaxed);
    fake.seats.movable[1].store(4, Ordering::Relaxed);
    let mut other = 0;
    for period in 7..=9 {
        used += 45 * MS;
        other += 45 * MS;
        fake.set([used, other]);
        assert!(balancer.tick(&fake.seats, at(period)));
    }
    assert_eq!(fake.shed(), vec![(0, 1), (0, 0)]);
}

/// Two fake workers on a machine whose idle time is read from a fake uptime file, run period
/// by period: each period worker 0 runs `busy[0]` ms, worker 1 `busy[1]`, the cores idle
/// `idle` ms together and the sessions finish `turns` exchanges.
struct Run {
    fake: Fake,
    balancer: Balancer,
    start: Instant,
    period: u32,
    used: [u64; 2],
    idled: u64,
    turns: u64,
}

impl Run {
    fn new(movable: [u32; 2]) -> Run {
        let fake = Fake::new(movable);
        let start = Instant::now();
        write_uptime(&fake, 0);
        let idle = MachineIdle::new(fake.dir.path().join("uptime"));
        assert!(idle.is_some());
        let balancer = fake.balancer_idle(start, idle);
        Run {
            fake,
            balancer,
            start,
            period: 0,
            used: [0, 0],
            idled: 0,
            turns: 0,
        }
    }

    /// One period; what is asked of the workers after it.
    fn period(&mut self, busy: [u64; 2], idle: u64, turns: u64) -> Vec<(u32, usize)> {
        self.period += 1;
        for (used, busy) in self.used.iter_mut().zip(busy) {
            *used += busy * MS;
        }
        self.fake.set(self.used);
        self.idled += idle;
        write_uptime(&self.fake, self.idled);
        self.turns += turns;
        self.fake.seats.turns[0]
            .0
            .store(self.turns, Ordering::Relaxed);
        let now = self.start + PERIOD * self.period;
        assert!(self.balancer.tick(&self.fake.seats, now));
        self.fake.shed()
    }

    fn movable(&self, movable: [u32; 2]) {
        for (seat, n) in self.fake.seats.movable.iter().zip(movable) {
            seat.store(n, Ordering::Relaxed);
        }
    }

    fn trials(&self) -> (u64, u64) {
        (
            self.fake.seats.spreads_kept.load(Ordering::Relaxed),
            self.fake.seats.spreads_undone.load(Ordering::Relaxed),
        )
    }
}

/// Writes `fake`'s uptime file: the cores have idled `ms` milliseconds in all.
fn write_uptime(fake: &Fake, ms: u64) {
    let text = format!("12.34 {}.{:02}\n", ms / 1000, ms % 1000 / 10);
    std::fs::write(fake.dir.path().join("uptime"), text).unwrap();
}

/// Worker 0 at 0.6 of a core with 0.4 of a core idle, long enough to spread on the idle rule;
/// in the first two periods the sessions are still connecting (0.3 of a core, no exchanges
/// finished), then they finish 1 000 every period.
fn spread_on_the_idle_rule(run: &mut Run) {
    for _ in 0..2 {
        assert_eq!(run.period([30, 0], 40, 0), vec![(0, 0), (0, 0)]);
    }
    // The load passes 0.35 of a core in the third period; the rule must hold a whole window
    // (whose turns the trial compares with) before the sessions spread.
    for _ in 1..trial::WINDOW {
        let period = run.period;
        assert_eq!(
            run.period([60, 0], 40, 1000),
            vec![(0, 0), (0, 0)],
            "{period}"
        );
    }
    assert_eq!(run.period([60, 0], 40, 1000), vec![(4, 1), (0, 0)]);
    assert_eq!(run.period as usize, 2 + trial::WINDOW);
    assert!(run.fake.seats.load[0].load(Ordering::Relaxed) >= HOT_WHILE_IDLE);
    assert!(run.fake.seats.idle.load(Ordering::Relaxed) >= IDLE_SPARE);
    assert_eq!(run.balancer.trial.map(|t| t.before), Some(10_000));
}

#[test]
fn the_balancer_spreads_a_busy_worker_while_the_machine_idles() {
    let mut run = Run::new([8, 0]);
    spread_on_the_idle_rule(&mut run);
}

/// Periods of settling and then a window measured, the last move standing throughout; what is
/// asked after the window.
fn settle_and_measure(run: &mut Run, busy: [u64; 2], idle: u64, turns: u64) -> Vec<(u32, usize)> {
    let standing = run.fake.shed();
    for _ in 1..SETTLE as usize + trial::WINDOW {
        let period = run.period;
        assert_eq!(run.period(busy, idle, turns), standing, "period {period}");
    }
    run.period(busy, idle, turns)
}

#[test]
fn a_spread_on_the_idle_rule_stays_when_the_turns_rise() {
    let mut run = Run::new([8, 0]);
    spread_on_the_idle_rule(&mut run);
    run.movable([4, 4]);
    // Spread, 1 100 turns a period against 1 000 packed: the four go back to measure packing
    // again.
    let asked = settle_and_measure(&mut run, [35, 35], 30, 1100);
    assert_eq!(asked, vec![(0, 1), (4, 0)]);
    assert_eq!(run.trials(), (0, 0));
    run.movable([8, 0]);
    // Packed, 1 000 again: the spread paid, and the four spread again.
    let asked = settle_and_measure(&mut run, [60, 0], 40, 1000);
    assert_eq!(asked, vec![(4, 1), (0, 0)]);
    assert_eq!(run.trials(), (1, 0));
    run.movable([4, 4]);
    // Nothing more is asked while the load holds.
    for _ in 0..SETTLE {
        run.period([35, 35], 30, 1100);
    }
    for _ in 0..30 {
        assert_eq!(run.period([35, 35], 30, 1100), vec![(0, 1), (0, 0)]);
    }
}

/// A spread measured at 950 turns a period between two packed windows of 1 000: undone.
fn undo_a_spread(run: &mut Run) {
    spread_on_the_idle_rule(run);
    run.movable([4, 4]);
    let asked = settle_and_measure(run, [35, 35], 30, 950);
    assert_eq!(asked, vec![(0, 1), (4, 0)], "the four go back");
    run.movable([8, 0]);
    let asked = settle_and_measure(run, [60, 0], 40, 1000);
    assert_eq!(asked, vec![(0, 1), (0, 0)], "and stay");
    assert_eq!(run.trials(), (0, 1));
}

#[test]
fn a_spread_that_does_not_raise_the_turns_is_undone_and_the_idle_rule_rests() {
    let mut run = Run::new([8, 0]);
    undo_a_spread(&mut run);
    // Packed, the same load does not spread while the rule rests...
    let rest_ends = run.period + trial::REST;
    while run.period < rest_ends + trial::WINDOW as u32 - 2 {
        let period = run.period;
        assert_eq!(run.period([60, 0], 40, 1000)[0].0, 0, "period {period}");
    }
    // ...then, after a whole window of it, it tries again.
    assert_eq!(run.period([60, 0], 40, 1000), vec![(4, 1), (0, 0)]);
}

#[test]
fn a_hot_worker_spreads_while_the_idle_rule_rests() {
    let mut run = Run::new([8, 0]);
    undo_a_spread(&mut run);
    // Past three quarters of a core the hot rule spreads, rest or not, and no trial follows.
    let asked = run.period([95, 0], 5, 1000);
    assert!(asked[0].0 > 0 && asked[0].1 == 1, "{asked:?}");
    assert!(run.balancer.trial.is_none());
}

#[test]
fn the_balancer_without_idle_time_keeps_half_a_core_packed() {
    let fake = Fake::new([8, 0]);
    let start = Instant::now();
    let mut balancer = fake.balancer(start);
    let mut used = 0;
    for period in 1..=10 {
        used += 60 * MS;
        fake.set([used, 0]);
        assert!(balancer.tick(&fake.seats, start + PERIOD * period));
    }
    assert_eq!(fake.shed(), vec![(0, 0), (0, 0)]);
}

#[test]
fn the_balancer_merges_light_workers_and_leaves_explicit_requests_alone() {
    let fake = Fake::new([2, 2]);
    let start = Instant::now();
    let mut balancer = fake.balancer(start);
    // An explicit request holds the balancer off for a while.
    fake.seats.hold.store(2, Ordering::Relaxed);
    fake.seats.shed_to[0].store(1, Ordering::Relaxed);
    fake.seats.shed[0].store(1, Ordering::Relaxed);
    fake.set([10 * MS, 10 * MS]);
    assert!(balancer.tick(&fake.seats, start + PERIOD));
    fake.set([20 * MS, 20 * MS]);
    assert!(balancer.tick(&fake.seats, start + PERIOD * 2));
    assert_eq!(fake.shed()[0], (1, 1), "the request stands while held");
    // Then the plan replaces it: both workers nearly idle, worker 1's sessions join 0's.
    fake.set([30 * MS, 30 * MS]);
    assert!(balancer.tick(&fake.seats, start + PERIOD * 3));
    assert_eq!(fake.shed(), vec![(0, 1), (2, 0)]);
}

#[test]
fn the_balancer_stops_when_loads_cannot_be_read() {
    let fake = Fake::new([1, 0]);
    let start = Instant::now();
    let mut balancer = fake.balancer(start);
    std::fs::remove_file(fake.path(1)).unwrap();
    assert!(!balancer.tick(&fake.seats, start + PERIOD));
}
