//! Request paths Warden refuses before route rules see them: ones an upstream may read as a
//! different path than the rules did. `/v1/models/../files/x` matches a rule for
//! `/v1/models/**`, but a server that resolves dot segments serves `/v1/files/x`; `/v1//files/x`
//! or `/v1/files%2Fx` match no rule, but a server that merges slashes or decodes `%2F` serves
//! `/v1/files/x`; `/v1/chat/%63ompletions` matches no rule, but a server that decodes
//! unreserved characters serves `/v1/chat/completions`; `..` below a connection could also
//! leave the connection's base path. Such paths are refused, not rewritten: the request the
//! client sent is never silently changed.

/// Why `path` (below the connection, without the query) cannot be classified safely, if it
/// cannot.
pub fn refusal(path: &str) -> Option<&'static str> {
    if path.contains('\\') {
        return Some("a backslash, which some servers read as a slash");
    }
    let mut segments = path.strip_prefix('/').unwrap_or(path).split('/').peekable();
    while let Some(segment) = segments.next() {
        if segment.is_empty() && segments.peek().is_some() {
            return Some("an empty segment (`//`), which some servers merge away");
        }
        if segment == "." || segment == ".." {
            return Some("a dot segment (`.` or `..`), which servers resolve to another path");
        }
        for byte in encoded(segment) {
            if byte == b'/' || byte == b'\\' {
                return Some("an encoded slash or backslash (`%2F`, `%5C`)");
            }
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                return Some(
                    "a percent-encoded letter, digit or `-._~` (such as `%2e` or `%63`), which servers decode",
                );
            }
        }
    }
    None
}

/// The bytes `segment` spells as `%XX`.
fn encoded(segment: &str) -> impl Iterator<Item = u8> + '_ {
    segment.as_bytes().windows(3).filter_map(|w| {
        let hex = std::str::from_utf8(w.get(1..)?).ok()?;
        (w[0] == b'%')
            .then(|| u8::from_str_radix(hex, 16).ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn ordinary_paths_pass() {
        for path in [
            "/",
            "",
            "/v1/models",
            "/v1/models/gpt-4o",
            "/v1/files/",
            "/v1/files/file-1/content",
            "/a/b.c/..d/e..",
            "/search/caf%C3%A9",
            "/a/%25/b",
            "/a/%20b/%3F",
        ] {
            assert_eq!(refusal(path), None, "{path}");
        }
    }

    #[test]
    fn paths_an_upstream_may_read_otherwise_are_refused() {
        for path in [
            "/v1/models/../files/x",
            "/v1/models/./x",
            "/..",
            "/v1/models/%2e%2e/files/x",
            "/v1/models/.%2E/files/x",
            "/v1/models/%2E",
            "/v1//files/x",
            "//v1/files",
            "/v1/files%2Fx",
            "/v1/files%2fx",
            "/v1/files%5cx",
            "/v1/files\\x",
            "/v1/chat/%63ompletions",
            "/v1/files/file%2D1",
            "/a/%7e",
            "/a/%2e%2ex",
        ] {
            assert!(refusal(path).is_some(), "{path}");
        }
    }
}
