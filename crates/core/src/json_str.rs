//! JSON string literals written eight bytes at a time: recorded bodies, statements, values and
//! audit details are mostly runs of plain bytes between the few that need escaping. The output
//! is byte for byte what `serde_json` writes for the same string, which is also the string form
//! canonical JSON (RFC 8785) requires.

use crate::bytes::{HIGHS, ONES};

/// Appends `s` as a quoted JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    write_text(out, s.as_bytes());
}

/// [`write_str`] of bytes the caller knows to be UTF-8.
fn write_text(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() + 2);
    out.push(b'"');
    write_contents(out, b);
    out.push(b'"');
}

/// Appends `bytes` as a quoted JSON string; bytes that are not UTF-8 become U+FFFD, as
/// [`String::from_utf8_lossy`] makes them.
pub fn write_lossy(out: &mut Vec<u8>, bytes: &[u8]) {
    // ASCII, as most replacements are, is checked a word at a time, where UTF-8 validation
    // of a short text goes byte by byte.
    if bytes.is_ascii() {
        return write_text(out, bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => write_str(out, &String::from_utf8_lossy(bytes)),
    }
}

/// Appends an optional string: the string, or `null`.
pub fn write_optional(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends the escaped contents of a UTF-8 string, without quotes.
///
/// The output is sized up front for every byte being a two-byte escape (a control byte's
/// six-byte `\u00XX` grows it by four more), so every step writes at fixed offsets. Each input
/// word is stored whole; at each of its escapes the write position moves past the plain bytes
/// before it, the escape overwrites what followed, and the rest of the word is stored again
/// after the escape.
fn write_contents(out: &mut Vec<u8>, b: &[u8]) {
    // Most strings (names, paths, statements, short values) need no escape at all, and a
    // sized output costs a fill: the run before the first escape is found first and copied.
    let clean = clean_prefix(b);
    out.extend_from_slice(&b[..clean]);
    if clean < b.len() {
        write_escaping(out, &b[clean..]);
    }
}

/// How many bytes at the start of `b` need no escape.
fn clean_prefix(b: &[u8]) -> usize {
    let mut words = b.chunks_exact(8);
    let mut clean = 0;
    for word in &mut words {
        let flagged = needs_escape(word_of(word));
        if flagged != 0 {
            return clean + (flagged.trailing_zeros() / 8) as usize;
        }
        clean += 8;
    }
    for &byte in words.remainder() {
        if is_special(byte) {
            return clean;
        }
        clean += 1;
    }
    clean
}

/// Whether `byte` is written escaped: `"`, `\` or a control byte.
fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The eight bytes of `word` (eight long) as a little-endian integer.
fn word_of(word: &[u8]) -> u64 {
    let mut lanes = [0u8; 8];
    lanes.copy_from_slice(word);
    u64::from_le_bytes(lanes)
}

/// [`write_contents`] of bytes that start with one to escape.
fn write_escaping(out: &mut Vec<u8>, b: &[u8]) {
    let base = out.len();
    out.resize(base + 2 * b.len() + 8, 0);
    let mut at = base; // next output byte
    let mut words = b.chunks_exact(8);
    for word in &mut words {
        let mut rest = word_of(word);
        let mut flagged = needs_escape(rest);
        let mut left = 8; // bytes of the word not written yet, at the bottom of `rest`
        loop {
            out[at..at + 8].copy_from_slice(&rest.to_le_bytes());
            if flagged == 0 {
                at += left;
                break;
            }
            let lane = (flagged.trailing_zeros() / 8) as usize;
            at += lane;
            at = put_escape(out, at, rest.to_le_bytes()[lane]);
            // Drop the lanes up to and including the escaped one (two shifts: a shift by 64
            // bits would overflow).
            let shift = 8 * lane as u32;
            rest = (rest >> shift) >> 8;
            flagged = (flagged >> shift) >> 8;
            left -= lane + 1;
        }
    }
    for &byte in words.remainder() {
        if is_special(byte) {
            at = put_escape(out, at, byte);
        } else {
            out[at] = byte;
            at += 1;
        }
    }
    out.truncate(at);
}

/// The high bit of each lane of `word` that holds `"`, `\` or a control byte (below 0x20),
/// exactly: no lane borrows from or carries into another.
fn needs_escape(word: u64) -> u64 {
    let quote = zero_lanes(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_lanes(word ^ (ONES * u64::from(b'\\')));
    quote | backslash | control_lanes(word)
}

/// The high bit of each lane of `word` below 0x20, exactly: bit 7 clear, and adding 0x60 to
/// the low seven bits does not reach 0x80.
fn control_lanes(word: u64) -> u64 {
    !((word & !HIGHS).wrapping_add(ONES * 0x60) | word) & HIGHS
}

/// Whether `b` holds a control byte (below 0x20), such as a line break or a tab.
pub fn has_control(b: &[u8]) -> bool {
    let mut words = b.chunks_exact(8);
    let mut lanes = 0;
    for word in &mut words {
        lanes |= control_lanes(word_of(word));
    }
    lanes != 0 || words.remainder().iter().any(|&byte| byte < 0x20)
}

/// The high bit of each lane of `word` that is zero, exactly: adding 0x7f to a lane's low
/// seven bits leaves bit 7 clear only when they are zero, and bit 7 must be clear too.
fn zero_lanes(word: u64) -> u64 {
    !((word & !HIGHS).wrapping_add(ONES * 0x7f) | word) & HIGHS
}

/// The position of the first `"` or `\` in `b`: where the literal text of a JSON string
/// stops (at its end or at an escape).
#[inline]
pub fn string_stop(b: &[u8]) -> Option<usize> {
    crate::bytes::find_either(b, 0, b'"', b'\\')
}

/// Writes the escape of `byte` (one [`needs_escape`] flags) at `out[at..]` and returns the
/// position after it.
#[inline]
fn put_escape(out: &mut Vec<u8>, at: usize, byte: u8) -> usize {
    if byte != b'"' && byte != b'\\' {
        return put_control_escape(out, at, byte);
    }
    out[at..at + 2].copy_from_slice(&[b'\\', byte]);
    at + 2
}

/// Writes the escape of the control byte `byte`: its short form, or `\u00XX` after growing
/// `out` by the four bytes its sizing did not count.
#[cold]
fn put_control_escape(out: &mut Vec<u8>, at: usize, byte: u8) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            out.resize(out.len() + 4, 0);
            out[at..at + 6].copy_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return at + 6;
        }
    };
    out[at..at + 2].copy_from_slice(&[b'\\', short]);
    at + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn matches_serde_json_on_every_byte_class_and_alignment() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain ascii text longer than one word".into(),
            r#"{"name":"Ada","email":"ada@example.com","note":"a \"quoted\" \\ path"}"#.into(),
            "tabs\tnew\nlines\rand\u{8}\u{c}feeds".into(),
            "héllo wörld — ünïcödé 🎉 and \u{7f} delete".into(),
        ];
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        cases.push(all_controls);
        // Every special byte at every offset within and across two words.
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
            for at in 0..17 {
                let mut s: String = "abcdefghijklmnopq".into();
                s.insert(at, special);
                cases.push(s);
            }
        }
        for case in &cases {
            let expected = serde_json::to_string(case).expect("serde_json");
            assert_eq!(ours(case), expected, "for {case:?}");
        }
    }

    #[test]
    fn dense_escapes_and_their_neighbours_match_serde_json() {
        // Several escapes in one word, and the bytes just above each special one (`#` after
        // `"`, `]` after `\`, `!` after a control byte), where a lane test can flag falsely.
        let bytes = [
            '"', '#', '\\', ']', '\n', '\u{1}', '\u{0}', '!', ' ', 'a', 'é',
        ];
        for x in bytes {
            for y in bytes {
                for lead in ["", "a", "abc"] {
                    let mut s = String::from(lead);
                    for k in 0..19 {
                        s.push(if k % 2 == 0 { x } else { y });
                    }
                    let expected = serde_json::to_string(&s).expect("serde_json");
                    assert_eq!(ours(&s), expected, "for {s:?}");
                }
            }
        }
    }

    #[test]
    fn lossy_replaces_invalid_utf8_like_from_utf8_lossy() {
        // Invalid, multi-byte and plain ASCII (with escapes) texts take different paths.
        for bytes in [
            &b"ok \xff\xfe then \"quoted\""[..],
            "caf\u{e9} \"x\"\n".as_bytes(),
            b"[redacted:email] \\ \"q\" \x01\x7f",
            b"",
        ] {
            let mut out = Vec::new();
            write_lossy(&mut out, bytes);
            let expected = serde_json::to_string(&String::from_utf8_lossy(bytes)).expect("json");
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        }
    }

    #[test]
    fn appends_after_what_the_buffer_already_holds() {
        let mut out = b"{\"k\":".to_vec();
        write_str(&mut out, "a\u{1}\"b");
        out.push(b',');
        write_str(&mut out, "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}");
        let expected = format!(
            "{{\"k\":{},{}",
            serde_json::to_string("a\u{1}\"b").expect("json"),
            serde_json::to_string("\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}").expect("json"),
        );
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    #[test]
    fn a_string_stops_at_its_first_quote_or_backslash() {
        for len in 0..40 {
            for stop in [b'"', b'\\'] {
                for at in 0..=len {
                    let mut b = vec![b'x'; len];
                    if at < len {
                        b[at] = stop;
                        // A later stop never wins over the first.
                        b.push(b'"');
                    }
                    let expected = if at < len { Some(at) } else { None };
                    assert_eq!(string_stop(&b), expected, "len {len} at {at}");
                }
            }
        }
        // The bytes just above each stop byte, where a lane test can flag falsely.
        assert_eq!(string_stop(b"#]#]#]#]#]#]#]#]#]#]"), None);
    }

    #[test]
    fn a_control_byte_is_found_at_any_position_and_nothing_else_is() {
        for len in 0..24 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut b = vec![b' '; len];
                    b[at] = byte;
                    assert_eq!(
                        has_control(&b),
                        byte < 0x20,
                        "len {len} at {at} byte {byte}"
                    );
                }
            }
        }
        assert!(!has_control(b""));
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in "(?s).{0,80}") {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).expect("serde_json"));
        }

        #[test]
        fn any_text_is_written_as_serde_json_writes_it(
            s in "([a-z ]{0,20}|[\"\\\\\\n\\t\\u{0}-\\u{1f}é🎉]{0,3}){0,12}",
        ) {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).expect("serde_json"));
        }
    }
}
