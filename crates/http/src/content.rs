//! What kind of body a message carries, which decides how it is masked.

use http::header;

/// What kind of body a response has, for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Json,
    EventStream,
    Text,
    Binary,
}

/// What kind of body a message with `headers` has (text when it names no type).
pub fn content_kind(headers: &http::HeaderMap) -> ContentKind {
    match media_type(headers) {
        Some(media) => media.kind(),
        None => ContentKind::Text,
    }
}

/// What kind of body a media type (its lower-case `type/subtype`) names.
fn kind_of(essence: &str) -> ContentKind {
    if essence == "text/event-stream" {
        ContentKind::EventStream
    } else if essence == "application/json" || essence.ends_with("+json") {
        ContentKind::Json
    } else if essence.starts_with("text/")
        || matches!(
            essence,
            "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/x-ndjson"
        )
        || essence.ends_with("+xml")
    {
        ContentKind::Text
    } else {
        ContentKind::Binary
    }
}

/// A `Content-Type` value taken apart: its lower-case `type/subtype` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower case.
    pub essence: String,
    /// `boundary=` (quotes removed), for multipart bodies.
    pub boundary: Option<String>,
}

impl MediaType {
    /// What kind of body this media type names.
    pub fn kind(&self) -> ContentKind {
        kind_of(&self.essence)
    }
}

/// The media type `headers` name, if their `Content-Type` is readable.
pub fn media_type(headers: &http::HeaderMap) -> Option<MediaType> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(parse_media_type(value))
}

/// Takes a `Content-Type` value apart.
pub fn parse_media_type(value: &str) -> MediaType {
    let mut pieces = value.split(';');
    let essence = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let boundary = pieces.find_map(|piece| {
        let (name, value) = piece.split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| {
            let value = value.trim();
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
                .to_owned()
        })
    });
    MediaType { essence, boundary }
}

/// The content coding of a body that is not sent as it is (`gzip`, `br`, …), if any.
pub fn coding(headers: &http::HeaderMap) -> Option<String> {
    let coding = headers
        .get(header::CONTENT_ENCODING)?
        .to_str()
        .unwrap_or("unreadable");
    let coding = coding.trim();
    (!coding.is_empty() && !coding.eq_ignore_ascii_case("identity")).then(|| coding.to_owned())
}

/// Whether `body` starts (after white space) like a JSON object or array.
pub fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['))
}
