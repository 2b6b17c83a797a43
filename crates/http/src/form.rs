//! Form bodies taken apart in place: the fields of `application/x-www-form-urlencoded` and the
//! parts of `multipart/form-data` (RFC 7578), each with the byte range of its value, so that a
//! masked value can be put back where it was and every other byte is forwarded as it came.

use crate::content::{MediaType, parse_media_type};
use std::borrow::Cow;
use std::ops::Range;

/// The most parts a multipart body may have.
const MAX_PARTS: usize = 1024;

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// One `name=value` field of a urlencoded form.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The name, decoded.
    pub name: Cow<'a, str>,
    /// The value, decoded (`+` is a space, `%XX` a byte; bytes that are not UTF-8 are U+FFFD).
    pub value: Cow<'a, str>,
    /// Where the value lies, encoded, in the body.
    pub raw: Range<usize>,
}

/// The fields of a urlencoded `body`, in order.
pub(crate) fn fields(body: &[u8]) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    let mut start = 0;
    for segment in body.split(|b| *b == b'&') {
        let end = start + segment.len();
        if let Some((name, value)) = form_urlencoded::parse(segment).next() {
            let raw = match memchr::memchr(b'=', segment) {
                Some(eq) => start + eq + 1..end,
                None => end..end,
            };
            fields.push(Field { name, value, raw });
        }
        start = end + 1;
    }
    fields
}

/// `value` encoded as a urlencoded form value.
pub(crate) fn encode(value: &[u8]) -> String {
    form_urlencoded::byte_serialize(value).collect()
}

/// A request body read as a form once, for everything that looks into it (the method
/// override check, an LLM request's model, outbound masking).
#[derive(Debug)]
pub(crate) enum Form<'a> {
    /// Not a form (no `Content-Type`, or another one).
    None,
    /// `application/x-www-form-urlencoded`.
    Urlencoded(Vec<Field<'a>>),
    /// `multipart/…`: its boundary, and its parts or how it breaks the format.
    Multipart {
        /// The `boundary` of its `Content-Type` (empty if it names none).
        boundary: String,
        /// Its parts, or why it cannot be taken apart.
        parts: Result<Vec<Part>, String>,
    },
}

impl<'a> Form<'a> {
    /// `body` read as the form its media type names.
    pub(crate) fn read(media: Option<&MediaType>, body: &'a [u8]) -> Form<'a> {
        let Some(media) = media else {
            return Form::None;
        };
        if media.essence == "application/x-www-form-urlencoded" {
            Form::Urlencoded(fields(body))
        } else if media.essence.starts_with("multipart/") {
            let boundary = media.boundary.clone().unwrap_or_default();
            let parts = parts(body, &boundary);
            Form::Multipart { boundary, parts }
        } else {
            Form::None
        }
    }

    /// Whether a field is named `name` (any case); a multipart body that cannot be taken apart
    /// counts if `name` appears in `body` at all, since a lenient server might find the field.
    pub(crate) fn names(&self, body: &[u8], name: &str) -> bool {
        match self {
            Form::None => false,
            Form::Urlencoded(fields) => fields.iter().any(|f| f.name.eq_ignore_ascii_case(name)),
            Form::Multipart {
                parts: Ok(parts), ..
            } => parts.iter().any(|p| {
                p.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            }),
            Form::Multipart { parts: Err(_), .. } => {
                let lower = body.to_ascii_lowercase();
                memchr::memmem::find(&lower, name.to_ascii_lowercase().as_bytes()).is_some()
            }
        }
    }

    /// The one value of the field `name` of `body` (`None` if it is no form or has no such
    /// field). A field given twice, or a form that cannot be read, is an error: servers differ
    /// on which of two values they take.
    pub(crate) fn single_value(&self, body: &[u8], name: &str) -> Result<Option<String>, String> {
        let values: Vec<String> = match self {
            Form::None => return Ok(None),
            Form::Urlencoded(fields) => fields
                .iter()
                .filter(|field| field.name == name)
                .map(|field| field.value.clone().into_owned())
                .collect(),
            Form::Multipart { parts, .. } => {
                let parts = parts
                    .as_ref()
                    .map_err(|why| format!("is a form that {why}"))?;
                let mut values = Vec::new();
                for part in parts.iter().filter(|p| p.name.as_deref() == Some(name)) {
                    let text = std::str::from_utf8(&body[part.content.clone()])
                        .map_err(|_| format!("has a {name} field that is not UTF-8 text"))?;
                    values.push(text.to_owned());
                }
                values
            }
        };
        match values.len() {
            0 | 1 => Ok(values.into_iter().next()),
            _ => Err(format!("names its {name} more than once")),
        }
    }
}

/// One part of a multipart body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `name` of its `Content-Disposition`, if it has one.
    pub name: Option<String>,
    /// Whether its `Content-Disposition` names a file.
    pub file: bool,
    /// Its `Content-Type`, if it has one.
    pub media: Option<MediaType>,
    /// Where its content lies in the body.
    pub content: Range<usize>,
}

