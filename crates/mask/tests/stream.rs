#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The streaming masker gives the same bytes as masking the whole input at once, however the
//! input is split.

use std::sync::Arc;

use proptest::prelude::*;
use warden_mask::{MaskProfile, MaskStrategy, Masker, StreamMasker};

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n-----END RSA PRIVATE KEY-----";

/// Entities, near misses and filler that the generated texts are made of.
const PIECES: &[&str] = &[
    "john.doe@example.com",
    "user+tag@sub.example.co.uk",
    "4111 1111 1111 1111",
    "4111111111111111",
    "378282246310005",
    "4111111111111112",
    "123-45-6789",
    "666-12-3456",
    "+44 20 7946 0958",
    "(212) 555-0143",
    "212.555.0143",
    "020 7946 0958",
    "GB82 WEST 1234 5698 7654 32",
    "DE89370400440532013000",
    "GB82WEST12345698765433",
    "192.168.1.10",
    "10.0.0.1:5432",
    "1.2.3.4.5",
    "2001:db8::8a2e:370:7334",
    "::ffff:192.0.2.1",
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    JWT,
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    PEM,
    "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "2024-01-15T10:23:45.123Z",
    "ORD-2024-000123",
    "550e8400-e29b-41d4-a716-446655440000",
    "v1.2.3",
    "Standards-Version: ",
    "Grüße 東京 ✓",
    "the quick brown fox",
    "@",
    ":",
    "::",
    "+",
    "(",
    "-----",
    "eyJ",
    ".",
];

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(|s| s.as_bytes().to_vec()),
        2 => "[0-9 .:@+()-]{0,16}".prop_map(String::into_bytes),
        2 => "[A-Za-z0-9_./+=@:-]{0,24}".prop_map(String::into_bytes),
        2 => prop::sample::select(vec![" ", "\n", ", ", "\"", "=", "\t", "; "])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => "\\PC{0,8}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..6),
    ]
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..320).prop_map(|pieces| pieces.concat())
}

fn masker(strategy: MaskStrategy) -> Arc<Masker> {
    Arc::new(Masker::with_all_detectors(strategy, b"stream-key").unwrap())
}

/// Streams `input` in chunks of the given sizes (cycled).
fn streamed(masker: &Arc<Masker>, input: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut stream = StreamMasker::new(masker.clone());
    let mut out = Vec::new();
    let mut rest = input;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.extend(stream.push(chunk));
        rest = tail;
    }
    out.extend(stream.finish());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_matches_masking_at_once(
        input in input(),
        sizes in prop::collection::vec(prop_oneof![1usize..4, 1usize..64, 64usize..2048], 1..24),
        strategy in prop_oneof![
            Just(MaskStrategy::Redact),
            Just(MaskStrategy::Partial { keep: 4 }),
            Just(MaskStrategy::Hash),
        ],
    ) {
        let m = masker(strategy);
        let whole = m.mask_bytes(&input).into_owned();
        prop_assert_eq!(streamed(&m, &input, &sizes), whole);
    }

    #[test]
    fn arbitrary_bytes_match_too(
        input in prop::collection::vec(any::<u8>(), 0..3000),
        size in 1usize..900,
    ) {
        let m = masker(MaskStrategy::Redact);
        prop_assert_eq!(streamed(&m, &input, &[size]), m.mask_bytes(&input).into_owned());
    }

    #[test]
    fn text_matches_mask_text(input in input(), size in 1usize..700) {
        let text = String::from_utf8_lossy(&input).into_owned();
        let m = masker(MaskStrategy::Redact);
        let out = streamed(&m, text.as_bytes(), &[size]);
        prop_assert_eq!(String::from_utf8(out).unwrap(), m.mask_text(&text).into_owned());
    }
}

#[test]
fn long_entities_split_at_every_position_are_found() {
    let m = masker(MaskStrategy::Redact);
    let filler = "x ".repeat(400);
    for entity in [JWT, PEM] {
        let text = format!("{filler}{entity} {filler}");
        let want = m.mask_bytes(text.as_bytes()).into_owned();
        assert!(!String::from_utf8_lossy(&want).contains("eyJhbGci"));
        assert!(!String::from_utf8_lossy(&want).contains("MIIBOg"));
        for cut in filler.len()..filler.len() + entity.len() {
            let (a, b) = text.as_bytes().split_at(cut);
            let mut stream = StreamMasker::new(m.clone());
            let mut out = stream.push(a);
            out.extend(stream.push(b));
            out.extend(stream.finish());
            assert_eq!(out, want, "cut at {cut}");
        }
    }
}

