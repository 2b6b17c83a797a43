//! Errors from storing, writing and reading recordings.

use std::io;

/// Why a recording could not be created, written, listed or read back.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A session id that cannot be used as a file name.
    #[error(
        "session id {0:?} is not usable as a recording name; use 1-128 characters from A-Z a-z 0-9 - _ . not starting with a dot"
    )]
    InvalidSession(String),
    /// A recording for this session already exists; recordings are never overwritten.
    #[error("a recording for session {0:?} already exists; recordings are append-only")]
    AlreadyExists(String),
    /// No recording (finished or in progress) exists for this session.
    #[error("no recording for session {0:?}")]
    NotFound(String),
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, including the path.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An event could not be encoded as JSON (a bug; please report it).
    #[error("could not encode a recording event: {0}")]
    Encode(#[from] serde_json::Error),
    /// A recording being read back has a line that is not what its format requires.
    #[error("recording line {line}: {reason}")]
    Malformed {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A replay option is out of range.
    #[error("invalid replay option: {0}")]
    InvalidOption(&'static str),
}

impl RecordError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
