//! Query (`Q`): a simple-protocol query string.

use super::cstr;
use crate::PgError;

/// The SQL text of a Query body.
pub fn decode(body: &[u8]) -> Result<&str, PgError> {
    cstr(body)
        .map(|(q, _)| q)
        .ok_or_else(|| PgError::Malformed("query text is not a valid string".into()))
}
