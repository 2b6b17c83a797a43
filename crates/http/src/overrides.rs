//! What some servers and frameworks obey over the request line: a method override header
//! (`X-HTTP-Method-Override: DELETE` on a POST), a path override header (`X-Original-URL`,
//! `X-Rewrite-URL`), or a `_method` query parameter or form field (Rails, Laravel, Symfony,
//! Express's method-override). Policy decides on the method and path Warden sees, so a request
//! carrying one is refused rather than forwarded for the upstream to reinterpret.

use crate::form::Form;
use http::{HeaderMap, HeaderName};

/// The parameter or field name frameworks read a method override from.
const METHOD_FIELD: &str = "_method";

/// Headers that replace the method or path at some upstreams.
static OVERRIDES: [HeaderName; 5] = [
    HeaderName::from_static("x-http-method-override"),
    HeaderName::from_static("x-http-method"),
    HeaderName::from_static("x-method-override"),
    HeaderName::from_static("x-original-url"),
    HeaderName::from_static("x-rewrite-url"),
];

/// The first override header `headers` carries, if any: the request's few names are compared
/// with the list (a lookup by name would hash each of the five).
pub fn found(headers: &HeaderMap) -> Option<&'static str> {
    OVERRIDES
        .iter()
        .find(|name| headers.keys().any(|key| key == *name))
        .map(HeaderName::as_str)
}

/// What in the request line or form body overrides the method, if anything: a `_method`
/// query parameter, or a `_method` field of `form` (read from `body`).
pub fn method_field(query: Option<&str>, form: &Form<'_>, body: &[u8]) -> Option<&'static str> {
    let named = |name: &str| name.eq_ignore_ascii_case(METHOD_FIELD);
    if query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(name, _)| named(&name))) {
        return Some("a _method query parameter");
    }
    form.names(body, METHOD_FIELD)
        .then_some("a _method form field")
}

#[cfg(test)]
mod tests {
    use super::{found, method_field};
    use crate::content::parse_media_type;
    use crate::form::Form;
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

    #[test]
    fn method_fields_are_found_in_the_query_and_in_forms() {
        // (query, Content-Type, body) → what overrides the method.
        let found = |query: Option<&str>, content_type: Option<&str>, body: &[u8]| {
            let media = content_type.map(parse_media_type);
            method_field(query, &Form::read(media.as_ref(), body), body)
        };
        assert_eq!(found(Some("a=1&b=2"), None, b""), None);
        let query = found(Some("a=1&%5FMETHOD=DELETE"), None, b"");
        assert_eq!(query, Some("a _method query parameter"));
        let urlencoded = Some("application/x-www-form-urlencoded");
        assert!(found(None, urlencoded, b"x=1&_method=delete").is_some());
        assert_eq!(found(None, urlencoded, b"x=_method"), None);
        // The same bytes without a form's Content-Type are no form.
        assert_eq!(found(None, None, b"x=1&_method=delete"), None);

        let multipart = Some("multipart/form-data; boundary=b");
        let body =
            b"--b\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--b--";
        assert!(found(None, multipart, body).is_some());
        let value_only =
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n_method\r\n--b--";
        assert_eq!(found(None, multipart, value_only), None);
        // Bare line feeds: not this reading's format, but a lenient server's.
        let lenient = b"--b\nContent-Disposition: form-data; name=\"_method\"\n\nDELETE\n--b--";
        assert!(found(None, multipart, lenient).is_some());
    }
}
