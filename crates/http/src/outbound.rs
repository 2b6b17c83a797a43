//! A request body bound for a model provider, masked by what it is: a urlencoded form field by
//! field after decoding (so `jane%40example.com` is found), each part of a multipart form by its
//! own type, JSON by its fields, text as text. A body or part that cannot be masked without
//! damage (binary, or text that is not UTF-8) is refused rather than sent: it would leave
//! carrying whatever personal data it holds. (A body already read as JSON is masked by the
//! caller, on the document it read.)

use crate::HttpError;
use crate::content::{ContentKind, MediaType};
use crate::form::{self, Field, Form, Part};
use warden_core::mask::{ColumnRef, Masked, ValueMasker};

/// `body` (of media type `media`, read as `form`) masked for the wire: `None` if nothing
/// changed.
pub(crate) fn mask(
    media: Option<&MediaType>,
    form: &Form<'_>,
    body: &[u8],
    masker: &dyn ValueMasker,
) -> Result<Option<Vec<u8>>, HttpError> {
    if body.is_empty() {
        return Ok(None);
    }
    match form {
        Form::Urlencoded(fields) => return Ok(mask_fields(fields, body, masker)),
        Form::Multipart { boundary, parts } => {
            let parts = parts
                .as_deref()
                .map_err(|why| HttpError::BadForm(why.clone()))?;
            return mask_multipart(body, boundary, parts, masker);
        }
        Form::None => {}
    }
    let essence = media.map_or("", |m| m.essence.as_str());
    let kind = media.map_or(ContentKind::Text, MediaType::kind);
    mask_content(kind, body, None, masker).map_err(|why| {
        HttpError::Unmaskable(match why {
            Unreadable::Binary => format!("is {essence}"),
            Unreadable::NotUtf8 => "is not UTF-8 text".to_owned(),
        })
    })
}

/// Why a body or part cannot be masked.
enum Unreadable {
    /// A media type that is not text.
    Binary,
    /// Text that is not UTF-8.
    NotUtf8,
}

/// Each field's value masked as the value of a column named after the field; a changed value
/// is encoded again in place, the rest of the body stays byte for byte.
fn mask_fields(fields: &[Field<'_>], body: &[u8], masker: &dyn ValueMasker) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    for field in fields {
        let column = ColumnRef::name(&field.name);
        let replacement = match masker.mask_value(column, field.value.as_bytes()) {
            Masked::Unchanged => continue,
            Masked::Replaced(bytes) => form::encode(&bytes),
            Masked::Null => String::new(),
        };
        let out = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
        out.extend_from_slice(&body[copied..field.raw.start]);
        out.extend_from_slice(replacement.as_bytes());
        copied = field.raw.end;
    }
    let mut out = out?;
    out.extend_from_slice(&body[copied..]);
    Some(out)
}

/// Each part masked by its own type (text when it names none, as RFC 7578 says); a file or
/// part of a type that is not text refuses the whole body.
fn mask_multipart(
    body: &[u8],
    boundary: &str,
    parts: &[Part],
    masker: &dyn ValueMasker,
) -> Result<Option<Vec<u8>>, HttpError> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    for part in parts {
        let kind = part
            .media
            .as_ref()
            .map_or(ContentKind::Text, MediaType::kind);
        let content = &body[part.content.clone()];
        let masked = mask_content(
            kind,
            content,
            Some(part.name.as_deref().unwrap_or("")),
            masker,
        )
        .map_err(|why| {
            let name = part.name.as_deref().unwrap_or("");
            HttpError::Unmaskable(match why {
                Unreadable::Binary => {
                    let essence = part.media.as_ref().map_or("", |m| m.essence.as_str());
                    format!("has a part {name:?} of type {essence}")
                }
                Unreadable::NotUtf8 => format!("has a part {name:?} that is not UTF-8 text"),
            })
        })?;
        let Some(masked) = masked else { continue };
        if memchr::memmem::find(&masked, format!("--{boundary}").as_bytes()).is_some() {
            return Err(HttpError::BadForm(
                "would hold its boundary once masked".to_owned(),
            ));
        }
        let out = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
        out.extend_from_slice(&body[copied..part.content.start]);
        out.extend_from_slice(&masked);
        copied = part.content.end;
    }
    let Some(mut out) = out else { return Ok(None) };
    out.extend_from_slice(&body[copied..]);
    Ok(Some(out))
}

