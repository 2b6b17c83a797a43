//! JSON masking in one pass over the text, without building a document: the same result as
//! [`crate::mask_json`] (every string and number masked as the value of the "column" its keys
//! name) at a fraction of the cost, and the body is copied only if something changes.

use std::borrow::Cow;
use warden_core::mask::{Anchors, ColumnRef, Rewrite, ValueMasker};

/// Where the scanner is inside one container (keys borrowed from the input unless escaped).
struct Level<'a> {
    object: bool,
    /// The container's own place: grandparent key, parent key, key.
    path: [Option<Cow<'a, str>>; 3],
    /// In an object: the key of the value that comes next.
    key: Option<Cow<'a, str>>,
    /// In an object: the next string is a key.
    expect_key: bool,
}

/// Masks the JSON document `input`: `None` if it is not JSON this scanner reads (the caller
/// falls back), `Some(None)` if nothing changed, `Some(Some(bytes))` with the masked document.
pub fn mask_json_text(input: &[u8], masker: &dyn ValueMasker) -> Option<Option<Vec<u8>>> {
    mask_json_document(input, masker).map(|document| document.masked)
}

/// A JSON text after masking.
#[derive(Debug, PartialEq, Eq)]
pub struct JsonMasked {
    /// The masked text, `None` if nothing changed.
    pub masked: Option<Vec<u8>>,
    /// Whether the text (and so the masked one, which keeps its structure) follows the JSON
    /// grammar strictly (RFC 8259) apart from control bytes inside strings, which are not
    /// looked for. The scan itself is more lenient (stray commas and colons pass).
    pub well_formed: bool,
}

/// What the JSON grammar lets come next, as a set of these bits (none: the end).
const VALUE: u8 = 1;
const KEY: u8 = 2;
const COLON: u8 = 4;
const COMMA: u8 = 8;
const CLOSE_OBJECT: u8 = 16;
const CLOSE_ARRAY: u8 = 32;

