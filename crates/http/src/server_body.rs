//! A client's request body, read from its connection only when the exchange asks for it (after
//! the caller is authenticated), with `100 Continue` sent first when the client waits for it.
//! The body holds the connection meanwhile and gives it back to its [`Slot`] when dropped.

use crate::chunked::{ChunkedDecoder, Decoded};
use crate::server::{ServerConn, Slot};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What is left of the request body on the connection.
#[derive(Debug)]
pub enum Remaining {
    /// This many bytes.
    Length(u64),
    /// Chunks, up to the last one.
    Chunked(ChunkedDecoder),
    /// Nothing: the next bytes are the next request.
    Done,
}

/// Why reading a request body failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RequestBodyError(String);

/// The body of the request being handled: it holds the connection while the exchange may
/// read it, and hands it back to the connection's slot when dropped.
pub struct RequestBody<S> {
    pub(crate) conn: Option<ServerConn<S>>,
    pub(crate) slot: Slot<S>,
}

impl<S> Drop for RequestBody<S> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.slot.put(conn);
        }
    }
}

/// Sends the owed `100 Continue`, however many writes it takes.
fn poll_continue<S: AsyncWrite + Unpin>(
    conn: &mut ServerConn<S>,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<()>> {
    while conn.owe_continue {
        if conn.out.is_empty() {
            conn.out.extend_from_slice(CONTINUE);
        }
        let written = ready!(Pin::new(&mut conn.io).poll_write(cx, &conn.out))?;
        if written == 0 {
            return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
        }
        conn.out.drain(..written);
        conn.owe_continue = !conn.out.is_empty();
    }
    Poll::Ready(Ok(()))
}

impl<S: AsyncRead + AsyncWrite + Unpin> http_body::Body for RequestBody<S> {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        let Some(conn) = self.get_mut().conn.as_mut() else {
            return Poll::Ready(None);
        };
        if matches!(conn.remaining, Remaining::Done) {
            return Poll::Ready(None);
        }
        if let Err(error) = ready!(poll_continue(conn, cx)) {
            return fail(conn, format!("sending 100 Continue: {error}"));
        }
        loop {
            match &mut conn.remaining {
                Remaining::Done => return Poll::Ready(None),
                Remaining::Length(left) if !conn.buf.is_empty() => {
                    let take = conn
                        .buf
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= take as u64;
                    if *left == 0 {
                        conn.remaining = Remaining::Done;
                    }
                    return Poll::Ready(Some(Ok(Frame::data(conn.buf.split_to(take).freeze()))));
                }
                Remaining::Length(_) => {}
                Remaining::Chunked(decoder) => match decoder.decode(&mut conn.buf) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::Done) => {
                        conn.remaining = Remaining::Done;
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => {}
                    Err(reason) => return fail(conn, reason),
                },
            }
            match ready!(conn.poll_fill(cx)) {
                Ok(0) => return fail(conn, "the client closed the connection mid-body".into()),
                Ok(_) => {}
                Err(error) => return fail(conn, format!("reading the body: {error}")),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn
            .as_ref()
            .is_none_or(|conn| matches!(conn.remaining, Remaining::Done))
    }

    fn size_hint(&self) -> SizeHint {
        match self.conn.as_ref().map(|conn| &conn.remaining) {
            Some(Remaining::Length(left)) => SizeHint::with_exact(*left),
            Some(Remaining::Chunked(_)) => SizeHint::default(),
            Some(Remaining::Done) | None => SizeHint::with_exact(0),
        }
    }
}

/// The body cannot be read to its end: the connection will close after the answer (its
/// `remaining` stays short of `Done`).
fn fail<S>(
    conn: &mut ServerConn<S>,
    reason: String,
) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
    conn.remaining = Remaining::Length(u64::MAX);
    Poll::Ready(Some(Err(RequestBodyError(reason))))
}
