//! Bind parameters as the session recording shows them: kept as the Bind body (a shared slice of
//! the frame, no copy) until the statement line is written, then each decoded to text, masked
//! when the role masks, and cut to [`MAX_CHARS`]; at most [`MAX_PARAMS`] are shown.
//!
//! Text-format parameters are their UTF-8 text (decoded lossily). Binary-format parameters are
//! decoded for the types named by the statement's parameter type OIDs (from Parse or the
//! server's ParameterDescription): `bool`, `int2`, `int4`, `int8`, `oid`, `float4`, `float8`,
//! text types and `uuid`; any other binary value is shown as `<binary N bytes>`.

use bytes::Bytes;
use std::borrow::Cow;
use std::sync::Arc;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};

/// Parameters shown per statement; a marker line stands for the rest.
pub const MAX_PARAMS: usize = 64;

/// Characters shown per parameter; longer values are cut and marked.
pub const MAX_CHARS: usize = 256;

/// Bytes of a value a masked role's parameter is masked over before it is cut.
const MASK_WINDOW: usize = 64 * 1024;

/// Longer than any value a detector finds: a value cut at [`MASK_WINDOW`] is shown only if its
/// masked text is at least this much longer than [`MAX_CHARS`], so the undetected remains of a
/// value split by the cut can never reach the part shown.
const ENTITY_MARGIN: usize = 1024;

/// Type OIDs whose binary form is their UTF-8 text (text, varchar, bpchar, name, unknown).
const TEXT_TYPES: [u32; 5] = [25, 1043, 1042, 19, 705];

/// The parameters of one Bind, undecoded.
#[derive(Debug, Clone)]
pub struct BoundParams {
    /// The Bind body (portal and statement names, formats, values, result formats).
    body: Bytes,
    /// The statement's parameter type OIDs, where known (0: unknown).
    types: Arc<[u32]>,
}

/// How a role's masker applies to parameters.
#[derive(Clone, Copy)]
pub struct ParamMasking<'a> {
    /// The role's masker.
    pub masker: &'a dyn ValueMasker,
    /// A rule-protected column the statement references: which parameter is compared with or
    /// assigned to it is not known, so every parameter is masked by its rule.
    pub protected: Option<&'a str>,
}

impl BoundParams {
    /// The parameters of the Bind `body` of a statement with these parameter types.
    pub fn new(body: Bytes, types: Arc<[u32]>) -> Self {
        BoundParams { body, types }
    }

    /// Each parameter as recorded: text, or `None` for SQL NULL; masked by `masking` when the
    /// role masks. A Bind that cannot be read yields one marker value.
    pub fn render(&self, masking: Option<ParamMasking<'_>>) -> Vec<Option<String>> {
        let Some(values) = Values::read(&self.body) else {
            return vec![Some("<unreadable parameters>".into())];
        };
        let count = values.count;
        let mut out = Vec::with_capacity(count.min(MAX_PARAMS + 1));
        for (i, (format, value)) in values.enumerate() {
            if i == MAX_PARAMS {
                let rest = count - MAX_PARAMS;
                out.push(Some(format!("<{rest} more parameters not recorded>")));
                break;
            }
            let oid = self.types.get(i).copied().unwrap_or(0);
            out.push(value.and_then(|value| shown(value, format, oid, masking)));
        }
        out
    }
}

/// The format code and value (`None`: NULL) of each parameter of a Bind body, in order; stops
/// early at a malformed value.
struct Values<'a> {
    formats: &'a [u8],
    count: usize,
    index: usize,
    rest: &'a [u8],
}

impl<'a> Values<'a> {
    fn read(body: &'a [u8]) -> Option<Self> {
        let (_, rest) = crate::messages::cstr(body)?;
        let (_, rest) = crate::messages::cstr(rest)?;
        let formats = usize::try_from(i16_at(rest)?).ok()?;
        let end = 2 + 2 * formats;
        let (formats, rest) = (rest.get(2..end)?, rest.get(end..)?);
        let count = usize::try_from(i16_at(rest)?).ok()?;
        Some(Values {
            formats,
            count,
            index: 0,
            rest: rest.get(2..)?,
        })
    }

