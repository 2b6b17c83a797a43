//! Response bodies passed unchanged (a role without masking, a connection without an LLM API):
//! a small one declared by `Content-Length` is read whole and sent with its head, a larger one
//! streams, and one the upstream cuts short is a 502, audited, never a clean end. The upstream
//! is a raw TCP server on loopback that answers each path with fixed bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::HttpHarness;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Bytes of the large body: above the size read whole, so it streams.
const LARGE: usize = 40_000;

/// Answers every request on `tcp` by its path until the client closes.
async fn answer(mut tcp: TcpStream) {
    let mut pending = Vec::new();
    loop {
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            let mut chunk = [0u8; 4096];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&pending[..end]).to_string();
        pending.drain(..end + 4);
        let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
        let reply: Vec<u8> = match path.as_str() {
            "/small" => {
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Origin: raw\r\nContent-Length: 26\r\n\r\nmail ada@example.com today"
                    .to_vec()
            }
            "/large" => {
                let mut reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {LARGE}\r\n\r\n"
                )
                .into_bytes();
                reply.extend((0..LARGE).map(|i| b'a' + (i % 26) as u8));
                reply
            }
            "/short" => {
                // Declares 100 bytes, sends 10, then closes.
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789")
                    .await;
                return;
            }
            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
        };
        if tcp.write_all(&reply).await.is_err() {
            return;
        }
    }
}

async fn serve(listener: TcpListener) {
    while let Ok((tcp, _)) = listener.accept().await {
        tokio::spawn(answer(tcp));
    }
}

/// The recording of every finished session, read until it holds `needle` (sessions end, and
/// their recordings are finished, just after the client closes).
async fn recording_with(h: &HttpHarness, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = h.recordings_text().await;
        if text.contains(needle) || std::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_passed_unchanged_arrive_whole_or_fail_clearly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener));
    let extra = format!(
        r#"
[connections.raw]
kind = "http"
upstream = "http://127.0.0.1:{port}"

[roles.raw-readers]
groups = ["raw-readers"]
connections = ["raw"]
allow = ["http:GET"]
"#
    );
    let h = HttpHarness::start(&[], &extra).await;
    let key = h.key("raw-1", &["raw-readers"]).await;
    let auth = format!("Authorization: Bearer {key}");
    let base = h.base("raw");

    // Small: the exact bytes, its own headers and length, no masking for this role.
    let (status, body) = h.curl(&["-i", "-H", &auth, &format!("{base}/small")]).await;
    assert_eq!(status, 200, "{body}");
    let (head, payload) = body.split_once("\r\n\r\n").unwrap();
    assert_eq!(payload, "mail ada@example.com today");
    let head = head.to_lowercase();
    assert!(head.contains("content-length: 26"), "{head}");
    assert!(head.contains("x-origin: raw"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");

    // Large: streamed whole, byte for byte.
    let (status, body) = h.curl(&["-H", &auth, &format!("{base}/large")]).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), LARGE);
    assert!(
        body.bytes()
            .enumerate()
            .all(|(i, b)| b == b'a' + (i % 26) as u8)
    );

    // Cut short: a 502 naming the upstream, never the 10 bytes as a whole response.
    let (status, body) = h.curl(&["-H", &auth, &format!("{base}/short")]).await;
    assert_eq!(status, 502, "{body}");
    assert!(!body.contains("0123456789"), "{body}");
    assert!(body.contains("upstream"), "{body}");

    // The gateway keeps serving, and audits and records each exchange.
    let (status, _) = h.curl(&["-H", &auth, &format!("{base}/small")]).await;
    assert_eq!(status, 200);
    // A streamed exchange is audited once its body has ended, just after the client has it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut events = h.requests("http:GET").await;
    while events.len() < 4 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        events = h.requests("http:GET").await;
    }
    let statuses: Vec<_> = events
        .iter()
        .map(|e| e["detail"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{events:#?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 502).count(),
        1,
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["detail"]["path"] == "/small" && e["detail"]["response_bytes"] == 26),
        "{events:#?}"
    );
    let recording = recording_with(&h, "mail ada@example.com today").await;
    assert!(
        recording.contains("\"response_body\":\"mail ada@example.com today\""),
        "{recording}"
    );
}
