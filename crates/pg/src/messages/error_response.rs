//! ErrorResponse (`E`) and NoticeResponse (`N`).

use super::{put_cstr, tagged};
use bytes::{Bytes, BytesMut};

/// An error or notice Warden itself sends.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// `ERROR`, `FATAL` or `NOTICE`.
    pub severity: &'a str,
    /// SQLSTATE, e.g. `42501`.
    pub code: &'a str,
    /// Primary message.
    pub message: &'a str,
    /// Optional detail.
    pub detail: Option<&'a str>,
    /// Optional hint.
    pub hint: Option<&'a str>,
}

impl Notice<'_> {
    fn body(&self) -> BytesMut {
        let mut body = BytesMut::new();
        for (field, value) in [
            (b'S', Some(self.severity)),
            (b'V', Some(self.severity)),
            (b'C', Some(self.code)),
            (b'M', Some(self.message)),
            (b'D', self.detail),
            (b'H', self.hint),
        ] {
            if let Some(value) = value {
                body.extend_from_slice(&[field]);
                put_cstr(&mut body, value);
            }
        }
        body.extend_from_slice(&[0]);
        body
    }

    /// As an ErrorResponse.
    pub fn error(&self) -> Bytes {
        tagged(b'E', &self.body())
    }

    /// As a NoticeResponse.
    pub fn notice(&self) -> Bytes {
        tagged(b'N', &self.body())
    }
}

/// ErrorResponse with severity ERROR.
pub fn error(code: &str, message: &str) -> Bytes {
    Notice {
        severity: "ERROR",
        code,
        message,
        detail: None,
        hint: None,
    }
    .error()
}

/// ErrorResponse with severity FATAL (the connection closes after it).
pub fn fatal(code: &str, message: &str) -> Bytes {
    Notice {
        severity: "FATAL",
        code,
        message,
        detail: None,
        hint: None,
    }
    .error()
}

/// The message field (`M`) of an ErrorResponse body, for audit.
pub fn message(body: &[u8]) -> Option<String> {
    let mut rest = body;
    while let Some((&field, after)) = rest.split_first() {
        if field == 0 {
            break;
        }
        let (value, next) = super::cstr(after)?;
        if field == b'M' {
            return Some(value.to_owned());
        }
        rest = next;
    }
    None
}

/// The ErrorResponse or NoticeResponse `body` (tag `tag`) with its human-readable fields
/// (message, detail, hint, where) masked; `None` when nothing needed masking. Servers quote
/// values in errors (`invalid input syntax for type integer: "ada@example.com"`), so a masked
/// role must not read them there either.
pub fn masked(tag: u8, body: &[u8], masker: &dyn warden_core::mask::ValueMasker) -> Option<Bytes> {
    let mut out = BytesMut::with_capacity(body.len());
    let mut changed = false;
    let mut rest = body;
    while let Some((&field, after)) = rest.split_first() {
        if field == 0 {
            break;
        }
        let (value, next) = super::cstr(after)?;
        out.extend_from_slice(&[field]);
        match field {
            b'M' | b'D' | b'H' | b'W' => {
                let masked = masker.mask_text(value);
                changed |= matches!(masked, std::borrow::Cow::Owned(_));
                put_cstr(&mut out, &masked);
            }
            _ => put_cstr(&mut out, value),
        }
        rest = next;
    }
    out.extend_from_slice(&[0]);
    changed.then(|| tagged(tag, &out))
}
