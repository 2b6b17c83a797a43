#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What each strategy writes in place of a detector hit or a whole column value.

use warden_mask::{
    ColumnRef, ColumnRule, MaskError, MaskProfile, MaskStrategy, MaskedValue, Masker,
};

fn masker(strategy: MaskStrategy, key: &[u8]) -> Masker {
    Masker::with_all_detectors(strategy, key).unwrap()
}

#[test]
fn redact_names_the_entity() {
    let m = masker(MaskStrategy::Redact, b"");
    assert_eq!(
        m.mask_text("mail john@example.com, card 4111 1111 1111 1111."),
        "mail [redacted:email], card [redacted:card]."
    );
    assert_eq!(
        m.mask_text("key AKIAIOSFODNN7EXAMPLE"),
        "key [redacted:aws_key]"
    );
}

#[test]
fn partial_keeps_the_tail_and_the_shape() {
    let m = masker(MaskStrategy::Partial { keep: 4 }, b"");
    assert_eq!(
        m.mask_text("card 4111 1111 1111 1111"),
        "card **** **** **** 1111"
    );
    assert_eq!(
        m.mask_text("card 4111-1111-1111-1111"),
        "card ****-****-****-1111"
    );
    assert_eq!(
        m.mask_text("call +1 (212) 555-0143"),
        "call +* (***) ***-0143"
    );
    assert_eq!(m.mask_text("ssn 123-45-6789"), "ssn ***-**-6789");
    assert_eq!(m.mask_text("to john@example.com"), "to ****@******e.com");
    let zero = masker(MaskStrategy::Partial { keep: 0 }, b"");
    assert_eq!(zero.mask_text("ip 10.0.0.1"), "ip **.*.*.*");
    let more = masker(MaskStrategy::Partial { keep: 100 }, b"");
    assert_eq!(more.mask_text("ip 10.0.0.1"), "ip 10.0.0.1");
}

#[test]
fn hash_is_stable_keyed_and_ignores_formatting() {
    let a = masker(MaskStrategy::Hash, b"key-one");
    let again = masker(MaskStrategy::Hash, b"key-one");
    let other = masker(MaskStrategy::Hash, b"key-two");
    let text = "card 4111 1111 1111 1111 mail John@Example.com";
    let out = a.mask_text(text).into_owned();
    assert_eq!(out, again.mask_text(text));
    assert_ne!(out, other.mask_text(text));
    let words: Vec<&str> = out.split(' ').collect();
    assert_eq!(words[0], "card");
    assert!(
        words[1].starts_with("card_") && words[1].len() == 5 + 16,
        "{out}"
    );
    assert!(words[1][5..].bytes().all(|c| c.is_ascii_hexdigit()));
    assert!(words[3].starts_with("email_"), "{out}");
    // The same card written differently, and the same address in another case, join.
    assert_eq!(a.mask_text("4111-1111-1111-1111"), words[1]);
    assert_eq!(a.mask_text("4111111111111111"), words[1]);
    assert_eq!(a.mask_text("john@example.com"), words[3]);
    assert_ne!(a.mask_text("5555555555554444"), words[1]);
}

#[test]
fn hash_needs_a_key() {
    let err = Masker::with_all_detectors(MaskStrategy::Hash, b"").unwrap_err();
    assert_eq!(err, MaskError::MissingHashKey);
    let profile = MaskProfile {
        detectors: Vec::new(),
        strategy: MaskStrategy::Redact,
        columns: vec![ColumnRule {
            pattern: "*.email".into(),
            strategy: MaskStrategy::Hash,
        }],
    };
    assert_eq!(
        Masker::new(&profile, b"").unwrap_err(),
        MaskError::MissingHashKey
    );
    assert!(Masker::new(&profile, b"k").is_ok());
}

#[test]
fn null_nulls_whole_values_and_redacts_inside_text() {
    let m = masker(MaskStrategy::Null, b"");
    let col = ColumnRef::name("notes");
    assert_eq!(
        m.mask_value(col, b"reach me at john@example.com"),
        MaskedValue::Null
    );
    assert_eq!(m.mask_value(col, b"nothing here"), MaskedValue::Unchanged);
    assert_eq!(
        m.mask_text("reach john@example.com"),
        "reach [redacted:email]"
    );
}

#[test]
fn partial_on_whole_values_counts_characters() {
    let profile = MaskProfile {
        detectors: Vec::new(),
        strategy: MaskStrategy::Redact,
        columns: vec![ColumnRule {
            pattern: "name".into(),
            strategy: MaskStrategy::Partial { keep: 2 },
        }],
    };
    let m = Masker::new(&profile, b"").unwrap();
    let col = ColumnRef::name("name");
    assert_eq!(
        m.mask_value(col, "José Müller".as_bytes()),
        MaskedValue::Replaced("**** ****er".as_bytes().to_vec())
    );
    assert_eq!(
        m.mask_value(col, b"\xff\xfeab"),
        MaskedValue::Replaced(b"**ab".to_vec())
    );
}
