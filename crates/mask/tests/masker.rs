#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The whole-text and whole-value entry points.

use std::borrow::Cow;

use warden_mask::{ColumnRef, Entity, MaskError, MaskProfile, MaskStrategy, MaskedValue, Masker};

fn all() -> Masker {
    Masker::with_all_detectors(MaskStrategy::Redact, b"k").unwrap()
}

#[test]
fn clean_text_and_values_are_borrowed_not_copied() {
    let m = all();
    for text in [
        "",
        "plain words only",
        "2024-01-15T10:23:45Z GET /api/v1/users/42 200 12ms",
        "naïve café — ünïcödé ✓ 東京",
    ] {
        let masked = m.mask_text(text);
        assert!(
            matches!(masked, Cow::Borrowed(s) if std::ptr::eq(s, text)),
            "{text}"
        );
        assert!(matches!(m.mask_bytes(text.as_bytes()), Cow::Borrowed(_)));
        assert_eq!(
            m.mask_value(ColumnRef::name("c"), text.as_bytes()),
            MaskedValue::Unchanged
        );
    }
}

#[test]
fn masks_inside_unicode_text() {
    let m = all();
    assert_eq!(
        m.mask_text("Grüße an jürgen@example.de — 東京 +81 3 1234 5678 ✓"),
        "Grüße an [redacted:email] — 東京 [redacted:phone] ✓"
    );
}

#[test]
fn bytes_that_are_not_utf8_pass_through() {
    let m = all();
    let input = b"\xff\xfe mail a@example.com \xc3 card 4111111111111111\x80";
    let out = m.mask_bytes(input);
    assert_eq!(
        out.as_ref(),
        b"\xff\xfe mail [redacted:email] \xc3 card [redacted:card]\x80"
    );
    // A whole value that is not UTF-8 is taken to be binary and left alone.
    assert_eq!(
        m.mask_value(ColumnRef::name("c"), input),
        MaskedValue::Unchanged
    );
}

#[test]
fn findings_report_merged_regions_in_order() {
    let m = all();
    let text = "a@example.com then ::ffff:192.0.2.1 then 4111111111111111";
    let found: Vec<(Entity, &str)> = m
        .findings(text)
        .into_iter()
        .map(|f| (f.entity, &text[f.span]))
        .collect();
    assert_eq!(
        found,
        [
            (Entity::Email, "a@example.com"),
            (Entity::Ip, "::ffff:192.0.2.1"),
            (Entity::Card, "4111111111111111"),
        ]
    );
}

#[test]
fn unknown_detectors_are_refused() {
    let profile = MaskProfile {
        detectors: vec!["email".into(), "passport".into()],
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    let err = Masker::new(&profile, b"").unwrap_err();
    assert_eq!(err, MaskError::UnknownDetector("passport".into()));
    assert!(err.to_string().contains("expected one of email, card"));
}

#[test]
fn only_enabled_detectors_run() {
    let profile = MaskProfile {
        detectors: vec!["email".into()],
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    let m = Masker::new(&profile, b"").unwrap();
    assert_eq!(
        m.mask_text("a@example.com 4111111111111111 10.0.0.1"),
        "[redacted:email] 4111111111111111 10.0.0.1"
    );
}

#[test]
fn maskers_are_shared_across_sessions_and_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Masker>();
    shareable::<warden_mask::StreamMasker>();
    let m = std::sync::Arc::new(all());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let m = m.clone();
            std::thread::spawn(move || m.mask_text(&format!("u{i}@example.com")).into_owned())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "[redacted:email]");
    }
}
