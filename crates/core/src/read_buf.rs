//! Room in a connection's read buffer before each read: the one rule both protocol readers use.

use ::bytes::BytesMut;

/// Makes room in `buf` for the next read of up to `chunk` bytes. An empty `buf` whose earlier
/// contents have all been dropped is read into from its start again (no allocation, nothing
/// copied, nothing done while a part taken from it is held), where the last reads left the
/// cache warm, instead of walking on through the buffer into cold lines; `chunk` more bytes are
/// reserved when less than a quarter of that is free.
#[inline]
pub fn make_room(buf: &mut BytesMut, chunk: usize) {
    if buf.is_empty() {
        let _ = buf.try_reclaim(chunk);
    }
    if buf.capacity() - buf.len() < chunk / 4 {
        buf.reserve(chunk);
    }
}
