//! The client leg over HTTP/1.1 (RFC 9112): request heads read (bounded, with a deadline) into
//! the connection's buffer, each request handed to the exchange handler with a body read
//! lazily from that buffer, and its response written back; keep-alive and pipelining follow
//! from the one buffer. HTTP/2 stays with hyper (see the listener).

use crate::HttpError;
use crate::framing::{self, Remaining};
use crate::h1;
use crate::listener::HttpGateway;
use crate::server_body::RequestBody;
use crate::session::ClientConn;
use bytes::{Bytes, BytesMut};
use http::{Method, Request, StatusCode, Uri, Version, header};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 8 * 1024;
/// How an HTTP/2 client with prior knowledge starts.
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";

/// One client connection: its stream, the bytes read and not yet consumed, and the request
/// body's progress.
pub struct ServerConn<S> {
    pub(crate) io: S,
    pub(crate) buf: BytesMut,
    pub(crate) remaining: Remaining,
    /// `100 Continue` owed to the client before its body is read.
    pub(crate) owe_continue: bool,
    pub(crate) out: Vec<u8>,
    /// Where the fields of the last request head lay, kept for the next one.
    spans: Vec<h1::Span>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> ServerConn<S> {
    /// A connection whose first `read` bytes are already taken off `io`.
    pub(crate) fn new(io: S, read: BytesMut) -> Self {
        ServerConn {
            io,
            buf: read,
            remaining: Remaining::Done,
            owe_continue: false,
            out: Vec::with_capacity(4096),
            spans: Vec::new(),
        }
    }

    /// Reads more into the buffer; `Ok(0)` is the end of the stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        framing::poll_fill(&mut self.io, &mut self.buf, READ_CHUNK, cx)
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }
}

/// Where a connection waits while no request body holds it, and whoever waits for it to come
/// back.
pub struct Slot<S>(Mutex<Held<S>>);

/// What a [`Slot`] holds.
pub struct Held<S> {
    conn: Option<ServerConn<S>>,
    waiter: Option<Waker>,
}

