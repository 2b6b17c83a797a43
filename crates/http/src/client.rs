//! One HTTP/1.1 connection to an upstream, driven by the exchange that holds it: the request
//! written in one go, the response head read into the connection's buffer, and the body read
//! from the same buffer by whoever consumes it; a connection whose body was read to its end
//! goes back to its pool.

use crate::chunked::ChunkedDecoder;
use crate::framing::{self, Next, Remaining};
use crate::h1::{self, Framing, Head, ResponseHead};
use crate::pool::UpstreamPool;
use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use warden_tls::MaybeTls;

/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// A request body up to this size is sent in the same write as its head.
const COALESCE: usize = 64 * 1024;

/// A request ready to send: its head already encoded.
pub struct UpstreamRequest {
    /// Request line and header fields, ending with the empty line.
    pub head: Vec<u8>,
    /// The whole body.
    pub body: Bytes,
    /// Whether the method is HEAD (the response then has no body).
    pub to_head: bool,
    /// Whether the method is idempotent, so it may be sent again after a kept connection
    /// turned out to be closed.
    pub idempotent: bool,
}

/// How an exchange on a connection failed.
#[derive(Debug)]
pub struct ExchangeError {
    /// What went wrong.
    pub reason: String,
    /// Whether no byte of a response arrived (the request may be sent again elsewhere).
    pub nothing_received: bool,
}

/// An open connection with the bytes read from it and not yet consumed.
pub struct UpstreamConn {
    io: MaybeTls,
    buf: BytesMut,
    /// Where the fields of the last response head lay, kept for the next one.
    spans: Vec<h1::Span>,
    /// When it was last put back idle.
    pub(crate) since: Instant,
}

impl UpstreamConn {
    /// A fresh connection over `io`.
    pub fn new(io: MaybeTls) -> Self {
        UpstreamConn {
            io,
            buf: BytesMut::new(),
            spans: Vec::new(),
            since: Instant::now(),
        }
    }

    /// Whether an idle connection can take a request: the upstream has neither closed it nor
    /// sent anything unasked. Never waits (a socket with nothing to read is open).
    pub fn still_open(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        matches!(self.poll_fill(&mut cx), Poll::Pending)
    }

    /// Sends `request` and reads up to its final response head, with at most `max_head` bytes
    /// of head.
    pub async fn exchange(
        &mut self,
        request: &UpstreamRequest,
        max_head: usize,
    ) -> Result<ResponseHead, ExchangeError> {
        let failed = |reason: String| ExchangeError {
            reason,
            nothing_received: true,
        };
        if request.body.len() <= COALESCE && !request.body.is_empty() {
            let mut whole = Vec::with_capacity(request.head.len() + request.body.len());
            whole.extend_from_slice(&request.head);
            whole.extend_from_slice(&request.body);
            self.io.write_all(&whole).await
        } else {
            match self.io.write_all(&request.head).await {
                Ok(()) => self.io.write_all(&request.body).await,
                Err(error) => Err(error),
            }
        }
        .map_err(|e| failed(format!("sending the request: {e}")))?;
        self.io
            .flush()
            .await
            .map_err(|e| failed(format!("sending the request: {e}")))?;
        let mut received = false;
        loop {
            let parsed = h1::take_response_head(&mut self.buf, &mut self.spans, request.to_head);
            match parsed.map_err(|reason| ExchangeError {
                reason,
                nothing_received: false,
            })? {
                Head::Final(head) => return Ok(head),
                Head::Interim => continue,
                Head::Partial => {}
            }
            if self.buf.len() > max_head {
                return Err(ExchangeError {
                    reason: format!("the response head is larger than {max_head} bytes"),
                    nothing_received: false,
                });
            }
            let read = std::future::poll_fn(|cx| self.poll_fill(cx)).await;
            match read {
                Ok(0) => {
                    return Err(ExchangeError {
                        reason: "the upstream closed the connection before a response".into(),
                        nothing_received: !received,
                    });
                }
                Ok(_) => received = true,
                Err(error) => {
                    return Err(ExchangeError {
                        reason: format!("reading the response: {error}"),
                        nothing_received: !received,
                    });
                }
            }
        }
    }

    /// Reads more into the buffer; `Ok(0)` is the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        framing::poll_fill(&mut self.io, &mut self.buf, READ_CHUNK, cx)
    }
}

/// Why reading an upstream body failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(String);

/// A response body read straight from its connection; the connection returns to `pool` when
/// the body has been read to its end and the connection may carry another request.
pub struct UpstreamBody {
    conn: Option<UpstreamConn>,
    remaining: Remaining,
    keep_alive: bool,
    pool: Arc<UpstreamPool>,
}

impl UpstreamBody {
    /// The body framed by `head` on `conn`. A body that is already complete (none, or zero
    /// bytes) hands the connection back at once.
    pub fn new(conn: UpstreamConn, head: &ResponseHead, pool: Arc<UpstreamPool>) -> Self {
        let remaining = match head.framing {
            Framing::Empty | Framing::Length(0) => Remaining::Done,
            Framing::Length(length) => Remaining::Length(length),
            Framing::Chunked => Remaining::Chunked(ChunkedDecoder::default()),
            Framing::Close => Remaining::Close,
        };
        let mut body = UpstreamBody {
            conn: Some(conn),
            remaining,
            keep_alive: head.keep_alive,
            pool,
        };
        if body.remaining.is_done() {
            body.finish();
        }
        body
    }

    /// The body is complete: its connection goes back idle if it can carry another request.
    fn finish(&mut self) {
        self.remaining = Remaining::Done;
        if let Some(conn) = self.conn.take()
            && self.keep_alive
            && conn.buf.is_empty()
        {
            self.pool.put_back(conn);
        }
    }

    fn fail(&mut self, reason: String) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.remaining = Remaining::Done;
        self.conn = None;
        Poll::Ready(Some(Err(BodyError(reason))))
    }
}

impl http_body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match this.remaining.next(&mut conn.buf) {
                Ok(Next::Data(data)) => {
                    if this.remaining.is_done() {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Ok(Next::Done) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(Next::NeedMore) => {}
                Err(reason) => return this.fail(reason),
            }
            match ready!(conn.poll_fill(cx)) {
                Ok(0) if matches!(this.remaining, Remaining::Close) => {
                    this.remaining = Remaining::Done;
                    this.conn = None;
                    return Poll::Ready(None);
                }
                Ok(0) => {
                    return this
                        .fail("the upstream closed the connection before the body ended".into());
                }
                Ok(_) => {}
                Err(error) => return this.fail(format!("reading the body: {error}")),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining.is_done()
    }

    fn size_hint(&self) -> SizeHint {
        self.remaining.size_hint()
    }
}