/// The parts of a multipart `body` whose boundary is `boundary`; the preamble and epilogue are
/// not parts. A body that breaks the format is an error saying how, because a server reading
/// it more leniently could see parts this reading does not.
pub(crate) fn parts(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return Err("has no usable boundary".into());
    }
    let delimiter = format!("\r\n--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    // The first delimiter may open the body, without the line break before it.
    let mut at = if body.starts_with(&delimiter.as_bytes()[2..]) {
        0
    } else {
        match finder.find(body) {
            Some(found) => found + 2,
            None => return Err("has no boundary line".into()),
        }
    };
    let mut parts = Vec::new();
    loop {
        let after = at + delimiter.len() - 2;
        let rest = &body[after..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let padding = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err("has a boundary line with more after it".into());
        }
        let start = after + padding + 2;
        let Some(length) = finder.find(&body[start..]) else {
            return Err("has no closing boundary line".into());
        };
        let end = start + length;
        if parts.len() == MAX_PARTS {
            return Err(format!("has more than {MAX_PARTS} parts"));
        }
        parts.push(part(body, start..end)?);
        at = end + 2;
    }
}

/// The part in `range` of `body`: its headers, a blank line, its content.
fn part(body: &[u8], range: Range<usize>) -> Result<Part, String> {
    let bytes = &body[range.clone()];
    let (head, content_start) = if bytes.starts_with(b"\r\n") {
        (&bytes[..0], 2)
    } else {
        match memchr::memmem::find(bytes, b"\r\n\r\n") {
            Some(end) => (&bytes[..end], end + 4),
            None => return Err("has a part without a blank line after its headers".into()),
        }
    };
    let head = std::str::from_utf8(head).map_err(|_| "has part headers that are not text")?;
    let mut part = Part {
        name: None,
        file: false,
        media: None,
        content: range.start + content_start..range.end,
    };
    for line in head.split("\r\n").filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("has a part header line without a colon: {line:?}"));
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-type") {
            part.media = Some(parse_media_type(value));
        } else if name.eq_ignore_ascii_case("content-disposition") {
            for (param, text) in parameters(value)? {
                if param.eq_ignore_ascii_case("name") {
                    part.name = Some(text);
                } else if param.eq_ignore_ascii_case("filename")
                    || param.eq_ignore_ascii_case("filename*")
                {
                    part.file = true;
                }
            }
        }
    }
    Ok(part)
}

/// The `name=value` parameters after the first `;` of a header value; quoted values may hold
/// `;` and backslash escapes.
fn parameters(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut params = Vec::new();
    let Some((_, mut rest)) = value.split_once(';') else {
        return Ok(params);
    };
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return Ok(params);
        }
        let Some((name, after)) = rest.split_once('=') else {
            return Err(format!("has a part parameter without a value: {rest:?}"));
        };
        let after = after.trim_start();
        let (text, remainder) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim_end().to_owned(), &after[end..])
            }
        };
        params.push((name.trim().to_owned(), text));
        rest = remainder;
    }
}

