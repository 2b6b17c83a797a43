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

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            count: std::thread::available_parallelism().map_or(2, usize::from),
            balance: true,
        }
    }
}

impl Settings {
    /// The settings the environment gives; a value that is set but not one these variables
    /// take is an error naming the variable and the value, so a typo stops Warden at start
    /// instead of quietly running with the default.
    pub fn from_env() -> Result<Settings, String> {
        Settings::parse(
            std::env::var("WARDEN_WORKERS").ok().as_deref(),
            std::env::var("WARDEN_BALANCE").ok().as_deref(),
        )
    }

    /// The settings for these values of `WARDEN_WORKERS` and `WARDEN_BALANCE`, if set.
    fn parse(workers: Option<&str>, balance: Option<&str>) -> Result<Settings, String> {
        let mut settings = Settings::default();
        if let Some(value) = workers {
            settings.count = match value.trim().parse::<usize>() {
                Ok(count) if count > 0 => count,
                _ => {
                    return Err(format!(
                        "WARDEN_WORKERS must be a whole number above 0, not {value:?}"
                    ));
                }
            };
        }
        if let Some(value) = balance {
            settings.balance = match value.trim() {
                "on" => true,
                "off" => false,
                _ => return Err(format!("WARDEN_BALANCE must be on or off, not {value:?}")),
            };
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_give_the_defaults() {
        assert_eq!(Settings::parse(None, None), Ok(Settings::default()));
        assert!(Settings::default().count > 0);
        assert!(Settings::default().balance);
    }

    #[test]
    fn set_variables_are_taken() {
        let settings = Settings::parse(Some("3"), Some("off")).unwrap();
        assert_eq!((settings.count, settings.balance), (3, false));
        let settings = Settings::parse(Some(" 1\n"), Some("on")).unwrap();
        assert_eq!((settings.count, settings.balance), (1, true));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for bad in ["0", "-1", "two", "", "1.5"] {
            let error = Settings::parse(Some(bad), None).unwrap_err();
            assert!(error.starts_with("WARDEN_WORKERS must be"), "{error}");
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
        for bad in ["of", "OFF", "false", "0", ""] {
            let error = Settings::parse(None, Some(bad)).unwrap_err();
            assert!(
                error.starts_with("WARDEN_BALANCE must be on or off"),
                "{error}"
            );
        }
    }
}
