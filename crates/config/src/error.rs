//! Configuration errors that point at the file, line and key at fault.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// Where in the file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A configuration problem.
#[derive(Debug, Error)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// Line and column, when known.
    pub location: Option<Location>,
    /// Dotted key path, e.g. `roles.analyst.allow[2]`; empty for whole-file problems.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(at) = &self.location {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Line and column of a byte offset in `src`.
pub(crate) fn location_of(src: &str, offset: usize) -> Location {
    let before = src.get(..offset.min(src.len())).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location { line, column }
}
