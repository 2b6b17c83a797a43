//! Response headers of a masked role: personal data can sit in a header as well as in the body
//! (`X-User-Email`, a `Location` with an address in its query), so every header value goes
//! through the detectors, except the ones that only describe the message.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::borrow::Cow;
use warden_core::mask::ValueMasker;

/// Headers that describe the message itself and are passed over.
const STRUCTURAL: [HeaderName; 14] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
    header::DATE,
    header::EXPIRES,
    header::LAST_MODIFIED,
    header::AGE,
    header::CACHE_CONTROL,
    header::ETAG,
    header::VARY,
    header::SERVER,
];

/// What a header value is replaced with when its masked text is not a valid header value, or
/// when it is not text at all (it could hold anything).
fn withheld() -> HeaderValue {
    HeaderValue::from_static("[redacted]")
}

/// Masks every value of `headers` but the [`STRUCTURAL`] ones with `masker`'s detectors.
pub fn mask_headers(headers: &mut HeaderMap, masker: &dyn ValueMasker) {
    for (name, value) in headers.iter_mut() {
        if STRUCTURAL.contains(name) {
            continue;
        }
        let Ok(text) = value.to_str() else {
            *value = withheld();
            continue;
        };
        if let Cow::Owned(masked) = masker.mask_text(text) {
            *value = HeaderValue::from_str(&masked).unwrap_or_else(|_| withheld());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_masker::{EMAIL, Emails};

    #[test]
    fn values_are_masked_except_structural_ones() {
        let mut headers = HeaderMap::new();
        headers.insert("x-user", HeaderValue::from_static(EMAIL));
        headers.insert(
            header::LOCATION,
            HeaderValue::from_static("/u?mail=jane@example.com"),
        );
        headers.insert("x-opaque", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(EMAIL));
        headers.insert("x-plain", HeaderValue::from_static("ok"));
        mask_headers(&mut headers, &Emails);
        assert_eq!(headers["x-user"], "[email]");
        assert_eq!(headers[header::LOCATION], "/u?mail=[email]");
        assert_eq!(headers["x-opaque"], "[redacted]");
        assert_eq!(headers[header::CONTENT_TYPE], EMAIL);
        assert_eq!(headers["x-plain"], "ok");
    }
}
