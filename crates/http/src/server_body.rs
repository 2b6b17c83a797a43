//! A client's request body, read from its connection only when the exchange asks for it (after
//! the caller is authenticated), with `100 Continue` sent first when the client waits for it.
//! The body holds the connection meanwhile and gives it back to its [`Slot`] when dropped.

use crate::framing::{Next, Remaining};
use crate::server::{ServerConn, Slot};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Why reading a request body failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RequestBodyError(String);

/// The body of the request being handled: it holds the connection while the exchange may
/// read it, and hands it back to the connection's slot when dropped.
pub struct RequestBody<'a, S> {
    pub(crate) conn: Option<ServerConn<S>>,
    pub(crate) slot: &'a Slot<S>,
}

impl<S> RequestBody<'_, S> {
    /// The body cannot be read to its end: what is left of it can only be ended by closing the
    /// connection after the answer, and the connection goes back to its slot now.
    fn fail(&mut self, reason: String) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        if let Some(mut conn) = self.conn.take() {
            conn.remaining = Remaining::Close;
            self.slot.put(conn);
        }
        Poll::Ready(Some(Err(RequestBodyError(reason))))
    }
}

impl<S> Drop for RequestBody<'_, S> {
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

impl<S: AsyncRead + AsyncWrite + Unpin> http_body::Body for RequestBody<'_, S> {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        let this = self.get_mut();
        let Some(conn) = this.conn.as_mut() else {
            return Poll::Ready(None);
        };
        if conn.remaining.is_done() {
            return Poll::Ready(None);
        }
        if let Err(error) = ready!(poll_continue(conn, cx)) {
            return this.fail(format!("sending 100 Continue: {error}"));
        }
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match conn.remaining.next(&mut conn.buf) {
                Ok(Next::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                Ok(Next::Done) => return Poll::Ready(None),
                Ok(Next::NeedMore) => {}
                Err(reason) => return this.fail(reason),
            }
            match ready!(conn.poll_fill(cx)) {
                Ok(0) => return this.fail("the client closed the connection mid-body".into()),
                Ok(_) => {}
                Err(error) => return this.fail(format!("reading the body: {error}")),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn
            .as_ref()
            .is_none_or(|conn| conn.remaining.is_done())
    }

    fn size_hint(&self) -> SizeHint {
        self.conn
            .as_ref()
            .map_or(SizeHint::with_exact(0), |conn| conn.remaining.size_hint())
    }
}
