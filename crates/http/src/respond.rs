//! Writing a response to an HTTP/1.1 client: a whole body goes out with its head in one write;
//! a streamed one is written frame by frame as it comes, chunked (or delimited by its
//! Content-Length, or by closing, for an HTTP/1.0 client).

use crate::body::Body;
use crate::server::ServerConn;
use http::header::{self, HeaderName};
use http::{Response, StatusCode, Version};
use http_body::Body as _;
use http_body_util::BodyExt;
use std::io::Write as _;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Header fields the writer sets itself.
const FRAMING: [HeaderName; 3] = [
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
];

/// How the body goes on the wire.
enum Delimit {
    None,
    Length,
    Chunked,
    Close,
}

/// Writes `response`; returns whether the connection can take another request. `idle` bounds
/// each wait for the client to accept bytes and for the next frame of a streamed body.
pub async fn write<S>(
    c: &mut ServerConn<S>,
    response: Response<Body>,
    to_head: bool,
    version: Version,
    mut keep_alive: bool,
    idle: Duration,
) -> std::io::Result<bool>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (parts, mut body) = response.into_parts();
    let status = parts.status;
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let exact = body.size_hint().exact();
    // The length the headers declare matters only for HEAD and for a streamed body.
    let declared = if to_head || exact.is_none() {
        crate::h1::content_length(&parts.headers, "response")
            .ok()
            .flatten()
    } else {
        None
    };
    let (delimit, length) = match (bodiless, exact, declared) {
        (true, _, _) => (Delimit::None, None),
        // A response to HEAD says how long the body would have been.
        (false, _, Some(declared)) if to_head => (Delimit::Length, Some(declared)),
        (false, Some(exact), _) => (Delimit::Length, Some(exact)),
        (false, None, Some(declared)) => (Delimit::Length, Some(declared)),
        (false, None, None) if version == Version::HTTP_11 => (Delimit::Chunked, None),
        (false, None, None) => (Delimit::Close, None),
    };
    if matches!(delimit, Delimit::Close) {
        keep_alive = false;
    }
    let out = &mut c.out;
    out.clear();
    status_line(out, status);
    for (name, value) in &parts.headers {
        if !FRAMING.contains(name) {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    if !parts.headers.contains_key(header::DATE) {
        crate::date::write_header(out);
    }
    match (&delimit, length) {
        (Delimit::Length, Some(length)) => {
            out.extend_from_slice(b"content-length: ");
            let _ = write!(out, "{length}\r\n");
        }
        (Delimit::Chunked, _) if !to_head => {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n");
        }
        _ => {}
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if version == Version::HTTP_10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if to_head || matches!(delimit, Delimit::None) {
        send(c, idle).await?;
        return Ok(keep_alive);
    }
    if exact.is_none() {
        // A stream: the head goes now, each frame when it comes.
        send(c, idle).await?;
    }
    let mut sent: u64 = 0;
    loop {
        // A whole body is there already; a stream's next frame may take a while.
        let next = if exact.is_some() {
            Ok(body.frame().await)
        } else {
            crate::deadline::timeout(idle, body.frame()).await
        };
        let frame = match next {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            // The body failed or stalled: the client must not take what it got for a whole
            // response, so the connection ends without a proper end of body.
            Ok(Some(Err(_))) | Err(_) => {
                send(c, idle).await?;
                return Ok(false);
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        sent += data.len() as u64;
        if matches!(delimit, Delimit::Chunked) {
            c.out
                .extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            c.out.extend_from_slice(&data);
            c.out.extend_from_slice(b"\r\n");
        } else {
            c.out.extend_from_slice(&data);
        }
        if exact.is_none() {
            send(c, idle).await?;
        }
    }
    if matches!(delimit, Delimit::Chunked) {
        c.out.extend_from_slice(b"0\r\n\r\n");
    }
    send(c, idle).await?;
    // A declared length the body did not fill (or overran) leaves the client out of step.
    Ok(keep_alive && length.is_none_or(|length| length == sent))
}

/// A refusal Warden answers before any request could be handled, then closes.
pub async fn refuse<S>(c: &mut ServerConn<S>, status: StatusCode, message: &str, idle: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let body = format!("warden: {message}\n");
    c.out.clear();
    status_line(&mut c.out, status);
    crate::date::write_header(&mut c.out);
    let _ = write!(
        c.out,
        "content-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = send(c, idle).await;
    linger(c).await;
}

/// Appends the status line; the usual `200 OK` as one constant.
fn status_line(out: &mut Vec<u8>, status: StatusCode) {
    if status == StatusCode::OK {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Most bytes read and dropped after the last answer on a connection.
const LINGER_BYTES: usize = 1 << 20;
/// Longest wait for them.
const LINGER_TIME: Duration = Duration::from_secs(2);

/// Ends the connection without losing the last answer: closing with unread bytes from the
/// client (a refused head, a body left unread) would reset the connection, and a reset can
/// destroy the answer before the client reads it. So the write side is shut, and what the
/// client still sends is read and dropped for a while.
pub async fn linger<S>(c: &mut ServerConn<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(LINGER_TIME, async {
        c.io.shutdown().await?;
        let mut drained = 0;
        let mut scratch = [0u8; 8192];
        while drained < LINGER_BYTES {
            match c.io.read(&mut scratch).await? {
                0 => break,
                n => drained += n,
            }
        }
        std::io::Result::Ok(())
    })
    .await;
}

/// Writes what is in `c.out`, within `idle`.
async fn send<S>(c: &mut ServerConn<S>, idle: Duration) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if c.out.is_empty() {
        return Ok(());
    }
    let written = crate::deadline::timeout(idle, async {
        c.io.write_all(&c.out).await?;
        c.io.flush().await
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "client stopped reading"))?;
    c.out.clear();
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_of_200_is_the_one_every_status_gets() {
        for code in [200, 201, 204, 400, 403, 404, 429, 502, 504, 599] {
            let status = StatusCode::from_u16(code).unwrap();
            let mut out = Vec::new();
            status_line(&mut out, status);
            let expected = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_str(),
                status.canonical_reason().unwrap_or("")
            );
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{code}");
        }
    }
}
