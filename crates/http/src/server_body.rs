//! A client's request body, read from its connection only when the exchange asks for it (after
//! the caller is authenticated), with `100 Continue` sent first when the client waits for it.

use crate::chunked::{ChunkedDecoder, Decoded};
use crate::server::ServerConn;
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

/// The body of the request being handled on `conn`.
pub struct RequestBody<'a, S> {
    pub(crate) conn: &'a mut ServerConn<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RequestBody<'_, S> {
    /// Sends the owed `100 Continue`, however many writes it takes.
    fn poll_continue(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let conn = &mut *self.conn;
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
}

impl<S: AsyncRead + AsyncWrite + Unpin> http_body::Body for RequestBody<'_, S> {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        let this = self.get_mut();
        if matches!(this.conn.remaining, Remaining::Done) {
            return Poll::Ready(None);
        }
        if let Err(error) = ready!(this.poll_continue(cx)) {
            return fail(this.conn, format!("sending 100 Continue: {error}"));
        }
        let conn = &mut *this.conn;
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
        matches!(self.conn.remaining, Remaining::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.conn.remaining {
            Remaining::Length(left) => SizeHint::with_exact(left),
            Remaining::Done => SizeHint::with_exact(0),
            Remaining::Chunked(_) => SizeHint::default(),
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
