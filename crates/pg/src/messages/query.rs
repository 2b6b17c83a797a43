//! Query (`Q`): a simple-protocol query string.

use super::cstr;
use crate::PgError;

/// The SQL text of a Query body.
pub fn decode(body: &[u8]) -> Result<&str, PgError> {
    cstr(body)
        .map(|(q, _)| q)
        .ok_or_else(|| PgError::Malformed("query text is not a valid string".into()))
}

/// A Query message carrying `sql`.
pub fn encode(sql: &str) -> bytes::Bytes {
    let mut body = bytes::BytesMut::with_capacity(sql.len() + 1);
    super::put_cstr(&mut body, sql);
    super::tagged(b'Q', &body)
}
