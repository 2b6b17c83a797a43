//! A message body as it lies in a connection's read buffer, shared by both legs: what is left
//! of it (a length, chunks, or everything until the peer closes) and the next piece taken off
//! the buffer without a copy; and the read that refills the buffer.

use crate::chunked::{ChunkedDecoder, Decoded};
use bytes::{Bytes, BytesMut};
use http_body::SizeHint;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::AsyncRead;

/// What is left of a body on its connection.
#[derive(Debug)]
pub enum Remaining {
    /// This many bytes.
    Length(u64),
    /// Chunks, up to the last one and its trailers.
    Chunked(ChunkedDecoder),
    /// Everything until the peer closes; also what is left of a body that failed, which only
    /// closing the connection can end.
    Close,
    /// Nothing: the next bytes belong to the next message.
    Done,
}

/// What the front of the buffer holds for the body.
pub enum Next {
    /// A piece of the body.
    Data(Bytes),
    /// Nothing yet: read more.
    NeedMore,
    /// The body is complete.
    Done,
}

impl Remaining {
    /// Takes the next piece of the body off the front of `buf`.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Next, String> {
        Ok(match self {
            Remaining::Done => Next::Done,
            Remaining::Length(_) | Remaining::Close if buf.is_empty() => Next::NeedMore,
            Remaining::Length(left) => {
                let take = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= take as u64;
                if *left == 0 {
                    *self = Remaining::Done;
                }
                Next::Data(buf.split_to(take).freeze())
            }
            Remaining::Close => Next::Data(buf.split().freeze()),
            Remaining::Chunked(decoder) => match decoder.decode(buf)? {
                Decoded::Data(data) => Next::Data(data),
                Decoded::NeedMore => Next::NeedMore,
                Decoded::Done => {
                    *self = Remaining::Done;
                    Next::Done
                }
            },
        })
    }

    /// Whether the whole body has been taken.
    pub fn is_done(&self) -> bool {
        matches!(self, Remaining::Done)
    }

    /// The body's size as far as it is known.
    pub fn size_hint(&self) -> SizeHint {
        match self {
            Remaining::Length(left) => SizeHint::with_exact(*left),
            Remaining::Done => SizeHint::with_exact(0),
            Remaining::Chunked(_) | Remaining::Close => SizeHint::default(),
        }
    }
}

/// Reads more from `io` into `buf`, first making room for `chunk` bytes
/// ([`warden_core::read_buf::make_room`]); `Ok(0)` is the end of the stream.
pub fn poll_fill<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    chunk: usize,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<usize>> {
    warden_core::read_buf::make_room(buf, chunk);
    tokio_util::io::poll_read_buf(Pin::new(io), cx, buf)
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
