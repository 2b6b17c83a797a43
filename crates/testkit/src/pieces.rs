//! A stream that hands out its bytes in given pieces, one per read, as a socket does when the
//! peer writes them one at a time: for tests of readers that must not care how a stream is cut.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Each read returns the next piece (or as much of it as fits); then the end of the stream.
pub struct Pieces(pub VecDeque<Vec<u8>>);

impl Pieces {
    /// A stream of these pieces, in order.
    pub fn new<P: Into<Vec<u8>>>(pieces: impl IntoIterator<Item = P>) -> Pieces {
        Pieces(pieces.into_iter().map(Into::into).collect())
    }
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(mut piece) = self.0.pop_front() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            if n < piece.len() {
                self.0.push_front(piece.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}
