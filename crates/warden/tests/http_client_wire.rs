//! Warden's HTTP/1.1 server as a client's bytes meet it, over a raw TCP socket: pipelined
//! requests, a chunked upload, `Expect: 100-continue`, HTTP/1.0, malformed and oversized heads;
//! and HTTP/2 with prior knowledge (curl) on the same plaintext listener. The upstream is the
//! real test server, which logs what reached it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::HttpHarness;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One response read off `tcp` (after `pending`): status line, lowercase head, body.
async fn response(tcp: &mut TcpStream, pending: &mut Vec<u8>) -> (String, String, Vec<u8>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_string();
            let status = head.lines().next().unwrap().to_owned();
            let lower = head.to_lowercase();
            let length = lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map(|n| n.trim().parse::<usize>().unwrap());
            let body_end = length.map(|n| end + 4 + n);
            if status.contains(" 100 ") {
                pending.drain(..end + 4);
                return (status, lower, Vec::new());
            }
            if let Some(body_end) = body_end
                && pending.len() >= body_end
            {
                let body = pending[end + 4..body_end].to_vec();
                pending.drain(..body_end);
                return (status, lower, body);
            }
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut chunk))
            .await
            .expect("no response in time")
            .unwrap();
        if n == 0 {
            // Delimited by close.
            let end = pending.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let head = String::from_utf8_lossy(&pending[..end]).to_string();
            let body = pending[end + 4..].to_vec();
            pending.clear();
            return (
                head.lines().next().unwrap().to_owned(),
                head.to_lowercase(),
                body,
            );
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// What the echo route says it received.
fn echoed(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http1_server_handles_what_clients_send() {
    let h = HttpHarness::start(&[], "").await;
    let key = h.key("wire-1", &["wide"]).await;
    let auth = format!("Authorization: Bearer {key}");

    // Two requests in one write, the second a chunked upload: answered in order on one
    // connection; the upstream gets the body with a Content-Length.
    let mut tcp = TcpStream::connect(h.addr).await.unwrap();
    let pipelined = format!(
        "GET /c/llm/echo/one HTTP/1.1\r\nHost: w\r\n{auth}\r\n\r\n\
         POST /c/llm/echo/two HTTP/1.1\r\nHost: w\r\n{auth}\r\nContent-Type: text/plain\r\n\
         Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-t: 1\r\n\r\n"
    );
    tcp.write_all(pipelined.as_bytes()).await.unwrap();
    let mut pending = Vec::new();
    let (status, head, body) = response(&mut tcp, &mut pending).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(echoed(&body)["path"], "/echo/one");
    // One Date: the upstream's, or Warden's when the upstream sent none.
    assert_eq!(head.matches("\r\ndate: ").count(), 1, "{head}");
    let (status, _, body) = response(&mut tcp, &mut pending).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let two = echoed(&body);
    assert_eq!(two["path"], "/echo/two");
    assert_eq!(two["body"], "hello world");
    assert_eq!(two["headers"]["content-length"], "11");
    assert!(two["headers"].get("transfer-encoding").is_none(), "{two}");

    // Expect: 100-continue on the same connection: the interim answer comes before the body
    // is sent.
    let head = format!(
        "PUT /c/llm/echo/three HTTP/1.1\r\nHost: w\r\n{auth}\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let (status, _, _) = response(&mut tcp, &mut pending).await;
    assert_eq!(status, "HTTP/1.1 100 Continue");
    tcp.write_all(b"abc").await.unwrap();
    let (status, _, body) = response(&mut tcp, &mut pending).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(echoed(&body)["body"], "abc");
    assert!(
        h.upstream_requests()
            .iter()
            .all(|r| r["headers"].get("expect").is_none())
    );

    // HTTP/1.0 without keep-alive: one answer, then the connection ends.
    let mut old = TcpStream::connect(h.addr).await.unwrap();
    let request = format!("GET /c/llm/echo/four HTTP/1.0\r\n{auth}\r\n\r\n");
    old.write_all(request.as_bytes()).await.unwrap();
    let mut pending = Vec::new();
    let (status, head, body) = response(&mut old, &mut pending).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(echoed(&body)["path"], "/echo/four");
    let mut rest = Vec::new();
    old.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());

    // A malformed head and an oversized one: refused, the connection closed, nothing forwarded
    // (the upstream's log holds only the four requests above).
    for (wire, want) in [
        (b"GET /c/llm/echo HTTP/1.1\r\nBad Header\r\n\r\n".to_vec(), "400"),
        (
            [
                b"GET /c/llm/echo HTTP/1.1\r\nx-big: ".to_vec(),
                vec![b'a'; 200 * 1024],
            ]
            .concat(),
            "431",
        ),
        (
            format!("POST /c/llm/echo HTTP/1.1\r\n{auth}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n").into_bytes(),
            "400",
        ),
    ] {
        let mut bad = TcpStream::connect(h.addr).await.unwrap();
        let _ = bad.write_all(&wire).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), bad.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(&format!("HTTP/1.1 {want} ")), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        // Warden's own answers carry a Date (RFC 9110 §6.6.1).
        assert!(answer.contains("\r\ndate: ") && answer.contains(" GMT\r\n"), "{answer}");
    }
    assert_eq!(h.upstream_requests().len(), 4);

    // HTTP/2 with prior knowledge on the plaintext listener.
    let (status, body) = h
        .curl(&[
            "--http2-prior-knowledge",
            "-H",
            &auth,
            &format!("{}/echo/five", h.base("llm")),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(echoed(body.as_bytes())["path"], "/echo/five");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_while_held_for_review_cancels_its_request() {
    let h = HttpHarness::start(&[], "").await;
    let careful = h.key("careful-1", &["careful"]).await;
    let approver = h.key("appr-1", &["approvers"]).await;
    let mut tcp = TcpStream::connect(h.addr).await.unwrap();
    let request = format!(
        "DELETE /c/llm/v1/files/file-9 HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer {careful}\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let review = h.pending_review("file-9").await;
    // The caller gives up; then the request is approved, within the hold's 3 s.
    drop(tcp);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let approver = h.identity(&approver).await;
    h.gateway
        .reviews
        .vote(&approver, review.id, true, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        h.upstream_requests().is_empty(),
        "a request whose caller left was forwarded: {:?}",
        h.upstream_requests()
    );
}