/// [`mask_json_text`], also saying whether `input` is well-formed JSON.
pub fn mask_json_document(input: &[u8], masker: &dyn ValueMasker) -> Option<JsonMasked> {
    // Checked once: JSON is UTF-8, and every token starts and ends at an ASCII byte, so every
    // token of a valid text is valid text itself.
    let text = std::str::from_utf8(input).ok()?;
    // Keys name columns, which only column rules look at: without any, a key is only checked,
    // not kept. Without column rules only the detectors rewrite, and they leave a value
    // without any of their anchor bytes as it is: such values are skipped here. A column rule
    // masks any value of its column, empty ones included.
    let paths = masker.has_column_rules();
    let mut anchors = (!paths).then(|| AnchorCursor::new(masker.anchors(), input));
    let mut out: Option<Vec<u8>> = None;
    // Each replacement, before it is escaped into `out`: one buffer for the whole text.
    let mut scratch = Vec::new();
    let mut copied = 0; // input bytes already in `out`
    let mut stack: Vec<Level> = Vec::new();
    let mut i = 0;
    let mut seen_value = false;
    let mut next = VALUE;
    // Set at the first departure from the grammar.
    let mut slipped = false;
    while i < input.len() {
        let b = input[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b',' => {
                slipped |= next & COMMA == 0;
                next = after_comma(next);
                i += 1;
            }
            b':' => {
                slipped |= next & COLON == 0;
                next = VALUE;
                i += 1;
            }
            b'{' | b'[' => {
                slipped |= next & VALUE == 0;
                let path = container_path(&stack);
                if let Some(top) = stack.last_mut() {
                    top.key = None;
                    top.expect_key = top.object;
                }
                let object = b == b'{';
                stack.push(Level {
                    object,
                    path,
                    key: None,
                    expect_key: object,
                });
                next = if object {
                    KEY | CLOSE_OBJECT
                } else {
                    VALUE | CLOSE_ARRAY
                };
                seen_value = true;
                i += 1;
            }
            b'}' | b']' => {
                let level = stack.pop()?;
                if level.object != (b == b'}') {
                    return None;
                }
                let close = if level.object {
                    CLOSE_OBJECT
                } else {
                    CLOSE_ARRAY
                };
                slipped |= next & close == 0;
                next = after_value(&mut stack);
                i += 1;
            }
            b'"' => {
                let (end, escaped) = string_end(input, i)?;
                let in_key = stack.last().is_some_and(|t| t.object && t.expect_key);
                if in_key {
                    slipped |= next & KEY == 0;
                    next = COLON;
                    // An escaped key is decoded even when not kept: a bad escape is not JSON.
                    let key = if paths || escaped {
                        Some(unescape(text.get(i..end)?, escaped)?)
                    } else {
                        None
                    };
                    if let Some(top) = stack.last_mut() {
                        top.key = key.filter(|_| paths);
                        top.expect_key = false;
                    }
                    // The colon, taken here when it follows at once (as it mostly does).
                    if input.get(end) == Some(&b':') {
                        next = VALUE;
                        i = end + 1;
                        continue;
                    }
                } else {
                    slipped |= next & VALUE == 0;
                    // The contents, decoded only if escaped (an escape may spell an anchor).
                    let decoded = match escaped {
                        true => Some(unescape(text.get(i..end)?, true)?),
                        false => None,
                    };
                    let value = decoded
                        .as_deref()
                        .map_or(&input[i + 1..end - 1], str::as_bytes);
                    let worth_asking = match (&mut anchors, escaped) {
                        (None, _) => true,
                        (Some(a), false) => a.within(input, i + 1, end - 1),
                        (Some(a), true) => a.anchors.found_in(value),
                    };
                    if worth_asking {
                        let fate = mask_at(&stack, masker, value, &mut scratch);
                        replace(input, &mut out, &mut copied, (i, end), fate, &scratch);
                    }
                    next = after_value(&mut stack);
                    seen_value = true;
                    i = end;
                    // The comma, taken here when it follows at once (as it mostly does).
                    if input.get(i) == Some(&b',') {
                        slipped |= next & COMMA == 0;
                        next = after_comma(next);
                        i += 1;
                    }
                    continue;
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let (end, strict) = number_end(input, i);
                slipped |= next & VALUE == 0 || !strict;
                if anchors.as_mut().is_none_or(|a| a.within(input, i, end)) {
                    let fate = mask_at(&stack, masker, &input[i..end], &mut scratch);
                    replace(input, &mut out, &mut copied, (i, end), fate, &scratch);
                }
                next = after_value(&mut stack);
                seen_value = true;
                i = end;
                if input.get(i) == Some(&b',') {
                    slipped |= next & COMMA == 0;
                    next = after_comma(next);
                    i += 1;
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match b {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !input[i..].starts_with(word) {
                    return None;
                }
                slipped |= next & VALUE == 0;
                next = after_value(&mut stack);
                seen_value = true;
                i += word.len();
            }
            _ => return None,
        }
    }
    if !stack.is_empty() || !seen_value {
        return None;
    }
    Some(JsonMasked {
        masked: out.map(|mut out| {
            out.extend_from_slice(&input[copied..]);
            out
        }),
        well_formed: !slipped,
    })
}

/// Where the next anchor byte of the input is, found by one search that only moves forward,
/// so that asking whether a value holds one is a comparison.
struct AnchorCursor {
    anchors: Anchors,
    /// The first anchor at or after the start of the last value asked about (the input's
    /// length if there is none): no anchor lies between that start and this.
    next: usize,
}

impl AnchorCursor {
    fn new(anchors: Anchors, input: &[u8]) -> AnchorCursor {
        AnchorCursor {
            anchors,
            next: anchors.position_in(input).unwrap_or(input.len()),
        }
    }

    /// Whether `input[start..end]` holds an anchor byte; `start` never goes back.
    fn within(&mut self, input: &[u8], start: usize, end: usize) -> bool {
        if self.next < start {
            self.next = self
                .anchors
                .position_in(&input[start..])
                .map_or(input.len(), |n| start + n);
        }
        self.next < end
    }
}

/// Where the number token starting at `start` ends: at the first byte that cannot be part of
/// a number (the scan's lenient reading), and whether the token is a JSON number,
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(input: &[u8], start: usize) -> (usize, bool) {
    let at = |i: usize| input.get(i).copied().unwrap_or(b' ');
    let digits = |mut i: usize| {
        while at(i).is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(at(start) == b'-');
    let mut strict = match at(i) {
        b'0' => {
            i += 1;
            true
        }
        b'1'..=b'9' => {
            i = digits(i + 1);
            true
        }
        _ => false,
    };
    if strict && at(i) == b'.' {
        let end = digits(i + 1);
        strict = end > i + 1;
        i = end;
    }
    if strict && matches!(at(i), b'e' | b'E') {
        i += 1;
        if matches!(at(i), b'+' | b'-') {
            i += 1;
        }
        let end = digits(i);
        strict = end > i;
        i = end;
    }
    // Whatever number-like bytes follow belong to the token too; their presence means it is
    // not a JSON number.
    let lenient = input[i..]
        .iter()
        .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .map_or(input.len(), |n| i + n);
    (lenient, strict && lenient == i)
}

/// The place of a container that starts now (keys still borrowed where they were).
fn container_path<'a>(stack: &[Level<'a>]) -> [Option<Cow<'a, str>>; 3] {
    match stack.last() {
        None => [None, None, None],
        Some(top) if top.object => [top.path[1].clone(), top.path[2].clone(), top.key.clone()],
        Some(top) => top.path.clone(),
    }
}

/// The place of a value that starts now, borrowed.
fn value_path<'s>(stack: &'s [Level<'_>]) -> [Option<&'s str>; 3] {
    match stack.last() {
        None => [None, None, None],
        Some(top) if top.object => [
            top.path[1].as_deref(),
            top.path[2].as_deref(),
            top.key.as_deref(),
        ],
        Some(top) => [
            top.path[0].as_deref(),
            top.path[1].as_deref(),
            top.path[2].as_deref(),
        ],
    }
}

/// What may come after a comma where `next` was allowed: where a comma may come, what may
/// close tells the container.
fn after_comma(next: u8) -> u8 {
    if next & CLOSE_OBJECT != 0 { KEY } else { VALUE }
}

/// Notes that a value ended, and returns what may come next.
fn after_value(stack: &mut [Level<'_>]) -> u8 {
    match stack.last_mut() {
        None => 0,
        Some(top) if top.object => {
            top.key = None;
            top.expect_key = true;
            COMMA | CLOSE_OBJECT
        }
        Some(_) => COMMA | CLOSE_ARRAY,
    }
}

/// Masks `value` at the place `stack` says into `scratch` (emptied first).
fn mask_at(
    stack: &[Level<'_>],
    masker: &dyn ValueMasker,
    value: &[u8],
    scratch: &mut Vec<u8>,
) -> Rewrite {
    let path = value_path(stack);
    let column = ColumnRef {
        schema: path[0],
        table: path[1],
        column: path[2].unwrap_or(""),
    };
    scratch.clear();
    masker.mask_value_into(column, value, scratch)
}

/// Writes the fate of the token `input[start..end]` into `out` (created on the first change):
/// `replacement` (escaped) when it was written, `null` for a null.
fn replace(
    input: &[u8],
    out: &mut Option<Vec<u8>>,
    copied: &mut usize,
    (start, end): (usize, usize),
    fate: Rewrite,
    replacement: &[u8],
) {
    if fate == Rewrite::Unchanged {
        return;
    }
    let out = out.get_or_insert_with(|| Vec::with_capacity(input.len() + 64));
    out.extend_from_slice(&input[*copied..start]);
    match fate {
        Rewrite::Written => warden_core::json_str::write_lossy(out, replacement),
        _ => out.extend_from_slice(b"null"),
    }
    *copied = end;
}

/// The index after the closing quote of the string starting at `start`, and whether the
/// string has escapes.
fn string_end(input: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        i += warden_core::json_str::string_stop(input.get(i..)?)?;
        if input[i] == b'"' {
            return Some((i + 1, escaped));
        }
        escaped = true;
        i += 2;
    }
}

/// The text of a string token (quotes included), borrowed unless it has escapes.
fn unescape(token: &str, escaped: bool) -> Option<Cow<'_, str>> {
    if !escaped {
        return token.get(1..token.len().checked_sub(1)?).map(Cow::Borrowed);
    }
    serde_json::from_str::<String>(token).ok().map(Cow::Owned)
}

#[cfg(test)]
#[path = "json_text_tests.rs"]
mod tests;
