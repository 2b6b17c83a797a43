//! Whether a spread made on the idle rule pays: the sessions' turns per second (exchanges
//! finished between statements, counted by [`super::Workers::departure`]) packed, spread and
//! packed again. A spread that did not raise them is undone, and the idle rule rests for a
//! while before it tries again.
//!
//! The idle time alone does not tell whether the sessions wait for a busy worker or whether a
//! second worker would only add wake-ups: at the same idle time spreading gained 1–10% on an
//! AMD VM and cost 5% on an Intel one. The turns per second tell, on the machine it runs on.

use std::collections::VecDeque;

/// Periods whose turns make one rate.
pub(super) const WINDOW: usize = 10;
/// A trial spread stays when the rate after it is at least this much higher (per mille).
const GAIN: u128 = 10;
/// Periods the idle rule rests after its first spread that did not pay.
pub(super) const REST: u32 = 100;
/// The longest rest: each spread in a row that does not pay doubles it up to this.
const REST_MAX: u32 = 1200;

/// The turns of the last [`WINDOW`] periods since the last move settled.
#[derive(Debug, Default)]
pub(super) struct Rate {
    /// Turns and nanoseconds of each period, oldest first.
    periods: VecDeque<(u64, u128)>,
    /// The workers' turn counters summed at the last period.
    total: u64,
}

impl Rate {
    /// Counts one period of `elapsed` nanoseconds that ended with the workers' turn counters
    /// summing to `total`.
    pub(super) fn push(&mut self, total: u64, elapsed: u128) {
        let turns = total.wrapping_sub(self.total);
        self.total = total;
        if self.periods.len() == WINDOW {
            self.periods.pop_front();
        }
        self.periods.push_back((turns, elapsed));
    }

    /// Forgets the periods counted so far: they show the workers before a move.
    pub(super) fn clear(&mut self) {
        self.periods.clear();
    }

    /// Whether a whole window has been counted.
    pub(super) fn full(&self) -> bool {
        self.periods.len() == WINDOW
    }

    /// Turns per second over the periods counted.
    pub(super) fn per_second(&self) -> u128 {
        let (turns, ns) = self
            .periods
            .iter()
            .fold((0u128, 0u128), |(t, n), &(turns, ns)| {
                (t + u128::from(turns), n + ns)
            });
        turns * 1_000_000_000 / ns.max(1)
    }
}

/// A spread on trial: `count` sessions went from worker `from` to worker `to` when the rate
/// was `before` turns per second. Packed, spread, packed again: the spread's rate is compared
/// with the mean of the two packed windows around it, so that a steady drift of the load
/// (clients warming up or slowing down) favours neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Trial {
    /// The worker the sessions left.
    pub from: usize,
    /// The worker they went to.
    pub to: usize,
    /// How many went.
    pub count: u32,
    /// Turns per second before.
    pub before: u128,
    /// Turns per second while spread, once measured.
    pub spread: Option<u128>,
}

/// What follows a measured window of a [`Trial`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The spread is measured: take the sessions back to measure packed again.
    Back,
    /// The spread paid: spread again, for good.
    Keep,
    /// It did not: stay packed.
    Undo,
}

impl Trial {
    /// A trial of the spread of `count` sessions from `from` to `to`, at `before` turns per
    /// second.
    pub(super) fn new(from: usize, to: usize, count: u32, before: u128) -> Trial {
        Trial {
            from,
            to,
            count,
            before,
            spread: None,
        }
    }

    /// The next step, the window just measured having run at `rate` turns per second.
    pub(super) fn measured(&mut self, rate: u128) -> Step {
        let Some(spread) = self.spread else {
            self.spread = Some(rate);
            return Step::Back;
        };
        let packed = (self.before + rate) / 2;
        if spread * 1000 >= packed * (1000 + GAIN) {
            Step::Keep
        } else {
            Step::Undo
        }
    }
}

/// How long the idle rule rests after spreads that did not pay.
#[derive(Debug)]
pub(super) struct Rest {
    /// Periods left of the current rest.
    left: u32,
    /// The length of the next one.
    next: u32,
}

impl Default for Rest {
    fn default() -> Rest {
        Rest {
            left: 0,
            next: REST,
        }
    }
}

impl Rest {
    /// Counts a period; whether the idle rule still rests.
    pub(super) fn tick(&mut self) -> bool {
        self.left = self.left.saturating_sub(1);
        self.left > 0
    }

    /// A spread did not pay: rest, twice as long as last time up to [`REST_MAX`].
    pub(super) fn start(&mut self) {
        self.left = self.next;
        self.next = self.next.saturating_mul(2).min(REST_MAX);
    }

    /// A spread paid: the next rest is short again.
    pub(super) fn reset(&mut self) {
        self.next = REST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_covers_the_last_window_since_it_was_cleared() {
        let mut rate = Rate::default();
        rate.push(1_000_000, 100_000_000);
        rate.clear();
        assert!(!rate.full());
        // 1 000 turns every 100 ms, then 2 000: only the last window counts.
        let mut total = 1_000_000;
        for _ in 0..WINDOW {
            total += 1_000;
            rate.push(total, 100_000_000);
        }
        assert!(rate.full());
        assert_eq!(rate.per_second(), 10_000);
        for _ in 0..WINDOW / 2 {
            total += 2_000;
            rate.push(total, 100_000_000);
        }
        assert_eq!(rate.per_second(), 15_000);
    }

    #[test]
    fn a_spread_pays_from_one_percent_over_the_packed_windows_around_it() {
        let trial = Trial::new(0, 1, 8, 10_000);
        let judged = |spread, after| {
            let mut trial = trial;
            assert_eq!(trial.measured(spread), Step::Back);
            trial.measured(after)
        };
        assert_eq!(judged(10_100, 10_000), Step::Keep);
        assert_eq!(judged(10_099, 10_000), Step::Undo);
        assert_eq!(judged(9_500, 10_000), Step::Undo);
        // A load that rises steadily: the spread window is no better than packing around it.
        assert_eq!(judged(10_500, 11_000), Step::Undo);
        // One that falls steadily: the spread holds its own.
        assert_eq!(judged(9_600, 9_000), Step::Keep);
        // Nothing to go by: no turns at all.
        let mut idle = Trial::new(0, 1, 8, 0);
        assert_eq!(idle.measured(0), Step::Back);
        assert_eq!(idle.measured(0), Step::Keep);
    }

    #[test]
    fn rests_double_until_a_spread_pays() {
        let mut rest = Rest::default();
        assert!(!rest.tick());
        rest.start();
        let periods = std::iter::from_fn(|| Some(rest.tick()))
            .take_while(|&resting| resting)
            .count();
        assert_eq!(periods, REST as usize - 1);
        rest.start();
        assert_eq!(rest.left, 2 * REST);
        for _ in 0..10 {
            rest.start();
        }
        assert_eq!(rest.left, REST_MAX);
        rest.reset();
        rest.start();
        assert_eq!(rest.left, REST);
    }
}
