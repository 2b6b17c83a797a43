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

/// A text each detector masks, by detector name.
const HITS: [(&str, &str); 13] = [
    ("email", "write to ada.l@example.org today"),
    ("card", "card 4111 1111 1111 1111 on file"),
    ("ssn", "ssn 078-05-1120"),
    ("phone", "call +1 (212) 555-0143"),
    ("iban", "pay DE89 3704 0044 0532 0130 00"),
    ("ip", "from 192.168.1.1"),
    ("ip", "from fe80::1"),
    ("aws_key", "key AKIAIOSFODNN7EXAMPLE"),
    (
        "aws_key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "api_token",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    (
        "jwt",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (
        "private_key",
        "-----BEGIN PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END PRIVATE KEY-----",
    ),
    ("email", "jürgen@example.de"),
];

fn only(detector: &str) -> Masker {
    let profile = MaskProfile {
        detectors: vec![detector.to_owned()],
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    Masker::new(&profile, b"k").unwrap()
}

#[test]
fn every_text_a_detector_masks_holds_one_of_its_anchor_bytes() {
    for (detector, text) in HITS {
        let masker = only(detector);
        assert!(!masker.findings(text).is_empty(), "{detector}: {text}");
        assert!(
            masker.anchors().found_in(text.as_bytes()),
            "{detector}: {text}"
        );
        // Every anchor byte taken out (replaced by a space): nothing is found any more.
        let stripped: Vec<u8> = text
            .bytes()
            .map(|b| {
                if masker.anchors().contains(b) {
                    b' '
                } else {
                    b
                }
            })
            .collect();
        let stripped = String::from_utf8(stripped).unwrap();
        assert!(
            masker.findings(&stripped).is_empty(),
            "{detector}: {stripped}"
        );
    }
    // Every detector at once still finds each of them, and its anchors hold theirs.
    let all = all();
    for (detector, text) in HITS {
        assert!(!all.findings(text).is_empty(), "{detector}: {text}");
        assert!(
            all.anchors().found_in(text.as_bytes()),
            "{detector}: {text}"
        );
    }
}

#[test]
fn anchors_are_few_for_the_usual_profiles() {
    // Emails alone are anchored on `@`: a JSON value without one is never scanned.
    assert_eq!(
        only("email").anchors(),
        warden_core::mask::Anchors::of([b'@'])
    );
    assert!(
        !only("email")
            .anchors()
            .found_in(b"Ada Lovelace, London 1815")
    );
    assert!(only("card").anchors().contains(b'7'));
    assert!(!only("card").anchors().contains(b'@'));
    assert!(!all().anchors().is_all());
    let none = Masker::new(
        &MaskProfile {
            detectors: Vec::new(),
            strategy: MaskStrategy::Redact,
            columns: Vec::new(),
        },
        b"k",
    )
    .unwrap();
    assert!(!none.anchors().found_in(b"a@b.c 4111"));
}

#[test]
fn masking_into_a_buffer_appends_what_mask_value_returns() {
    use warden_core::mask::{Rewrite, ValueMasker};
    let profile = |strategy: MaskStrategy| MaskProfile {
        detectors: vec!["email".into()],
        strategy,
        columns: vec![warden_mask::ColumnRule {
            pattern: "*.secret".into(),
            strategy: MaskStrategy::Hash,
        }],
    };
    for strategy in [MaskStrategy::Redact, MaskStrategy::Null] {
        let m = Masker::new(&profile(strategy.clone()), b"k").unwrap();
        for (column, value) in [
            ("note", "write to ada@example.com today"),
            ("note", "nothing to see"),
            ("secret", "hunter2"),
            ("secret", ""),
        ] {
            let column = ColumnRef::table("t", column);
            let mut out = b"kept".to_vec();
            let fate = ValueMasker::mask_value_into(&m, column, value.as_bytes(), &mut out);
            let expected = match m.mask_value(column, value.as_bytes()) {
                MaskedValue::Unchanged => (Rewrite::Unchanged, b"kept".to_vec()),
                MaskedValue::Null => (Rewrite::Null, b"kept".to_vec()),
                MaskedValue::Replaced(bytes) => {
                    (Rewrite::Written, [b"kept".to_vec(), bytes].concat())
                }
            };
            assert_eq!((fate, out), expected, "{strategy:?} {column:?} {value:?}");
        }
    }
}
