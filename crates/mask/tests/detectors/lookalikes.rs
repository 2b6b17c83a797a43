use warden_mask::{Entity, MaskStrategy, Masker};

/// Text full of numbers and identifiers that are not personal data.
const CLEAN: &str = r#"2024-01-15T10:23:45.123Z INFO request_id=550e8400-e29b-41d4-a716-446655440000 order=ORD-2024-000123
build 1.2.3.4.5 (rust 1.94.0) took 12.5s; sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
{"ts":1705314225,"latency_ms":45.2,"items":[1,2,3],"version":"v2.10.3","retry":3,"ratio":0.125}
Invoice INV-2023-10-0042 totals $1,234,567.89 due 12/31/2024 at 10:23:45; ticket #88231; port 5432
commit 4f2a9c1 Merge pull request #4521 from user/branch; std::fmt::Display; Vec<u8>::new()
The quick brown fox jumps over the lazy dog 1234 times, 12 34 56, 1-2-3, 2024 12 31."#;

#[test]
fn all_detectors_leave_clean_text_alone() {
    let masker = Masker::with_all_detectors(MaskStrategy::Redact, b"k").unwrap();
    assert_eq!(masker.findings(CLEAN), Vec::new());
    assert!(matches!(
        masker.mask_text(CLEAN),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn every_detector_name_round_trips() {
    for entity in Entity::ALL {
        assert_eq!(entity.as_str().parse::<Entity>().unwrap(), entity);
    }
    assert!("passport".parse::<Entity>().is_err());
}
