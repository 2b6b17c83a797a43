//! What a recording contains, and which session ids are safe as file names.

use serde::{Deserialize, Serialize};

use crate::RecordError;

/// The format of a recording, which decides its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingKind {
    /// SQL statements as JSON lines (`.jsonl`).
    Sql,
    /// Terminal input and output as asciicast v2 (`.cast`).
    Terminal,
    /// HTTP exchanges as JSON lines (`.http`).
    Http,
}

impl RecordingKind {
    /// Every kind, for scanning a directory.
    pub const ALL: [Self; 3] = [Self::Sql, Self::Terminal, Self::Http];

    /// The file extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Sql => "jsonl",
            Self::Terminal => "cast",
            Self::Http => "http",
        }
    }

    /// The kind whose extension this is.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.extension() == ext)
    }
}

/// Checks that a session id is 1-128 characters of `A-Z a-z 0-9 - _ .` and does not start with a
/// dot, so it can never escape the recordings directory or collide with a hidden file.
pub fn validate_session_id(session: &str) -> Result<(), RecordError> {
    let ok = !session.is_empty()
        && session.len() <= 128
        && !session.starts_with('.')
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(RecordError::InvalidSession(session.to_owned()))
    }
}