    fn format(&self, i: usize) -> i16 {
        let at = match self.formats.len() / 2 {
            0 => return 0,
            1 => 0,
            _ => i * 2,
        };
        self.formats
            .get(at..at + 2)
            .and_then(|b| b.try_into().ok())
            .map_or(0, i16::from_be_bytes)
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = (i16, Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.count {
            return None;
        }
        let len = i32::from_be_bytes(self.rest.get(..4)?.try_into().ok()?);
        let rest = self.rest.get(4..)?;
        let (value, rest) = match usize::try_from(len) {
            Ok(len) => (Some(rest.get(..len)?), rest.get(len..)?),
            Err(_) => (None, rest),
        };
        let format = self.format(self.index);
        self.index += 1;
        self.rest = rest;
        Some((format, value))
    }
}

fn i16_at(bytes: &[u8]) -> Option<i16> {
    Some(i16::from_be_bytes(bytes.get(..2)?.try_into().ok()?))
}

/// One non-NULL parameter as recorded (`None` only when masking turns it into NULL).
fn shown(value: &[u8], format: i16, oid: u32, masking: Option<ParamMasking<'_>>) -> Option<String> {
    let window = if masking.is_some() {
        MASK_WINDOW
    } else {
        // Enough bytes for MAX_CHARS characters of any width.
        MAX_CHARS * 4
    };
    let cut = value.len() > window;
    let Some(text) = text_of(value, format, oid, window) else {
        return Some(format!("<binary {} bytes>", value.len()));
    };
    let Some(masking) = masking else {
        return Some(bounded(&text, cut, value.len()));
    };
    let masked = match masking.protected {
        Some(column) => match masking
            .masker
            .mask_value(ColumnRef::name(column), text.as_bytes())
        {
            Masked::Unchanged => masking.masker.mask_text(&text).into_owned(),
            Masked::Replaced(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Masked::Null => return None,
        },
        None => masking.masker.mask_text(&text).into_owned(),
    };
    if cut && masked.chars().count() < MAX_CHARS + ENTITY_MARGIN {
        // Masking shrank the window so much that a value split by the cut could show.
        return Some(format!("<{} bytes, not recorded>", value.len()));
    }
    Some(bounded(&masked, cut, value.len()))
}

/// The text of a value, decoded from at most `window` bytes; `None` for a binary value of a
/// type not decoded here.
fn text_of(value: &[u8], format: i16, oid: u32, window: usize) -> Option<Cow<'_, str>> {
    let lossy = || String::from_utf8_lossy(value.get(..window).unwrap_or(value));
    if format == 0 || TEXT_TYPES.contains(&oid) {
        return Some(lossy());
    }
    let text = match (oid, value.len()) {
        (16, 1) => (if value.first() == Some(&0) { "f" } else { "t" }).to_owned(),
        (21, 2) => i16::from_be_bytes(value.try_into().ok()?).to_string(),
        (23, 4) => i32::from_be_bytes(value.try_into().ok()?).to_string(),
        (20, 8) => i64::from_be_bytes(value.try_into().ok()?).to_string(),
        (26, 4) => u32::from_be_bytes(value.try_into().ok()?).to_string(),
        (700, 4) => f32::from_be_bytes(value.try_into().ok()?).to_string(),
        (701, 8) => f64::from_be_bytes(value.try_into().ok()?).to_string(),
        (2950, 16) => uuid(value),
        _ => return None,
    };
    Some(Cow::Owned(text))
}

/// A UUID's 16 bytes in their usual hyphenated form.
fn uuid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// `text` cut to [`MAX_CHARS`] characters, marked with the value's full size when cut.
fn bounded(text: &str, cut: bool, len: usize) -> String {
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}…({len} bytes)", text.get(..end).unwrap_or_default()),
        None if cut => format!("{text}…({len} bytes)"),
        None => text.to_owned(),
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
pub(crate) mod tests;
