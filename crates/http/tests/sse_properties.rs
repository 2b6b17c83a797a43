//! Server-sent event masking on generated streams: events of data, event, id and comment lines
//! with any of the three line ends, JSON or text data, personal data in some of them, split
//! into chunks anywhere. The output must not depend on the split, must hold no address the
//! masker finds, and must end every event with its blank line; random bytes must never panic.

use proptest::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};
use warden_http::{HttpError, SseMasker};

const EMAIL: &str = "jane@example.com";

/// Masks one address anywhere.
struct Emails;

impl ValueMasker for Emails {
    fn mask_value(&self, _column: ColumnRef<'_>, value: &[u8]) -> Masked {
        match self.mask_text(&String::from_utf8_lossy(value)) {
            Cow::Borrowed(_) => Masked::Unchanged,
            Cow::Owned(masked) => Masked::Replaced(masked.into_bytes()),
        }
    }

    fn column_rule(&self, _column: ColumnRef<'_>) -> bool {
        false
    }

    fn has_column_rules(&self) -> bool {
        false
    }

    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match text.contains(EMAIL) {
            true => Cow::Owned(text.replace(EMAIL, "[email]")),
            false => Cow::Borrowed(text),
        }
    }
}

/// Text of one line's value: words, sometimes the address.
fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => "[a-z]{1,8}".prop_map(|w| w),
            1 => Just(EMAIL.to_owned()),
            1 => Just("·é".to_owned()),
        ],
        0..4,
    )
    .prop_map(|w| w.join(" "))
}

/// One line of an event (without its line end).
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => words().prop_map(|w| format!("data: {w}")),
        2 => words().prop_map(|w| {
            let delta = serde_json::json!({"choices": [{"index": 0, "delta": {"content": w}}]});
            format!("data: {delta}")
        }),
        1 => words().prop_map(|w| format!("event: {w}")),
        1 => "[a-z0-9]{1,6}".prop_map(|id| format!("id: {id}")),
        1 => words().prop_map(|w| format!(": {w}")),
        1 => Just("data: [DONE]".to_owned()),
    ]
}

/// A stream of events, each line ending in LF, CRLF or CR.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let end = prop::sample::select(&["\n", "\r\n", "\r"][..]);
    prop::collection::vec(
        (prop::collection::vec((line(), end.clone()), 1..4), end),
        0..6,
    )
    .prop_map(|events| {
        let mut out = String::new();
        for (lines, blank) in events {
            for (line, end) in lines {
                out.push_str(&line);
                out.push_str(end);
            }
            out.push_str(blank);
        }
        out.into_bytes()
    })
}

/// `bytes` cut at the given offsets.
fn chunks<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for cut in cuts {
        out.push(&bytes[at..cut]);
        at = cut;
    }
    out.push(&bytes[at..]);
    out
}

fn run(chunks: &[&[u8]], deltas: bool, max_event: usize) -> Result<Vec<u8>, HttpError> {
    let masker = SseMasker::new(Some(Arc::new(Emails)), None, max_event);
    let mut masker = if deltas { masker.with_deltas() } else { masker };
    let mut out = Vec::new();
    for chunk in chunks {
        masker.push(chunk, &mut out)?;
    }
    masker.finish(&mut out)?;
    Ok(out)
}

fn fail(error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// However the stream is split, the output is the same; no address survives, and every
    /// event the output holds ends with its blank line.
    #[test]
    fn a_stream_masks_the_same_however_it_is_split(
        input in stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
        deltas in any::<bool>(),
    ) {
        let whole = run(&[&input], deltas, 1 << 16).map_err(fail)?;
        let split = run(&chunks(&input, &cuts), deltas, 1 << 16).map_err(fail)?;
        prop_assert_eq!(&split, &whole);
        let text = String::from_utf8_lossy(&whole);
        prop_assert!(!text.contains(EMAIL), "{:?} gave {:?}", String::from_utf8_lossy(&input), text);
        prop_assert!(whole.is_empty() || whole.ends_with(b"\n\n"), "{:?}", text);
    }

    /// Random bytes in random chunks: the same masked output however they are split, and with
    /// a small event bound, masked output or the event-size refusal; never a panic.
    #[test]
    fn random_bytes_mask_or_are_refused(
        input in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
        deltas in any::<bool>(),
    ) {
        let pieces = chunks(&input, &cuts);
        let whole = run(&[&input], deltas, 1 << 16);
        prop_assert!(whole.is_ok());
        prop_assert_eq!(run(&pieces, deltas, 1 << 16).ok(), whole.ok());
        let small = run(&pieces, deltas, 32);
        prop_assert!(
            matches!(small, Ok(_) | Err(HttpError::EventTooLarge { limit: 32 })),
            "{:?}",
            small.err()
        );
    }
}
