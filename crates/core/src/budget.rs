//! LLM token budgets: a role may cap how many tokens each identity spends per window. Policy
//! names the budget in the decision; this ledger counts what each identity spent in the
//! current window (per gateway node, in memory: a restart or another node starts from zero).

use crate::GatewayError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// At most `tokens` per identity in each window of `window_secs` (windows start at multiples
/// of the window since the Unix epoch, so a daily budget resets at 00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBudget {
    /// Tokens allowed per window.
    pub tokens: u64,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// Tokens spent per identity and budget window.
#[derive(Debug, Default)]
pub struct TokenLedger {
    spent: Mutex<HashMap<(String, u64), Spent>>,
}

#[derive(Debug, Clone, Copy)]
struct Spent {
    window_start: u64,
    tokens: u64,
}

impl TokenLedger {
    /// Refuses when `subject` has used up `budget` in the current window.
    pub fn check(&self, subject: &str, budget: &TokenBudget) -> Result<(), GatewayError> {
        let start = window_start(budget);
        let spent = self
            .lock()
            .get(&(subject.to_owned(), budget.window_secs))
            .filter(|s| s.window_start == start)
            .map_or(0, |s| s.tokens);
        if spent < budget.tokens {
            return Ok(());
        }
        let resets = chrono::DateTime::from_timestamp(
            i64::try_from(start.saturating_add(budget.window_secs)).unwrap_or(i64::MAX),
            0,
        )
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
        Err(GatewayError::client(
            "token_budget_exhausted",
            format!(
                "{subject} has used {spent} of its {} tokens per {} s; the budget resets at {resets}",
                budget.tokens, budget.window_secs
            ),
        ))
    }

    /// Adds `tokens` to what `subject` spent in the current window of `budget`.
    pub fn charge(&self, subject: &str, budget: &TokenBudget, tokens: u64) {
        let start = window_start(budget);
        let mut spent = self.lock();
        let entry = spent
            .entry((subject.to_owned(), budget.window_secs))
            .or_insert(Spent {
                window_start: start,
                tokens: 0,
            });
        if entry.window_start != start {
            *entry = Spent {
                window_start: start,
                tokens: 0,
            };
        }
        entry.tokens = entry.tokens.saturating_add(tokens);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u64), Spent>> {
        self.spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn window_start(budget: &TokenBudget) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let window = budget.window_secs.max(1);
    now - now % window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_once_spent_and_counts_per_identity() {
        let ledger = TokenLedger::default();
        let budget = TokenBudget {
            tokens: 100,
            window_secs: 86_400,
        };
        assert!(ledger.check("a", &budget).is_ok());
        ledger.charge("a", &budget, 60);
        assert!(ledger.check("a", &budget).is_ok());
        ledger.charge("a", &budget, 40);
        let refused = ledger.check("a", &budget).unwrap_err();
        assert_eq!(refused.code, "token_budget_exhausted");
        assert!(
            refused.message.contains("used 100 of its 100 tokens"),
            "{}",
            refused.message
        );
        assert!(ledger.check("b", &budget).is_ok());
    }
}
