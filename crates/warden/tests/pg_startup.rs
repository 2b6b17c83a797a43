//! Start-up negotiation: GSSENCRequest is refused cleanly and the client goes on; a protocol
//! 3.2 client is answered with NegotiateProtocolVersion and continues on 3.0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gssenc_refused_then_protocol_3_2_negotiated() {
    let h = Harness::start().await;
    let mut tcp = TcpStream::connect(h.addr).await.unwrap();
    // GSSENCRequest
    tcp.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30])
        .await
        .unwrap();
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer[0], b'N');
    tcp.write_all(&common::startup_packet(
        (3 << 16) | 2,
        "pg-test",
        &[("_pq_.test_option", "1")],
    ))
    .await
    .unwrap();
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header).await.unwrap();
    assert_eq!(header[0], b'v', "NegotiateProtocolVersion comes first");
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    let mut body = vec![0u8; len - 4];
    tcp.read_exact(&mut body).await.unwrap();
    assert_eq!(&body[..4], &0u32.to_be_bytes(), "newest minor version is 0");
    assert_eq!(&body[4..8], &1u32.to_be_bytes(), "one unsupported option");
    assert!(String::from_utf8_lossy(&body[8..]).contains("_pq_.test_option"));
    tcp.read_exact(&mut header).await.unwrap();
    assert_eq!(header[0], b'R', "then the password request");
}
