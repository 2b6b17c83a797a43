//! Malformed or oversized protocol messages close that connection with an error, the gateway
//! keeps serving others, and the audit log records it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_messages() {
    let h = Harness::start().await;

    // Garbage instead of a startup packet.
    let mut garbage = TcpStream::connect(h.addr).await.unwrap();
    garbage
        .write_all(b"\xff\xff\xff\xffGET / HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let _ = read_all(&mut garbage).await;

    // A logged-in session that then declares a 1 GiB message.
    let mut big = TcpStream::connect(h.addr).await.unwrap();
    big.write_all(&common::startup_packet(196608, "pg-test", &[]))
        .await
        .unwrap();
    let mut buf = [0u8; 9];
    big.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf[0], b'R', "asked for a password");
    let mut password = vec![b'p'];
    password.extend_from_slice(&((h.agent_key.len() + 5) as u32).to_be_bytes());
    password.extend_from_slice(h.agent_key.as_bytes());
    password.push(0);
    big.write_all(&password).await.unwrap();
    // wait for ReadyForQuery, then send the oversized header
    let mut seen = Vec::new();
    while !seen.ends_with(&[b'Z', 0, 0, 0, 5, b'I']) {
        let mut chunk = [0u8; 1024];
        let n = big.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&chunk[..n]);
    }
    big.write_all(&[b'Q', 0x40, 0, 0, 0]).await.unwrap();
    let answer = read_all(&mut big).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.contains("08P01"),
        "fatal protocol error sent: {text:?}"
    );

    // Others are still served.
    let client = h.client(&h.agent_key).await;
    client.batch_execute("select 1").await.unwrap();

    let errors = h
        .audit(warden_store::AuditFilter {
            kind: Some("protocol_error".into()),
            ..Default::default()
        })
        .await;
    assert!(errors.len() >= 2, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e["detail"]["error"].as_str().unwrap().contains("exceeds")),
        "{errors:#?}"
    );
}