impl<S> Slot<S> {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        Slot(Mutex::new(Held {
            conn: None,
            waiter: None,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Held<S>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives the connection back (a request body is done with it).
    pub(crate) fn put(&self, conn: ServerConn<S>) {
        let mut slot = self.lock();
        slot.conn = Some(conn);
        if let Some(waker) = slot.waiter.take() {
            waker.wake();
        }
    }

    fn take(&self) -> Option<ServerConn<S>> {
        self.lock().conn.take()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Slot<S> {
    /// Ready when the client has closed the connection (or it failed) while its request is
    /// being handled, its body read. Bytes of a pipelined request are kept for later, up to
    /// `limit`; past that, and while a body is unread, it stops looking.
    fn poll_client_gone(&self, cx: &mut Context<'_>, limit: usize) -> Poll<()> {
        let mut slot = self.lock();
        let Some(conn) = slot.conn.as_mut() else {
            slot.waiter = Some(cx.waker().clone());
            return Poll::Pending;
        };
        loop {
            if !conn.remaining.is_done() || conn.buf.len() > limit {
                return Poll::Pending;
            }
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(()),
                Poll::Ready(Ok(_)) => {}
            }
        }
    }
}

/// How serving a connection over HTTP/1.1 ended.
pub enum Served<S> {
    /// The connection is done.
    Closed,
    /// The client speaks HTTP/2 with prior knowledge: its stream and what was read of it.
    Http2(S, Bytes),
}

/// A request head, ready for the exchange.
struct Head {
    parts: http::request::Parts,
    remaining: Remaining,
    keep_alive: bool,
    owe_continue: bool,
}

/// Why no request head could be read.
enum NoHead {
    /// The client closed the connection (or stopped sending) between requests.
    Gone,
    /// An answer is owed before closing: status and message.
    Refuse(StatusCode, String),
    /// HTTP/2 prior knowledge.
    Http2,
}

/// Answers a connection that cannot be served at all (plaintext on a TLS-only listener) with
/// Warden's refusal, then closes it.
pub async fn refuse<S>(io: S, status: StatusCode, message: &str, idle: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut c = ServerConn::new(io, BytesMut::new());
    crate::respond::refuse(&mut c, status, message, idle).await;
}

/// Serves HTTP/1.1 requests on `io` until the client or an error ends the connection.
pub async fn serve<S>(
    gateway: Arc<HttpGateway>,
    io: S,
    conn: Arc<ClientConn>,
    header_timeout: Duration,
) -> Result<Served<S>, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let max_head = gateway.settings.max_header_bytes.max(8192);
    let idle = gateway.settings.idle_timeout.0;
    let mut c = ServerConn::new(io, BytesMut::with_capacity(READ_CHUNK));
    let slot = Slot::new();
    let mut first = true;
    loop {
        let head =
            match tokio::time::timeout(header_timeout, read_head(&mut c, max_head, first)).await {
                Err(_) | Ok(Err(NoHead::Gone)) => return Ok(Served::Closed),
                Ok(Err(NoHead::Http2)) => return Ok(Served::Http2(c.io, c.buf.freeze())),
                Ok(Err(NoHead::Refuse(status, message))) => {
                    crate::respond::refuse(&mut c, status, &message, idle).await;
                    return Ok(Served::Closed);
                }
                Ok(Ok(head)) => head,
            };
        first = false;
        let Head {
            parts,
            remaining,
            keep_alive,
            owe_continue,
        } = head;
        let version = parts.version;
        let to_head = parts.method == Method::HEAD;
        c.remaining = remaining;
        c.owe_continue = owe_continue;
        let body = RequestBody {
            conn: Some(c),
            slot: &slot,
        };
        // Pinned where it is made: the exchange's state is several KiB, which moving it into
        // the `select!` below would copy on every request.
        let exchange = std::pin::pin!(crate::exchange::handle(
            gateway.clone(),
            conn.clone(),
            Request::from_parts(parts, body),
        ));
        // A client that hangs up while its request is held for review cancels it, as with
        // HTTP/2. The exchange raises `held` within the poll that starts the wait, and the
        // watch is polled right after it: it needs no wake-up to start.
        let response = tokio::select! {
            biased;
            response = exchange => Some(response),
            () = std::future::poll_fn(|cx| {
                if conn.held.load(Ordering::Relaxed) {
                    slot.poll_client_gone(cx, max_head)
                } else {
                    Poll::Pending
                }
            }) => None,
        };
        conn.held.store(false, Ordering::Relaxed);
        // The exchange is over and its request body dropped: the connection is back.
        let Some(back) = slot.take() else {
            return Err(HttpError::Io(std::io::Error::other(
                "the connection was not handed back",
            )));
        };
        c = back;
        let Some(response) = response else {
            return Ok(Served::Closed);
        };
        // A body left unread cannot be skipped safely: the connection ends after this answer.
        let keep_alive = keep_alive && c.remaining.is_done();
        let kept =
            crate::respond::write(&mut c, response, to_head, version, keep_alive, idle).await?;
        if !kept {
            if !c.remaining.is_done() {
                crate::respond::linger(&mut c).await;
            }
            return Ok(Served::Closed);
        }
    }
}

/// Reads and parses the next request head.
async fn read_head<S>(c: &mut ServerConn<S>, max_head: usize, first: bool) -> Result<Head, NoHead>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        if first && c.buf.starts_with(H2_PREFACE) {
            return Err(NoHead::Http2);
        }
        if !c.buf.is_empty() {
            match parse_head(&mut c.buf, &mut c.spans) {
                Ok(Some(head)) => return Ok(head),
                Ok(None) => {}
                Err(message) => return Err(NoHead::Refuse(StatusCode::BAD_REQUEST, message)),
            }
        }
        if c.buf.len() > max_head {
            return Err(NoHead::Refuse(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("the request head is larger than {max_head} bytes"),
            ));
        }
        match c.fill().await {
            Ok(0) | Err(_) => return Err(NoHead::Gone),
            Ok(_) => {}
        }
    }
}

/// Takes one request head off the front of `buf` if it is all there; `spans` is room for
/// where its fields lie.
fn parse_head(buf: &mut BytesMut, spans: &mut Vec<h1::Span>) -> Result<Option<Head>, String> {
    let mut slots = h1::header_slots();
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(buf, &mut slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(format!("malformed request head: {error}")),
    };
    let method = Method::from_bytes(request.method.unwrap_or_default().as_bytes())
        .map_err(|_| "malformed request method".to_owned())?;
    let version = match request.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let target = request.path.unwrap_or_default();
    let target_start = target.as_ptr() as usize - buf.as_ptr() as usize;
    let target_span = target_start..target_start + target.len();
    h1::fill_spans(buf, request.headers, spans);
    let head = buf.split_to(len).freeze();
    let uri = Uri::from_maybe_shared(head.slice(target_span))
        .map_err(|e| format!("malformed request target: {e}"))?;
    let headers = h1::header_map(&head, spans, "request")?;
    let remaining = if headers.contains_key(header::TRANSFER_ENCODING) {
        if headers.contains_key(header::CONTENT_LENGTH) {
            return Err("the request has both Transfer-Encoding and Content-Length".into());
        }
        if !h1::last_coding(&headers).is_some_and(|c| c.eq_ignore_ascii_case("chunked")) {
            return Err("the request's transfer coding does not end with chunked".into());
        }
        Remaining::Chunked(Default::default())
    } else {
        match h1::content_length(&headers, "request")? {
            Some(0) | None => Remaining::Done,
            Some(length) => Remaining::Length(length),
        }
    };
    let keep_alive = match version {
        Version::HTTP_10 => h1::connection_lists(&headers, "keep-alive"),
        _ => !h1::connection_lists(&headers, "close"),
    };
    let owe_continue = version == Version::HTTP_11
        && !remaining.is_done()
        && headers
            .get(header::EXPECT)
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    let (parts, ()) = request.into_parts();
    Ok(Some(Head {
        parts,
        remaining,
        keep_alive,
        owe_continue,
    }))
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
