use super::*;

fn head(wire: &[u8], to_head: bool) -> Result<Head, String> {
    let mut buf = BytesMut::from(wire);
    take_response_head(&mut buf, &mut Vec::new(), to_head)
}

fn final_head(wire: &[u8]) -> ResponseHead {
    match head(wire, false) {
        Ok(Head::Final(head)) => head,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_response_head_is_parsed_and_taken_off_the_buffer() {
    let mut buf = BytesMut::from(
        &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Two: a\r\nx-two: b\r\nContent-Length: 7\r\n\r\n{\"a\":1}"[..],
    );
    let Head::Final(head) = take_response_head(&mut buf, &mut Vec::new(), false).unwrap() else {
        panic!("not final");
    };
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.version, Version::HTTP_11);
    assert_eq!(head.headers["content-type"], "application/json");
    let two: Vec<_> = head.headers.get_all("x-two").iter().collect();
    assert_eq!(two, ["a", "b"]);
    assert_eq!(head.framing, Framing::Length(7));
    assert!(head.keep_alive);
    assert_eq!(&buf[..], b"{\"a\":1}");
}

#[test]
fn a_partial_head_waits_and_an_interim_one_is_skipped() {
    assert!(matches!(
        head(b"HTTP/1.1 200 OK\r\nContent-Le", false),
        Ok(Head::Partial)
    ));
    let mut buf =
        BytesMut::from(&b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"[..]);
    assert!(matches!(
        take_response_head(&mut buf, &mut Vec::new(), false),
        Ok(Head::Interim)
    ));
    let Ok(Head::Final(head)) = take_response_head(&mut buf, &mut Vec::new(), false) else {
        panic!("no final head");
    };
    assert_eq!(head.status, StatusCode::NO_CONTENT);
    assert_eq!(head.framing, Framing::Empty);
    assert!(buf.is_empty());
    assert!(
        head_err(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n").contains("switched")
    );
}

fn head_err(wire: &[u8]) -> String {
    match head(wire, false) {
        Err(reason) => reason,
        Ok(other) => panic!("accepted: {other:?}"),
    }
}

#[test]
fn framing_follows_rfc_9112() {
    let chunked = final_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    assert_eq!(
        (chunked.framing, chunked.keep_alive),
        (Framing::Chunked, true)
    );
    let not_last = final_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
    assert_eq!(
        (not_last.framing, not_last.keep_alive),
        (Framing::Close, false)
    );
    let both =
        final_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
    assert_eq!((both.framing, both.keep_alive), (Framing::Chunked, false));
    let until_close = final_head(b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(
        (until_close.framing, until_close.keep_alive),
        (Framing::Close, false)
    );
    let same_twice = final_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n");
    assert_eq!(same_twice.framing, Framing::Length(5));
    let closing = final_head(
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(!closing.keep_alive);
    let old = final_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(old.version, Version::HTTP_10);
    assert!(!old.keep_alive);
    let not_modified = final_head(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
    assert_eq!(not_modified.framing, Framing::Empty);
    let Ok(Head::Final(to_head)) = head(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true)
    else {
        panic!("no head");
    };
    assert_eq!(
        (to_head.framing, to_head.keep_alive),
        (Framing::Empty, true)
    );
}

#[test]
fn bad_heads_are_refused() {
    assert!(head_err(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n").contains("conflicting"));
    assert!(head_err(b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n").contains("invalid"));
    assert!(head_err(b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n").contains("invalid"));
    assert!(head_err(b"HTTP/1.1 20x OK\r\n\r\n").contains("malformed"));
    assert!(head_err(b"SSH-2.0-OpenSSH\r\n\r\n").contains("malformed"));
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..=MAX_HEADERS {
        many.extend_from_slice(format!("x-{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert!(head_err(&many).contains("malformed"));
}

#[test]
fn the_request_head_carries_injected_credentials_and_drops_the_callers() {
    let mut client = HeaderMap::new();
    client.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Bearer wd_caller"),
    );
    client.insert(header::HOST, HeaderValue::from_static("warden.local"));
    client.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    client.insert(
        header::CONNECTION,
        HeaderValue::from_static("x-hop, keep-alive"),
    );
    client.insert("x-hop", HeaderValue::from_static("1"));
    client.insert("x-api-key", HeaderValue::from_static("caller-chosen"));
    client.insert(header::EXPECT, HeaderValue::from_static("100-continue"));
    client.insert(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
    client.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    let injected = [(
        HeaderName::from_static("x-api-key"),
        HeaderValue::from_static("sk-upstream"),
    )];
    let mut out = Vec::new();
    RequestHead {
        method: &Method::POST,
        target: "/v1/items?a=1",
        authority: "api.example:8443",
        client: &client,
        injected: &injected,
        body_len: 2,
    }
    .write(&mut out)
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /v1/items?a=1 HTTP/1.1\r\nhost: api.example:8443\r\naccept: */*\r\nx-api-key: sk-upstream\r\ncontent-length: 2\r\n\r\n"
    );
}

#[test]
fn a_get_without_body_has_no_content_length_and_a_bad_target_is_refused() {
    let client = HeaderMap::new();
    let head = |method: &Method, target: &str, body_len| {
        let mut out = Vec::new();
        RequestHead {
            method,
            target,
            authority: "h",
            client: &client,
            injected: &[],
            body_len,
        }
        .write(&mut out)
        .map(|()| String::from_utf8(out).unwrap())
    };
    assert_eq!(
        head(&Method::GET, "/", 0).unwrap(),
        "GET / HTTP/1.1\r\nhost: h\r\n\r\n"
    );
    assert!(
        head(&Method::DELETE, "/x", 0)
            .unwrap()
            .contains("content-length: 0\r\n")
    );
    assert!(head(&Method::GET, "/a b", 0).is_err());
    assert!(head(&Method::GET, "/a\r\nx-injected: 1", 0).is_err());
}
