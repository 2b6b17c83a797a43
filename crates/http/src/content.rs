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

pub fn content_kind(headers: &http::HeaderMap) -> ContentKind {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return ContentKind::Text;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "text/event-stream" {
        ContentKind::EventStream
    } else if essence == "application/json" || essence.ends_with("+json") {
        ContentKind::Json
    } else if essence.starts_with("text/")
        || matches!(
            essence.as_str(),
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

pub fn is_json(headers: &http::HeaderMap) -> bool {
    content_kind(headers) == ContentKind::Json
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
