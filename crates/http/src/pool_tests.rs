//! The pool against a scripted HTTP/1.1 server on loopback that sends exactly the bytes each
//! test needs (framings, early closes) and counts the connections it accepts.

use super::*;
use http_body_util::BodyExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Clone)]
enum Act {
    /// Writes these pieces (a short pause between them), keeps the connection.
    Send(Vec<&'static [u8]>),
    /// Writes these bytes, then closes.
    SendAndClose(&'static [u8]),
    /// Closes without answering.
    Close,
}

/// Starts a server whose answer to request `r` on connection `c` is `script(c, r)`; returns
/// its port and the count of connections accepted.
async fn server(script: fn(usize, usize) -> Act) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let c = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut pending = Vec::new();
                for r in 0.. {
                    if !read_request(&mut tcp, &mut pending).await {
                        return;
                    }
                    match script(c, r) {
                        Act::Send(pieces) => {
                            for piece in pieces {
                                tcp.write_all(piece).await.unwrap();
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                        }
                        Act::SendAndClose(bytes) => {
                            let _ = tcp.write_all(bytes).await;
                            return;
                        }
                        Act::Close => return,
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// Reads one request (head and Content-Length body); false at the end of the stream.
async fn read_request(tcp: &mut tokio::net::TcpStream, pending: &mut Vec<u8>) -> bool {
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .map_or(0, |n| n.trim().parse().unwrap());
            if pending.len() >= end + 4 + length {
                pending.drain(..end + 4 + length);
                return true;
            }
        }
        let mut chunk = [0u8; 4096];
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
}

fn new_pool(port: u16) -> Arc<UpstreamPool> {
    Arc::new(UpstreamPool::new(Dialer {
        host: "127.0.0.1".into(),
        port,
        tls: None,
        connect_timeout: Duration::from_secs(5),
        max_head: 16 * 1024,
    }))
}

fn request(method: http::Method, body: &'static [u8]) -> UpstreamRequest {
    let mut head = format!("{method} /x HTTP/1.1\r\nhost: t\r\n").into_bytes();
    if !body.is_empty() {
        head.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    UpstreamRequest {
        head,
        body: bytes::Bytes::from_static(body),
        to_head: method == http::Method::HEAD,
        idempotent: method.is_idempotent(),
    }
}

/// Sends `request`; returns the status and the whole body, or the error.
async fn fetch(
    pool: &Arc<UpstreamPool>,
    request: &UpstreamRequest,
) -> Result<(u16, Vec<u8>), String> {
    let response = pool.send(request).await.map_err(|e| e.reason())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body.to_vec()))
}

const OK_HELLO: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

#[tokio::test]
async fn a_connection_is_reused_once_its_body_was_read_whatever_the_framing() {
    let (port, accepted) = server(|_, r| match r {
        0 => Act::Send(vec![OK_HELLO]),
        1 => Act::Send(vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc",
            b"\r\n4;x=y\r\ndefg\r\n0\r\nx-trailer: 1\r\n",
            b"\r\n",
        ]),
        2 => Act::Send(vec![b"HTTP/1.1 204 No Content\r\n\r\n"]),
        _ => Act::Send(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok",
        ]),
    })
    .await;
    let pool = new_pool(port);
    let get = request(http::Method::GET, b"");
    assert_eq!(fetch(&pool, &get).await.unwrap(), (200, b"hello".to_vec()));
    assert_eq!(
        fetch(&pool, &get).await.unwrap(),
        (200, b"abcdefg".to_vec())
    );
    assert_eq!(fetch(&pool, &get).await.unwrap(), (204, Vec::new()));
    let post = request(http::Method::POST, b"{\"a\":1}");
    assert_eq!(fetch(&pool, &post).await.unwrap(), (201, b"ok".to_vec()));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_until_close_is_read_whole_and_its_connection_is_not_kept() {
    let (port, accepted) = server(|_, _| {
        Act::SendAndClose(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it")
    })
    .await;
    let pool = new_pool(port);
    let get = request(http::Method::GET, b"");
    assert_eq!(
        fetch(&pool, &get).await.unwrap(),
        (200, b"all of it".to_vec())
    );
    assert_eq!(
        fetch(&pool, &get).await.unwrap(),
        (200, b"all of it".to_vec())
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_kept_connection_the_upstream_closed_is_replaced() {
    // Connection 0 answers once, then closes when the second request arrives; the pool
    // cannot tell beforehand, so an idempotent request is sent again on a new connection,
    // and a POST is not (it may have been acted on).
    let (port, accepted) = server(|c, r| match (c, r) {
        (0, 0) | (2, 0) => Act::Send(vec![OK_HELLO]),
        (0 | 2, _) => Act::Close,
        _ => Act::Send(vec![OK_HELLO]),
    })
    .await;
    let pool = new_pool(port);
    let get = request(http::Method::GET, b"");
    assert_eq!(fetch(&pool, &get).await.unwrap(), (200, b"hello".to_vec()));
    assert_eq!(fetch(&pool, &get).await.unwrap(), (200, b"hello".to_vec()));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);

    let pool = new_pool(port);
    assert_eq!(fetch(&pool, &get).await.unwrap(), (200, b"hello".to_vec()));
    let post = request(http::Method::POST, b"x");
    let error = fetch(&pool, &post).await.unwrap_err();
    assert!(
        error.contains("closed the connection before a response"),
        "{error}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_idle_connection_closed_by_the_upstream_is_not_used() {
    let (port, accepted) = server(|_, _| Act::SendAndClose(OK_HELLO)).await;
    let pool = new_pool(port);
    let post = request(http::Method::POST, b"x");
    assert_eq!(fetch(&pool, &post).await.unwrap(), (200, b"hello".to_vec()));
    // The upstream's FIN has arrived by now: the kept connection is seen closed at checkout,
    // so even a POST goes out on a new connection.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fetch(&pool, &post).await.unwrap(), (200, b"hello".to_vec()));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cut_short_or_malformed_response_is_an_error() {
    let (port, _) = server(|c, _| match c {
        0 => Act::SendAndClose(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf"),
        1 => Act::SendAndClose(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab"),
        2 => Act::SendAndClose(b"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n"),
        _ => Act::SendAndClose(b"not http at all\r\n\r\n"),
    })
    .await;
    let pool = new_pool(port);
    let get = request(http::Method::GET, b"");
    let cut = fetch(&pool, &get).await.unwrap_err();
    assert!(cut.contains("before the body ended"), "{cut}");
    let cut = fetch(&pool, &get).await.unwrap_err();
    assert!(cut.contains("before the body ended"), "{cut}");
    let conflicting = fetch(&pool, &get).await.unwrap_err();
    assert!(
        conflicting.contains("conflicting Content-Length"),
        "{conflicting}"
    );
    let garbage = fetch(&pool, &get).await.unwrap_err();
    assert!(garbage.contains("malformed response head"), "{garbage}");
}

#[tokio::test]
async fn an_oversized_response_head_is_refused() {
    let (port, _) =
        server(|_, _| Act::Send(vec![b"HTTP/1.1 200 OK\r\nx-big: ", &[b'a'; 20 * 1024]])).await;
    let pool = new_pool(port);
    let error = fetch(&pool, &request(http::Method::GET, b""))
        .await
        .unwrap_err();
    assert!(error.contains("larger than 16384 bytes"), "{error}");
}

#[tokio::test]
async fn an_unreachable_upstream_cannot_be_connected() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = fetch(&new_pool(port), &request(http::Method::GET, b""))
        .await
        .unwrap_err();
    assert!(error.starts_with("cannot connect: "), "{error}");
}
