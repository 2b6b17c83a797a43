//! Request heads, request bodies and response writing of the HTTP/1.1 server, over an
//! in-memory duplex stream standing in for the client's socket.

use super::*;
use crate::body::{self, ChannelBody};
use http::Response;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

fn conn(io: DuplexStream, wire: &[u8]) -> ServerConn<DuplexStream> {
    ServerConn::new(io, BytesMut::from(wire))
}

fn head(wire: &[u8]) -> Result<Option<Head>, String> {
    parse_head(&mut BytesMut::from(wire), &mut Vec::new())
}

#[test]
fn pipelined_heads_are_taken_one_at_a_time() {
    let mut buf = BytesMut::from(
        &b"GET /c/a/x?q=1 HTTP/1.1\r\nHost: w\r\n\r\nPOST /c/a/y HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"[..],
    );
    let first = parse_head(&mut buf, &mut Vec::new()).unwrap().unwrap();
    assert_eq!(first.parts.method, Method::GET);
    assert_eq!(first.parts.uri.path(), "/c/a/x");
    assert_eq!(first.parts.uri.query(), Some("q=1"));
    assert_eq!(first.parts.headers["host"], "w");
    assert!(first.keep_alive);
    assert!(matches!(first.remaining, Remaining::Done));
    let second = parse_head(&mut buf, &mut Vec::new()).unwrap().unwrap();
    assert!(matches!(second.remaining, Remaining::Length(2)));
    assert_eq!(&buf[..], b"hi");
    assert!(
        parse_head(
            &mut BytesMut::from(&b"GET / HTTP/1.1\r\nHo"[..]),
            &mut Vec::new()
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn framing_and_keep_alive_of_requests() {
    let chunked = head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap()
        .unwrap();
    assert!(matches!(chunked.remaining, Remaining::Chunked(_)));
    let old = head(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
    assert!(!old.keep_alive);
    let old_kept = head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        .unwrap()
        .unwrap();
    assert!(old_kept.keep_alive);
    let closing = head(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap()
        .unwrap();
    assert!(!closing.keep_alive);
    let expecting = head(b"PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        .unwrap()
        .unwrap();
    assert!(expecting.owe_continue);
    let smuggled =
        head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
    assert!(smuggled.err().unwrap().contains("both"));
    let not_chunked = head(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert!(not_chunked.err().unwrap().contains("chunked"));
    assert!(head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").is_err());
    assert!(head(b"GET /a b HTTP/1.1\r\n\r\n").is_err());
}

#[tokio::test]
async fn a_body_is_read_after_100_continue_and_the_next_request_stays_in_the_buffer() {
    let (client, server) = tokio::io::duplex(4096);
    let mut c = conn(server, b"4\r\nwxyz\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    c.remaining = Remaining::Chunked(Default::default());
    c.owe_continue = true;
    let slot = Slot::new();
    let body = RequestBody {
        conn: Some(c),
        slot: &slot,
    }
    .collect()
    .await
    .unwrap()
    .to_bytes();
    assert_eq!(&body[..], b"wxyz");
    let c = slot.take().unwrap();
    assert!(matches!(c.remaining, Remaining::Done));
    assert_eq!(&c.buf[..], b"GET / HTTP/1.1\r\n\r\n");
    drop(c);
    let mut said = String::new();
    let mut client = client;
    client.read_to_string(&mut said).await.unwrap();
    assert_eq!(said, "HTTP/1.1 100 Continue\r\n\r\n");
}

#[tokio::test]
async fn a_body_cut_short_leaves_the_connection_unusable() {
    let (mut client, server) = tokio::io::duplex(4096);
    let mut c = conn(server, b"abc");
    c.remaining = Remaining::Length(10);
    client.shutdown().await.unwrap();
    drop(client);
    let slot = Slot::new();
    let body = RequestBody {
        conn: Some(c),
        slot: &slot,
    };
    let error = body.collect().await.err().unwrap();
    assert!(error.to_string().contains("mid-body"), "{error}");
    let c = slot.take().unwrap();
    assert!(!matches!(c.remaining, Remaining::Done));
}

/// Writes `response` as the answer to a request of `version` (HEAD if `to_head`); returns
/// what the client received, without the `date` field the writer adds (checked to be there
/// once and well-formed), and whether the connection stays open.
async fn written(
    response: Response<body::Body>,
    to_head: bool,
    version: Version,
) -> (String, bool) {
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let mut c = conn(server, b"");
    let kept = crate::respond::write(
        &mut c,
        response,
        to_head,
        version,
        true,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    drop(c);
    let mut wire = String::new();
    client.read_to_string(&mut wire).await.unwrap();
    (without_date(&wire), kept)
}

#[tokio::test]
async fn a_response_keeps_its_own_date() {
    let dated = full_with("x", &[("date", OWN_DATE)]);
    let (wire, _) = written(dated, false, Version::HTTP_11).await;
    assert_eq!(wire, "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx");
}

/// The `Date` a test response brings of its own.
const OWN_DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

/// A response with body `text` and the header fields `fields`.
fn full_with(text: &'static str, fields: &[(&'static str, &str)]) -> Response<body::Body> {
    let mut response = Response::new(body::full(text));
    for (name, value) in fields {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

/// `wire` without its one `date` field, which must look like [`OWN_DATE`].
fn without_date(wire: &str) -> String {
    let start = wire.find("\r\ndate: ").expect("a date field") + 2;
    let own = format!("date: {OWN_DATE}\r\n");
    if wire[start..].starts_with(&own) {
        // The response's own, not the writer's: nothing else may follow it.
        let rest = wire.replacen(&own, "", 1);
        assert!(!rest.contains("\r\ndate: "), "one date field: {wire}");
        return rest;
    }
    let end = start + wire[start..].find("\r\n").unwrap() + 2;
    let value = &wire[start + "date: ".len()..end - 2];
    assert_eq!(value.len(), 29, "{value}");
    assert!(
        value.ends_with(" GMT") && value.as_bytes()[3] == b',',
        "{value}"
    );
    let rest = format!("{}{}", &wire[..start], &wire[end..]);
    assert!(!rest.contains("\r\ndate: "), "one date field: {wire}");
    rest
}

#[tokio::test]
async fn whole_streamed_and_bodiless_responses_are_framed() {
    let whole = full_with(
        "{\"a\":1}",
        &[
            ("content-type", "application/json"),
            ("content-length", "999"),
        ],
    );
    let (wire, kept) = written(whole, false, Version::HTTP_11).await;
    assert_eq!(
        wire,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{\"a\":1}"
    );
    assert!(kept);

    let (tx, streamed) = ChannelBody::channel(4);
    tokio::spawn(async move {
        tx.send(Ok(bytes::Bytes::from_static(b"data: 1\n\n")))
            .await
            .unwrap();
        tx.send(Ok(bytes::Bytes::from_static(b"data: 2\n\n")))
            .await
            .unwrap();
    });
    let (wire, kept) = written(Response::new(streamed), false, Version::HTTP_11).await;
    assert_eq!(
        wire,
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n"
    );
    assert!(kept);

    let (tx, streamed) = ChannelBody::channel(4);
    tokio::spawn(async move {
        tx.send(Ok(bytes::Bytes::from_static(b"old")))
            .await
            .unwrap();
    });
    let (wire, kept) = written(Response::new(streamed), false, Version::HTTP_10).await;
    assert_eq!(wire, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nold");
    assert!(!kept);

    let to_head = full_with("", &[("content-length", "42")]);
    let (wire, kept) = written(to_head, true, Version::HTTP_11).await;
    assert_eq!(wire, "HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n");
    assert!(kept);

    let mut empty = Response::new(body::full(""));
    *empty.status_mut() = StatusCode::NO_CONTENT;
    let (wire, _) = written(empty, false, Version::HTTP_11).await;
    assert_eq!(wire, "HTTP/1.1 204 No Content\r\n\r\n");
}

#[tokio::test]
async fn a_stream_that_fails_ends_the_connection_without_a_last_chunk() {
    let (tx, streamed) = ChannelBody::channel(4);
    tokio::spawn(async move {
        tx.send(Ok(bytes::Bytes::from_static(b"part")))
            .await
            .unwrap();
        tx.send(Err(crate::HttpError::Body {
            side: "response",
            message: "upstream went away".into(),
        }))
        .await
        .unwrap();
    });
    let (wire, kept) = written(Response::new(streamed), false, Version::HTTP_11).await;
    assert_eq!(
        wire,
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\npart\r\n"
    );
    assert!(!kept);
}
