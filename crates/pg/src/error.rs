//! Errors of the PostgreSQL gateway.

use thiserror::Error;

/// Why a PostgreSQL session failed.
#[derive(Debug, Error)]
pub enum PgError {
    /// The peer sent bytes that are not a valid message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A message longer than the configured bound.
    #[error("message {tag:?} of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Message type.
        tag: char,
        /// Declared length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Socket error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// TLS error.
    #[error("tls: {0}")]
    Tls(String),
    /// A wait ran out.
    #[error("timed out {0}")]
    Timeout(&'static str),
    /// The upstream server refused or failed.
    #[error("upstream: {0}")]
    Upstream(String),
}
