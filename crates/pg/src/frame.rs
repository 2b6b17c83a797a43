//! Message framing: reads whole messages with a size bound and keeps their original bytes.

use crate::PgError;
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Room made for each read from the stream, in bytes.
const READ_CHUNK: usize = 16 * 1024;

/// One tagged message exactly as it arrived: tag byte, length, body.
#[derive(Debug, Clone)]
pub struct Frame {
    bytes: Bytes,
}

impl Frame {
    /// Wraps the raw bytes of a complete tagged message.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Frame { bytes }
    }

    /// The message type byte.
    pub fn tag(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    /// The body after tag and length.
    pub fn body(&self) -> &[u8] {
        self.bytes.get(5..).unwrap_or_default()
    }

    /// The whole message, ready to forward unchanged.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// Buffered reader of frames from one side of a connection.
pub struct FrameReader<R> {
    inner: R,
    buffer: BytesMut,
    max: usize,
}

impl<R> FrameReader<R> {
    /// The same reader over another stream, keeping what is buffered; returns the old stream.
    pub fn with_inner<R2>(self, inner: R2) -> (FrameReader<R2>, R) {
        let reader = FrameReader {
            inner,
            buffer: self.buffer,
            max: self.max,
        };
        (reader, self.inner)
    }
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader refusing messages longer than `max` bytes.
    pub fn new(inner: R, max: usize) -> Self {
        FrameReader {
            inner,
            buffer: BytesMut::with_capacity(READ_CHUNK),
            max,
        }
    }

    /// The underlying stream.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Consumes the reader, returning the stream and anything already buffered.
    pub fn into_parts(self) -> (R, BytesMut) {
        (self.inner, self.buffer)
    }

    /// Whether bytes are buffered beyond the last frame read.
    pub fn has_buffered(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// The next tagged message; `None` on a clean end of stream between messages.
    pub async fn next(&mut self) -> Result<Option<Frame>, PgError> {
        loop {
            if let Some(frame) = self.buffered()? {
                return Ok(Some(frame));
            }
            if !self.fill().await? {
                return if self.buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(PgError::Malformed(
                        "connection closed inside a message".into(),
                    ))
                };
            }
        }
    }

    /// The next tagged message if all of it is already buffered, without reading; `None`
    /// otherwise. The same bounds as [`Self::next`] apply.
    pub fn buffered(&mut self) -> Result<Option<Frame>, PgError> {
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
            self.buffer[4],
        ]) as usize;
        if len < 4 {
            return Err(PgError::Malformed(format!(
                "message {:?} declares length {len}",
                self.buffer[0] as char
            )));
        }
        if len > self.max {
            return Err(PgError::TooLarge {
                tag: self.buffer[0] as char,
                len,
                max: self.max,
            });
        }
        if self.buffer.len() > len {
            let bytes = self.buffer.split_to(len + 1).freeze();
            return Ok(Some(Frame { bytes }));
        }
        // Room for the rest of this message, read by the next fill.
        self.buffer.reserve(len + 1 - self.buffer.len());
        Ok(None)
    }

    /// The next untagged startup-phase packet (length, then body): its body.
    pub async fn next_startup(&mut self) -> Result<Option<Bytes>, PgError> {
        loop {
            if self.buffer.len() >= 4 {
                let len = u32::from_be_bytes([
                    self.buffer[0],
                    self.buffer[1],
                    self.buffer[2],
                    self.buffer[3],
                ]) as usize;
                if !(8..=10_000).contains(&len) {
                    return Err(PgError::Malformed(format!(
                        "startup packet declares length {len}"
                    )));
                }
                if self.buffer.len() >= len {
                    let mut packet = self.buffer.split_to(len);
                    packet.advance(4);
                    return Ok(Some(packet.freeze()));
                }
            }
            if !self.fill().await? {
                return if self.buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(PgError::Malformed(
                        "connection closed inside the startup packet".into(),
                    ))
                };
            }
        }
    }

    async fn fill(&mut self) -> Result<bool, PgError> {
        // Once every message taken from the buffer is dropped, the next read lands at its start.
        warden_core::read_buf::make_room(&mut self.buffer, READ_CHUNK);
        let n = self.inner.read_buf(&mut self.buffer).await?;
        Ok(n > 0)
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