#[test]
fn holds_back_only_a_short_tail_unless_a_long_entity_is_open() {
    let m = masker(MaskStrategy::Redact);
    let mut stream = StreamMasker::new(m.clone());
    let out = stream.push(
        "plain log line 2024-01-15 12:00:00 ok\n"
            .repeat(300)
            .as_bytes(),
    );
    assert!(stream.held() <= 512, "held {}", stream.held());
    assert!(out.len() > 10_000);

    // An unfinished PEM block is held whole until its END line arrives.
    let mut stream = StreamMasker::new(m.clone());
    let body = "QUJD".repeat(16) + "\n";
    let mut out = stream.push(b"-----BEGIN PRIVATE KEY-----\n");
    for _ in 0..50 {
        out.extend(stream.push(body.as_bytes()));
    }
    assert!(out.is_empty());
    assert!(stream.held() > 50 * body.len());
    out.extend(stream.push(b"-----END PRIVATE KEY-----\nafter\n"));
    out.extend(stream.push(" ".repeat(600).as_bytes()));
    assert!(
        out.starts_with(b"[redacted:private_key]\nafter\n"),
        "{:?}",
        String::from_utf8_lossy(&out[..40])
    );
    assert!(stream.held() <= 512);
}

#[test]
fn oversized_blocks_are_bounded() {
    let m = masker(MaskStrategy::Redact);
    // A PEM block larger than 16 KiB: the stream stops holding it and matches mask_bytes.
    let huge = format!(
        "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
        "QUJDRA==\n".repeat(2500)
    );
    let want = m.mask_bytes(huge.as_bytes()).into_owned();
    let mut stream = StreamMasker::new(m.clone());
    let mut out = Vec::new();
    let mut max_held = 0;
    for chunk in huge.as_bytes().chunks(1000) {
        out.extend(stream.push(chunk));
        max_held = max_held.max(stream.held());
    }
    out.extend(stream.finish());
    assert_eq!(out, want);
    assert!(max_held <= 16 * 1024 + 1000 + 512, "held {max_held}");
}

#[test]
fn finish_resets_and_no_detectors_pass_through() {
    let m = masker(MaskStrategy::Redact);
    let mut stream = StreamMasker::new(m);
    let mut out = stream.push(b"mail a@example.com");
    out.extend(stream.finish());
    assert_eq!(out, b"mail [redacted:email]");
    let mut out = stream.push(b"second b@example.com");
    out.extend(stream.finish());
    assert_eq!(out, b"second [redacted:email]");

    let profile = MaskProfile {
        detectors: Vec::new(),
        strategy: MaskStrategy::Redact,
        columns: Vec::new(),
    };
    let mut plain = StreamMasker::new(Arc::new(Masker::new(&profile, b"").unwrap()));
    assert_eq!(plain.push(b"a@example.com"), b"a@example.com");
    assert_eq!(plain.held(), 0);
}

#[test]
fn held_bytes_stay_bounded_on_hostile_input() {
    let m = masker(MaskStrategy::Redact);
    let hostile: [(&str, &str); 4] = [
        ("-----BEGIN PRIVATE KEY-----\n-----END ", "A"),
        ("-----BEGIN PRIVATE KEY-----\n", "QUJD\n"),
        ("eyJhbGciOiJIUzI1NiJ9.", "a"),
        ("", "1 "),
    ];
    for (head, repeated) in hostile {
        let mut stream = StreamMasker::new(m.clone());
        let mut max_held = 0;
        let mut out = stream.push(head.as_bytes());
        let chunk = repeated.repeat(1000);
        for _ in 0..100 {
            out.extend(stream.push(chunk.as_bytes()));
            max_held = max_held.max(stream.held());
        }
        out.extend(stream.finish());
        assert!(
            max_held <= 16 * 1024 + 2 * chunk.len() + 512,
            "{head:?}: held {max_held}"
        );
        let whole = format!("{head}{}", chunk.repeat(100));
        assert_eq!(out, m.mask_bytes(whole.as_bytes()).into_owned(), "{head:?}");
    }
}