/// One body or part masked by its kind: `column` names a form part, whose rules apply to it.
fn mask_content(
    kind: ContentKind,
    content: &[u8],
    column: Option<&str>,
    masker: &dyn ValueMasker,
) -> Result<Option<Vec<u8>>, Unreadable> {
    if kind == ContentKind::Binary {
        return Err(Unreadable::Binary);
    }
    if kind == ContentKind::Json
        && let Some(masked) = crate::mask_json_text(content, masker)
    {
        return Ok(masked);
    }
    let text = std::str::from_utf8(content).map_err(|_| Unreadable::NotUtf8)?;
    Ok(match column {
        Some(name) => match masker.mask_value(ColumnRef::name(name), text.as_bytes()) {
            Masked::Unchanged => None,
            Masked::Replaced(bytes) => Some(bytes),
            Masked::Null => Some(Vec::new()),
        },
        None => match masker.mask_text(text) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(masked) => Some(masked.into_bytes()),
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::HttpError;
    use crate::content::parse_media_type;
    use crate::form::Form;
    use crate::test_masker::{EMAIL, Emails};

    /// The Content-Type a test body is sent with (`None`: no header).
    type Typed = Option<&'static str>;

    fn typed(content_type: &'static str) -> Typed {
        Some(content_type)
    }

    /// [`super::mask`] of `body` sent as `content_type`.
    fn mask(
        content_type: Typed,
        body: &[u8],
        masker: &Emails,
    ) -> Result<Option<Vec<u8>>, HttpError> {
        let media = content_type.map(parse_media_type);
        let form = Form::read(media.as_ref(), body);
        super::mask(media.as_ref(), &form, body, masker)
    }

    #[test]
    fn form_fields_are_masked_after_decoding_and_the_rest_is_kept() {
        let body = b"model=m&prompt=write+to+jane%40example.com&x=%7E";
        let masked = mask(typed("application/x-www-form-urlencoded"), body, &Emails)
            .unwrap()
            .unwrap();
        assert_eq!(masked, b"model=m&prompt=write+to+%5Bemail%5D&x=%7E");
        let clean = b"model=m&x=%7E";
        let headers = typed("application/x-www-form-urlencoded");
        assert_eq!(mask(headers, clean, &Emails).unwrap(), None);
    }

    #[test]
    fn multipart_text_and_json_parts_are_masked_in_place() {
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nmail {EMAIL}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n\
             {{\"to\":\"{EMAIL}\"}}\r\n--b--\r\n"
        );
        let masked = mask(
            typed("multipart/form-data; boundary=b"),
            body.as_bytes(),
            &Emails,
        )
        .unwrap()
        .unwrap();
        let masked = String::from_utf8(masked).unwrap();
        assert_eq!(
            masked,
            "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nmail [email]\r\n\
             --b\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n\
             {\"to\":\"[email]\"}\r\n--b--\r\n"
        );
    }

    #[test]
    fn binary_bodies_and_parts_are_refused_and_broken_forms_too() {
        let headers = typed("application/octet-stream");
        let error = mask(headers, b"\x00\x01", &Emails).unwrap_err();
        assert!(matches!(&error, HttpError::Unmaskable(m) if m.contains("octet-stream")));
        let error = mask(typed("text/plain"), b"\xff\xfe", &Emails).unwrap_err();
        assert!(matches!(&error, HttpError::Unmaskable(m) if m.contains("UTF-8")));

        let body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
                    Content-Type: image/png\r\n\r\n\u{1}PNG\r\n--b--";
        let headers = typed("multipart/form-data; boundary=\"b\"");
        let error = mask(headers, body.as_bytes(), &Emails).unwrap_err();
        assert!(matches!(&error, HttpError::Unmaskable(m) if m.contains("image/png")));

        let headers = typed("multipart/form-data");
        let error = mask(headers, body.as_bytes(), &Emails).unwrap_err();
        assert!(matches!(&error, HttpError::BadForm(m) if m.contains("boundary")));
    }

    #[test]
    fn text_without_a_type_is_masked_as_text() {
        let body = format!("hello {EMAIL}");
        let masked = mask(None, body.as_bytes(), &Emails).unwrap();
        assert_eq!(masked.as_deref(), Some(&b"hello [email]"[..]));
    }
}