/// A quoted string's text (after its opening quote) and what follows its closing quote.
fn unquote(quoted: &str) -> Result<(String, &str), String> {
    let mut text = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((text, &quoted[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => text.push(escaped),
                None => break,
            },
            c => text.push(c),
        }
    }
    Err("has a part parameter whose quotes are not closed".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_fields_keep_where_their_values_lie() {
        let body = b"model=gpt-4o&prompt=mail+jane%40example.com&&flag";
        let found = fields(body);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].name, "model");
        assert_eq!(found[0].value, "gpt-4o");
        assert_eq!(&body[found[1].raw.clone()], b"mail+jane%40example.com");
        assert_eq!(found[1].value, "mail jane@example.com");
        assert_eq!(found[2].name, "flag");
        assert_eq!(found[2].raw, body.len()..body.len());
        assert_eq!(encode("a b@c&d".as_bytes()), "a+b%40c%26d");
    }

    fn multipart(pieces: &[&str]) -> Vec<u8> {
        pieces.concat().into_bytes()
    }

    #[test]
    fn multipart_parts_are_found_with_their_names_and_types() {
        let body = multipart(&[
            "preamble\r\n--XyZ\r\n",
            "Content-Disposition: form-data; name=\"model\"\r\n\r\n",
            "gpt-4o\r\n--XyZ  \r\n",
            "Content-Disposition: form-data; name=\"file\"; filename=\"a;b.png\"\r\n",
            "Content-Type: image/png\r\n\r\n",
            "\u{1}\u{2}\r\n--XyZ\r\n",
            "\r\nno headers\r\n--XyZ--\r\nepilogue",
        ]);
        let found = parts(&body, "XyZ").unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].name.as_deref(), Some("model"));
        assert_eq!(&body[found[0].content.clone()], b"gpt-4o");
        assert!(!found[0].file && found[0].media.is_none());
        assert_eq!(found[1].name.as_deref(), Some("file"));
        assert!(found[1].file);
        assert_eq!(found[1].media.as_ref().unwrap().essence, "image/png");
        assert_eq!(&body[found[2].content.clone()], b"no headers");
        assert_eq!(found[2].name, None);
    }

    #[test]
    fn a_body_starting_with_its_boundary_has_no_preamble() {
        let body = multipart(&[
            "--b\r\nContent-Disposition: form-data; name=_method\r\n\r\nDELETE\r\n--b--",
        ]);
        let found = parts(&body, "b").unwrap();
        assert_eq!(found[0].name.as_deref(), Some("_method"));
        assert_eq!(&body[found[0].content.clone()], b"DELETE");
    }

    #[test]
    fn broken_multipart_bodies_are_errors() {
        let cases: [(&str, &str, &str); 6] = [
            ("--b\r\n\r\nx", "b", "no closing boundary"),
            ("no boundary at all", "b", "no boundary line"),
            (
                "--b\r\nHeader-without-blank-line\r\n--b--",
                "b",
                "blank line",
            ),
            ("--bX\r\n\r\nx\r\n--b--", "b", "more after it"),
            ("--b\r\nno colon\r\n\r\nx\r\n--b--", "b", "without a colon"),
            (
                "--b\r\nContent-Disposition: form-data; name=\"open\r\n\r\nx\r\n--b--",
                "b",
                "not closed",
            ),
        ];
        for (body, boundary, why) in cases {
            let error = parts(body.as_bytes(), boundary).unwrap_err();
            assert!(error.contains(why), "{body:?}: {error}");
        }
        assert!(parts(b"--\r\n", "").is_err());
    }

    #[test]
    fn a_single_value_is_read_from_either_form() {
        let urlencoded = parse_media_type("application/x-www-form-urlencoded");
        let read = |media: &MediaType, body: &'static [u8]| Form::read(Some(media), body);
        let body = b"a=1&model=gpt%2D4o";
        let value = read(&urlencoded, body).single_value(body, "model").unwrap();
        assert_eq!(value.as_deref(), Some("gpt-4o"));
        let body = b"model=a&model=b";
        let twice = read(&urlencoded, body)
            .single_value(body, "model")
            .unwrap_err();
        assert!(twice.contains("more than once"), "{twice}");
        let multipart = parse_media_type("multipart/form-data; boundary=b");
        let body = b"--b\r\nContent-Disposition: form-data; name=model\r\n\r\nwhisper-1\r\n--b--";
        let value = read(&multipart, body).single_value(body, "model").unwrap();
        assert_eq!(value.as_deref(), Some("whisper-1"));
        let body = b"--b\r\n";
        assert!(read(&multipart, body).single_value(body, "model").is_err());
        let json = parse_media_type("application/json");
        let body = b"model=x";
        assert_eq!(read(&json, body).single_value(body, "model").unwrap(), None);
        assert_eq!(
            Form::read(None, body).single_value(body, "model").unwrap(),
            None
        );
    }

    #[test]
    fn quoted_parameters_keep_escapes_and_semicolons() {
        let params = parameters(r#"form-data; name="a\"b;c"; filename*=UTF-8''x.txt"#).unwrap();
        assert_eq!(
            params,
            vec![
                ("name".to_owned(), "a\"b;c".to_owned()),
                ("filename*".to_owned(), "UTF-8''x.txt".to_owned()),
            ]
        );
    }

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        const BOUNDARY: &str = "BoUnDaRy42";

        /// Text made of the pieces a multipart body is built from, so that generated bodies
        /// reach every branch of the parser.
        fn pieces() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                Just("--b".to_owned()),
                Just("\r\n".to_owned()),
                Just("--".to_owned()),
                Just("Content-Disposition: form-data; name=\"x\"".to_owned()),
                Just(":".to_owned()),
                Just("\"".to_owned()),
                Just(";".to_owned()),
                Just(" ".to_owned()),
                "[a-z=\\\\]{1,3}",
            ];
            proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat().into_bytes())
        }

        proptest! {
            #[test]
            fn any_body_is_taken_apart_or_refused(body in pieces(), bytes in any::<Vec<u8>>()) {
                for body in [&body, &bytes] {
                    if let Ok(found) = parts(body, "b") {
                        for part in found {
                            prop_assert!(part.content.start <= part.content.end);
                            prop_assert!(part.content.end <= body.len());
                        }
                    }
                    for field in fields(body) {
                        prop_assert!(field.raw.end <= body.len());
                    }
                }
            }

            #[test]
            fn a_built_form_comes_apart_into_its_parts(
                sent in proptest::collection::vec(("[a-z_]{1,8}", any::<Vec<u8>>()), 0..6),
                preamble in "[ -~]{0,20}",
                epilogue in any::<Vec<u8>>(),
            ) {
                let delimiter = format!("\r\n--{BOUNDARY}");
                for (_, content) in &sent {
                    let joined = [&b"\r\n"[..], content, b"\r\n"].concat();
                    prop_assume!(memchr::memmem::find(&joined, delimiter.as_bytes()).is_none());
                }
                prop_assume!(!preamble.contains(BOUNDARY));
                let mut body = preamble.clone().into_bytes();
                if !preamble.is_empty() {
                    body.extend_from_slice(b"\r\n");
                }
                body.extend_from_slice(format!("--{BOUNDARY}").as_bytes());
                for (name, content) in &sent {
                    let head = format!("\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n");
                    body.extend_from_slice(head.as_bytes());
                    body.extend_from_slice(content);
                    body.extend_from_slice(delimiter.as_bytes());
                }
                body.extend_from_slice(b"--");
                body.extend_from_slice(&epilogue);

                let found = parts(&body, BOUNDARY).map_err(TestCaseError::fail)?;
                prop_assert_eq!(found.len(), sent.len());
                for (part, (name, content)) in found.iter().zip(&sent) {
                    prop_assert_eq!(part.name.as_deref(), Some(name.as_str()));
                    prop_assert_eq!(&body[part.content.clone()], &content[..]);
                }
            }

            #[test]
            fn urlencoded_fields_decode_what_was_encoded(
                sent in proptest::collection::vec(("[a-z]{1,6}", ".{0,12}"), 0..6),
            ) {
                let body = sent
                    .iter()
                    .map(|(name, value)| format!("{name}={}", encode(value.as_bytes())))
                    .collect::<Vec<_>>()
                    .join("&");
                let found = fields(body.as_bytes());
                prop_assert_eq!(found.len(), sent.len());
                for (field, (name, value)) in found.iter().zip(&sent) {
                    prop_assert_eq!(&field.name, name);
                    prop_assert_eq!(&field.value, value);
                    let raw = &body[field.raw.clone()];
                    prop_assert_eq!(raw, encode(value.as_bytes()));
                }
            }
        }
    }
}
