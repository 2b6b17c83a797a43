//! Proving that a stored recording is the one whose hash went into the audit chain.

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::{RecordError, RecordingStore};

/// Why a recording does not match the hash recorded when it finished.
#[derive(Debug, thiserror::Error)]
pub enum RecordingMismatch {
    /// The recording is gone.
    #[error("recording of session {session:?} is missing")]
    Missing {
        /// The session whose recording was looked for.
        session: String,
    },
    /// The bytes differ from what was finished.
    #[error(
        "recording of session {session:?} was altered: expected sha256 {expected}, found {actual}"
    )]
    Altered {
        /// The session whose recording was checked.
        session: String,
        /// The hash from the audit chain.
        expected: String,
        /// The hash of the bytes stored now.
        actual: String,
    },
    /// The recording exists but could not be read, so nothing can be said about it.
    #[error("recording of session {session:?} could not be read: {source}")]
    Unreadable {
        /// The session whose recording was checked.
        session: String,
        /// The underlying error.
        #[source]
        source: RecordError,
    },
}

/// Recomputes a recording's SHA-256 and compares it with the hash from the audit chain.
pub async fn verify_recording(
    store: &dyn RecordingStore,
    session: &str,
    expected_sha256: &str,
) -> Result<(), RecordingMismatch> {
    let unreadable = |source| RecordingMismatch::Unreadable {
        session: session.to_owned(),
        source,
    };
    let mut reader = match store.open_stored(session).await {
        Ok(reader) => reader,
        Err(RecordError::NotFound(_)) => {
            return Err(RecordingMismatch::Missing {
                session: session.to_owned(),
            });
        }
        Err(e) => return Err(unreadable(e)),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|e| unreadable(RecordError::io("read recording", e)))?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    let actual = hex::encode(hasher.finalize());
    if actual.eq_ignore_ascii_case(expected_sha256) {
        Ok(())
    } else {
        Err(RecordingMismatch::Altered {
            session: session.to_owned(),
            expected: expected_sha256.to_owned(),
            actual,
        })
    }
}
