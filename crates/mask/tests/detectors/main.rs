#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Each detector on its own: real values it must find, look-alikes it must leave.

mod aws;
mod card;
mod email;
mod iban;
mod ip;
mod jwt;
mod lookalikes;
mod pem;
mod phone;
mod ssn;
mod token;

use warden_mask::{MaskProfile, MaskStrategy, Masker};

/// A masker with only `detector` enabled.
pub fn masker(detector: &str) -> Masker {
    let profile = MaskProfile {
        detectors: vec![detector.to_owned()],
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    Masker::new(&profile, b"k").unwrap()
}

/// The substrings of `text` that `detector` finds.
pub fn found<'a>(detector: &str, text: &'a str) -> Vec<&'a str> {
    masker(detector)
        .findings(text)
        .into_iter()
        .map(|f| {
            assert_eq!(f.entity.as_str(), detector);
            &text[f.span]
        })
        .collect()
}

/// Asserts that each value is found exactly, alone and inside a sentence.
pub fn finds_each(detector: &str, values: &[&str]) {
    for v in values {
        assert_eq!(found(detector, v), vec![*v], "{detector} alone: {v:?}");
        let sentence = format!("before {v}, after");
        assert_eq!(
            found(detector, &sentence),
            vec![*v],
            "{detector} in {sentence:?}"
        );
    }
}

/// Asserts that `detector` finds nothing in each text.
pub fn finds_none(detector: &str, texts: &[&str]) {
    for t in texts {
        assert_eq!(
            found(detector, t),
            Vec::<&str>::new(),
            "{detector} in {t:?}"
        );
    }
}
