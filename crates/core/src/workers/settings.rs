//! The workers' settings from the process environment: `WARDEN_WORKERS` and `WARDEN_BALANCE`.

/// How the data-path workers run, as the environment asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Worker threads: `WARDEN_WORKERS`, else one per core.
    pub count: usize,
    /// Whether packing listeners' sessions are balanced: `WARDEN_BALANCE`, `on` (the default)
    /// or `off`.
    pub balance: bool,
}

impl Settings {
    /// The settings the environment gives; a value that is set but not one these variables
    /// take is an error naming the variable and the value, so a typo stops Warden at start
    /// instead of quietly running with the default.
    pub fn from_env() -> Result<Settings, String> {
        Ok(Settings {
            count: count(env("WARDEN_WORKERS").as_deref())?,
            balance: balance(env("WARDEN_BALANCE").as_deref())?,
        })
    }
}

/// `WARDEN_WORKERS` as read (one per core when unset or bad).
pub(super) fn count_from_env() -> usize {
    count(env("WARDEN_WORKERS").as_deref()).unwrap_or_else(|_| per_core())
}

/// `WARDEN_BALANCE` as read (on when unset or bad).
pub(super) fn balance_from_env() -> bool {
    balance(env("WARDEN_BALANCE").as_deref()).unwrap_or(true)
}

/// A thread count set by the environment `variable` to `value`: a whole number above 0, else
/// an error naming both.
pub fn thread_count(variable: &str, value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(threads) if threads > 0 => Ok(threads),
        _ => Err(format!(
            "{variable} must be a whole number above 0, not {value:?}"
        )),
    }
}

fn env(variable: &str) -> Option<String> {
    std::env::var(variable).ok()
}

fn per_core() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The worker count for this value of `WARDEN_WORKERS`, if set.
fn count(value: Option<&str>) -> Result<usize, String> {
    value.map_or(Ok(per_core()), |value| {
        thread_count("WARDEN_WORKERS", value)
    })
}

/// Whether to balance, for this value of `WARDEN_BALANCE`, if set.
fn balance(value: Option<&str>) -> Result<bool, String> {
    let Some(value) = value else { return Ok(true) };
    match value.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("WARDEN_BALANCE must be on or off, not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_give_the_defaults() {
        assert_eq!(count(None), Ok(per_core()));
        assert!(per_core() > 0);
        assert_eq!(balance(None), Ok(true));
    }

    #[test]
    fn set_variables_are_taken() {
        assert_eq!(count(Some("3")), Ok(3));
        assert_eq!(balance(Some("off")), Ok(false));
        assert_eq!(count(Some(" 1\n")), Ok(1));
        assert_eq!(balance(Some("on")), Ok(true));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for bad in ["0", "-1", "two", "", "1.5"] {
            let error = count(Some(bad)).unwrap_err();
            assert!(error.starts_with("WARDEN_WORKERS must be"), "{error}");
            assert!(error.contains(&format!("{bad:?}")), "{error}");
            let error = thread_count("TOKIO_WORKER_THREADS", bad).unwrap_err();
            assert!(error.starts_with("TOKIO_WORKER_THREADS must be"), "{error}");
        }
        for bad in ["of", "OFF", "false", "0", ""] {
            let error = balance(Some(bad)).unwrap_err();
            assert!(
                error.starts_with("WARDEN_BALANCE must be on or off"),
                "{error}"
            );
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }
}
