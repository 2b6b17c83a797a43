//! ReadyForQuery (`Z`) with the transaction status.

use super::tagged;
use bytes::Bytes;

/// Idle, not in a transaction.
pub const IDLE: u8 = b'I';

/// ReadyForQuery with `status` (`I`, `T` or `E`).
pub fn encode(status: u8) -> Bytes {
    tagged(b'Z', &[status])
}
