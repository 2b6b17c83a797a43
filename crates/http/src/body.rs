//! Body types: whole bodies, bodies fed by a pump task, and bounded reading with timeouts.

use crate::HttpError;
use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// Every body the gateway sends, to clients and upstream.
pub type Body = BoxBody<Bytes, HttpError>;

/// A whole body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// A body whose chunks a pump task sends; the task learns the client went away when a send
/// fails.
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, HttpError>>,
}

impl ChannelBody {
    /// A body and the sender that feeds it (holding up to `depth` chunks).
    pub fn channel(depth: usize) -> (mpsc::Sender<Result<Bytes, HttpError>>, Body) {
        let (tx, rx) = mpsc::channel(depth);
        (tx, ChannelBody { rx }.boxed())
    }
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }
}

/// Reads `body` whole, refusing more than `limit` bytes and a pause longer than `idle` between
/// chunks. `side` names the body in errors.
pub async fn collect_limited<B>(
    body: B,
    limit: usize,
    idle: Duration,
    side: &'static str,
    too_large: fn(usize) -> HttpError,
) -> Result<Bytes, HttpError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large(limit));
    }
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let frame = crate::deadline::timeout(idle, body.frame())
            .await
            .map_err(|_| HttpError::Body {
                side,
                message: format!("no data for {} s", idle.as_secs()),
            })?;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| HttpError::Body {
            side,
            message: e.to_string(),
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let held = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if held + data.len() > limit {
            return Err(too_large(limit));
        }
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(previous) => {
                buf.extend_from_slice(&previous);
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(buf)))
}
