//! JSON string literals written eight bytes at a time: recorded bodies, statements, values and
//! audit details are mostly runs of plain bytes between the few that need escaping. The output
//! is byte for byte what `serde_json` writes for the same string, which is also the string form
//! canonical JSON (RFC 8785) requires.

/// Bytes with every lane 0x01.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Bytes with every lane 0x80.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Appends `s` as a quoted JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_contents(out, s.as_bytes());
    out.push(b'"');
}

/// Appends `bytes` as a quoted JSON string; bytes that are not UTF-8 become U+FFFD, as
/// [`String::from_utf8_lossy`] makes them.
pub fn write_lossy(out: &mut Vec<u8>, bytes: &[u8]) {
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
fn write_contents(out: &mut Vec<u8>, b: &[u8]) {
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        // Skip whole words that need no escape.
        if let Some(word) = b.get(i..i + 8) {
            let mut lanes = [0u8; 8];
            lanes.copy_from_slice(word);
            let flagged = needs_escape(u64::from_le_bytes(lanes));
            if flagged == 0 {
                i += 8;
                continue;
            }
            let lane = (flagged.trailing_zeros() / 8) as usize;
            if run == i {
                // Right after an escape the run is the start of this word: copied as the whole
                // word and cut back, which needs no copy call (quote-dense text is mostly this).
                out.extend_from_slice(&lanes);
                out.truncate(out.len() - 8 + lane);
                run += lane;
            }
            i += lane;
        }
        let byte = b[i];
        let Some(short) = escape(byte) else {
            i += 1;
            continue;
        };
        if run < i {
            out.extend_from_slice(&b[run..i]);
        }
        write_escape(out, byte, short);
        i += 1;
        run = i;
    }
    out.extend_from_slice(&b[run..]);
}

/// The high bit of each lane of `word` that holds `"`, `\` or a control byte (below 0x20).
fn needs_escape(word: u64) -> u64 {
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    // A lane below 0x20 whose high bit is clear: subtracting 0x20 borrows into bit 7.
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote | backslash | control
}

/// The high bit of each lane of `word` that is zero (exact for the lowest flagged lane, which
/// is the one used).
fn has_zero(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// The short escape of `byte`, `Some(0)` for a control byte written as `\u00XX`, `None` when
/// it is written as is.
fn escape(byte: u8) -> Option<u8> {
    match byte {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        0..=0x1f => Some(0),
        _ => None,
    }
}

/// Writes the escape of `byte`, whose [`escape`] is `short`.
fn write_escape(out: &mut Vec<u8>, byte: u8, short: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match short {
        0 => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xf)],
        ]),
        short => out.extend_from_slice(&[b'\\', short]),
    }
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
        let bytes = b"ok \xff\xfe then \"quoted\"";
        let mut out = Vec::new();
        write_lossy(&mut out, bytes);
        let expected = serde_json::to_string(&String::from_utf8_lossy(bytes)).expect("json");
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(
            s in "([a-z ]{0,20}|[\"\\\\\\n\\t\\u{0}-\\u{1f}é🎉]{0,3}){0,12}",
        ) {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).expect("serde_json"));
        }
    }
}
