//! HTTP/1.1 as Warden speaks it to upstreams (RFC 9112): the request head written straight
//! from the client's request, and the response head parsed (bounded) into status, headers and
//! what delimits the body.

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};
use std::mem::MaybeUninit;

/// Most header fields a response head may carry.
pub const MAX_HEADERS: usize = 128;

/// Request headers never copied from the client: its credential is Warden's, never the
/// upstream's; Host and Content-Length are written for the upstream; responses must arrive
/// uncompressed so they can be masked; the body is sent whole, so there is nothing to expect.
const NOT_FORWARDED: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::HOST,
    header::CONTENT_LENGTH,
    header::ACCEPT_ENCODING,
    header::EXPECT,
];

/// Headers that describe one hop, never forwarded.
pub const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("keep-alive"),
];

/// The names a `Connection` header lists beyond `keep-alive` and `close` (hop-by-hop too).
pub fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut named = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split(',').map(str::trim) {
            if token.eq_ignore_ascii_case("keep-alive") || token.eq_ignore_ascii_case("close") {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
                named.push(name);
            }
        }
    }
    named
}

/// What the upstream request is made of.
pub struct RequestHead<'a> {
    /// The client's method.
    pub method: &'a Method,
    /// Origin-form target: path and query.
    pub target: &'a str,
    /// The upstream's `host[:port]`.
    pub authority: &'a str,
    /// The client's headers.
    pub client: &'a HeaderMap,
    /// The connection's injected credentials; they replace client headers of the same name.
    pub injected: &'a [(HeaderName, HeaderValue)],
    /// Length of the body that follows.
    pub body_len: usize,
}

impl RequestHead<'_> {
    /// Appends the head to `out`, or says why it cannot be sent (a target with bytes a request
    /// line must not hold).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), String> {
        if let Some(bad) = self.target.bytes().find(|b| *b <= b' ' || *b == 0x7f) {
            return Err(format!("the request target holds the byte {bad:#04x}"));
        }
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(self.authority.as_bytes());
        out.extend_from_slice(b"\r\n");
        let named = if self.client.contains_key(header::CONNECTION) {
            connection_named(self.client)
        } else {
            Vec::new()
        };
        for (name, value) in self.client {
            let dropped = NOT_FORWARDED.contains(name)
                || HOP_BY_HOP.contains(name)
                || named.contains(name)
                || self.injected.iter().any(|(injected, _)| injected == name);
            if !dropped {
                field(out, name, value);
            }
        }
        for (name, value) in self.injected {
            field(out, name, value);
        }
        if self.body_len > 0 || !matches!(*self.method, Method::GET | Method::HEAD) {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(self.body_len.to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

fn field(out: &mut Vec<u8>, name: &HeaderName, value: &HeaderValue) {
    out.extend_from_slice(name.as_str().as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// What delimits a response body (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a response to HEAD, or a 204 or 304.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the upstream closes the connection.
    Close,
}

/// A final response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status code.
    pub status: StatusCode,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// Header fields, values sharing the bytes they were read into.
    pub headers: HeaderMap,
    /// What delimits the body.
    pub framing: Framing,
    /// Whether the connection may carry another request after this body.
    pub keep_alive: bool,
}

/// What the front of the read buffer held.
#[derive(Debug)]
pub enum Head {
    /// Not a whole head yet.
    Partial,
    /// An interim (1xx) response, taken off the buffer and skipped.
    Interim,
    /// The final response head, taken off the buffer.
    Final(ResponseHead),
}

/// Takes one response head off the front of `buf` if it is all there. `to_head` says the
/// request was HEAD (so the response has no body whatever its headers say); `spans` is room
/// for where its fields lie.
pub fn take_response_head(
    buf: &mut BytesMut,
    spans: &mut Vec<Span>,
    to_head: bool,
) -> Result<Head, String> {
    let mut slots = header_slots();
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Head::Partial),
        Err(error) => return Err(format!("malformed response head: {error}")),
    };
    let code = response.code.unwrap_or_default();
    let version = if response.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    fill_spans(buf, response.headers, spans);
    let head: Bytes = buf.split_to(len).freeze();
    if (100..200).contains(&code) {
        if code == 101 {
            return Err("the upstream switched protocols, which Warden does not relay".into());
        }
        return Ok(Head::Interim);
    }
    let status = StatusCode::from_u16(code).map_err(|_| format!("bad status code {code}"))?;
    let headers = header_map(&head, spans, "response")?;
    let (framing, framed_keep_alive) = framing(&headers, status, to_head)?;
    let keep_alive =
        framed_keep_alive && version == Version::HTTP_11 && !connection_lists(&headers, "close");
    Ok(Head::Final(ResponseHead {
        status,
        version,
        headers,
        framing,
        keep_alive,
    }))
}

