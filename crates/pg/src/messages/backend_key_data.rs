//! BackendKeyData (`K`): the process id and secret key a client uses to cancel.

use super::tagged;
use crate::PgError;
use bytes::Bytes;

/// Decodes a BackendKeyData body.
pub fn decode(body: &[u8]) -> Result<(u32, Bytes), PgError> {
    let pid = body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| PgError::Malformed("backend key data too short".into()))?;
    Ok((
        pid,
        Bytes::copy_from_slice(body.get(4..).unwrap_or_default()),
    ))
}

/// Encodes BackendKeyData.
pub fn encode(process_id: u32, secret_key: &[u8]) -> Bytes {
    let mut body = Vec::with_capacity(4 + secret_key.len());
    body.extend_from_slice(&process_id.to_be_bytes());
    body.extend_from_slice(secret_key);
    tagged(b'K', &body)
}
