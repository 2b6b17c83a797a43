//! Store errors.

use std::path::PathBuf;
use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("store unavailable ({backend}): {message}")]
    Unavailable {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What went wrong, without secrets.
        message: String,
    },
    /// A uniqueness rule was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row could not be read back.
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// What was wrong.
        message: String,
    },
    /// Migrations could not be applied.
    #[error("migration failed ({backend}): {message}")]
    Migration {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The audit signing key file could not be read, created or used.
    #[error("audit signing key {}: {message}", path.display())]
    SigningKey {
        /// The key file.
        path: PathBuf,
        /// What went wrong and what to do about it; never the key itself.
        message: String,
    },
}

impl StoreError {
    /// An [`StoreError::Unavailable`] for `backend`.
    pub(crate) fn unavailable(backend: &'static str, message: impl Into<String>) -> Self {
        StoreError::Unavailable {
            backend,
            message: message.into(),
        }
    }

    /// Maps a driver error: unique violations become [`StoreError::Conflict`] (worded by
    /// `conflict`), everything else [`StoreError::Unavailable`]. Messages name no connection
    /// settings, so a password in the store URL never reaches them.
    pub(crate) fn from_sqlx(
        backend: &'static str,
        err: sqlx::Error,
        conflict: impl FnOnce() -> String,
    ) -> Self {
        let message = match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                return StoreError::Conflict(conflict());
            }
            sqlx::Error::Database(db) => match db.code() {
                Some(code) => format!("the database refused the operation ({code}): {}", db.message()),
                None => format!("the database refused the operation: {}", db.message()),
            },
            sqlx::Error::Configuration(_) => {
                "the store connection settings are invalid; check the store url".to_owned()
            }
            sqlx::Error::PoolTimedOut => {
                "timed out waiting for a database connection; check that the database is up and reachable"
                    .to_owned()
            }
            sqlx::Error::PoolClosed => "the store has been closed".to_owned(),
            sqlx::Error::Io(e) => format!("cannot talk to the database: {e}"),
            sqlx::Error::Tls(e) => format!("tls with the database failed: {e}"),
            other => other.to_string(),
        };
        StoreError::Unavailable { backend, message }
    }
}