/// The body's framing, and whether it leaves the connection reusable.
fn framing(
    headers: &HeaderMap,
    status: StatusCode,
    to_head: bool,
) -> Result<(Framing, bool), String> {
    if to_head || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok((Framing::Empty, true));
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        let last = last_coding(headers);
        let chunked = last.is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"));
        // A Content-Length beside a transfer coding is a smuggling attempt or a broken server:
        // the coding wins and the connection is not reused.
        let reusable = chunked && !headers.contains_key(header::CONTENT_LENGTH);
        let framing = if chunked {
            Framing::Chunked
        } else {
            Framing::Close
        };
        return Ok((framing, reusable));
    }
    let length = content_length(headers, "response")?;
    Ok(match length {
        Some(length) => (Framing::Length(length), true),
        None => (Framing::Close, false),
    })
}

/// Where a header field's name and value lie in a head: `(name start, name end, value start,
/// value end)`.
pub type Span = (usize, usize, usize, usize);

/// Room for the header fields of one head, left uninitialised until the parser fills it (a
/// head is parsed per request: zeroing 4 KiB of slots each time showed in profiles).
pub fn header_slots<'b>() -> [MaybeUninit<httparse::Header<'b>>; MAX_HEADERS] {
    [const { MaybeUninit::uninit() }; MAX_HEADERS]
}

/// Puts the spans of `fields`, parsed out of `buf`, into `spans` (emptied first; a
/// connection keeps one for all its heads).
pub fn fill_spans(buf: &[u8], fields: &[httparse::Header<'_>], spans: &mut Vec<Span>) {
    let base = buf.as_ptr() as usize;
    spans.clear();
    spans.extend(fields.iter().map(|field| {
        let name = field.name.as_ptr() as usize - base;
        let value = field.value.as_ptr() as usize - base;
        (
            name,
            name + field.name.len(),
            value,
            value + field.value.len(),
        )
    }));
}

/// The header fields at `spans` of `head`, values sharing its bytes. `side` names the message
/// in errors.
pub fn header_map(head: &Bytes, spans: &[Span], side: &str) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::with_capacity(spans.len());
    for &(name_start, name_end, value_start, value_end) in spans {
        let name = HeaderName::from_bytes(&head[name_start..name_end])
            .map_err(|_| format!("a {side} header has an invalid name"))?;
        let value = HeaderValue::from_maybe_shared(head.slice(value_start..value_end))
            .map_err(|_| format!("{side} header {name} has an invalid value"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// The message's Content-Length: digits only, repeated values identical.
pub fn content_length(headers: &HeaderMap, side: &str) -> Result<Option<u64>, String> {
    let mut length: Option<u64> = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        for item in value.as_bytes().split(|b| *b == b',') {
            let item = item.trim_ascii();
            let parsed = std::str::from_utf8(item)
                .ok()
                .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|text| text.parse::<u64>().ok())
                .ok_or_else(|| format!("the {side} has an invalid Content-Length"))?;
            if length.is_some_and(|seen| seen != parsed) {
                return Err(format!("the {side} has conflicting Content-Length values"));
            }
            length = Some(parsed);
        }
    }
    Ok(length)
}

/// Whether the `Connection` header lists `token`.
pub fn connection_lists(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|listed| listed.trim().eq_ignore_ascii_case(token))
}

/// The last transfer coding named, if any header names one.
pub fn last_coding(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .rfind(|coding| !coding.is_empty())
}

#[cfg(test)]
#[path = "h1_tests.rs"]
mod tests;
