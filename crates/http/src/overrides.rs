//! Headers some servers and frameworks obey over the request line: a method override
//! (`X-HTTP-Method-Override: DELETE` on a POST) or a path override (`X-Original-URL`,
//! `X-Rewrite-URL`). Policy decides on the method and path Warden sees, so a request carrying
//! one is refused rather than forwarded for the upstream to reinterpret.

use http::HeaderMap;

/// Headers that replace the method or path at some upstreams.
const OVERRIDES: [&str; 5] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
];

/// The first override header `headers` carries, if any.
pub fn found(headers: &HeaderMap) -> Option<&'static str> {
    OVERRIDES
        .into_iter()
        .find(|name| headers.contains_key(*name))
}

#[cfg(test)]
mod tests {
    use super::found;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn override_headers_are_found_in_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("*/*"));
        assert_eq!(found(&headers), None);
        headers.insert("X-HTTP-Method-Override", HeaderValue::from_static("DELETE"));
        assert_eq!(found(&headers), Some("x-http-method-override"));
        let mut headers = HeaderMap::new();
        headers.insert("X-Original-URL", HeaderValue::from_static("/admin"));
        assert_eq!(found(&headers), Some("x-original-url"));
    }
}
