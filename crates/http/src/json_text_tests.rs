use super::*;
use proptest::prelude::*;
use serde_json::Value;
use std::borrow::Cow;
use warden_core::mask::Masked;

/// Masks emails in any string, every `password` field, and the number 4111.
struct Rules;

impl ValueMasker for Rules {
    fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> Masked {
        if column.column == "password" {
            return Masked::Replaced(b"[redacted]".to_vec());
        }
        if column.column == "gone" {
            return Masked::Null;
        }
        if value == b"4111" {
            return Masked::Replaced(b"****".to_vec());
        }
        let text = String::from_utf8_lossy(value);
        match self.mask_text(&text) {
            Cow::Owned(s) => Masked::Replaced(s.into_bytes()),
            Cow::Borrowed(_) => Masked::Unchanged,
        }
    }
    fn column_rule(&self, column: ColumnRef<'_>) -> bool {
        column.column == "password"
    }
    fn has_column_rules(&self) -> bool {
        true
    }
    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if text.contains("a@b.c") {
            Cow::Owned(text.replace("a@b.c", "[e\"q]"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

fn both(text: &str) -> (Value, Value) {
    let mut dom: Value = serde_json::from_str(text).unwrap();
    crate::mask_json(&mut dom, &Rules);
    let fast = match mask_json_text(text.as_bytes(), &Rules).unwrap() {
        Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
        None => serde_json::from_str(text).unwrap(),
    };
    (fast, dom)
}

#[test]
fn same_as_the_document_masker() {
    for text in [
        r#"{"user": {"email": "x a@b.c y", "password": "p", "n": 4111}, "list": [1, "a@b.c", {"gone": true}]}"#,
        r#"[{"password": ["a", "b"]}, "a\u0040b.c", "\"quoted\" a@b.c"]"#,
        r#""a@b.c""#,
        r#"{"password": ["", ""], "x": ""}"#,
        "4111",
        r#"{"a": {"b": {"c": {"password": 1.5e3}}}, "e": [], "o": {}}"#,
    ] {
        let (fast, dom) = both(text);
        assert_eq!(fast, dom, "{text}");
    }
    assert_eq!(mask_json_text(br#"{"ok": true}"#, &Rules), Some(None));
    for bad in [&b"{"[..], b"[1,", b"{\"a\" 1}x", b"", b"nul", b"{]"] {
        assert_eq!(
            mask_json_text(bad, &Rules),
            None,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just(4111i64), any::<i32>().prop_map(i64::from)].prop_map(Value::from),
        prop_oneof![
            Just("a@b.c".to_owned()),
            Just("x\"a@b.c\\n".to_owned()),
            "[a-z é@.\"\\\\]{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("password".to_owned()),
            Just("gone".to_owned()),
            "[a-z\"]{1,6}"
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Counts the values a masker is asked about.
struct Counting<M> {
    inner: M,
    asked: std::sync::atomic::AtomicUsize,
}

impl<M: ValueMasker> ValueMasker for Counting<M> {
    fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> Masked {
        self.asked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.mask_value(column, value)
    }
    fn column_rule(&self, column: ColumnRef<'_>) -> bool {
        self.inner.column_rule(column)
    }
    fn has_column_rules(&self) -> bool {
        self.inner.has_column_rules()
    }
    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.inner.mask_text(text)
    }
    fn anchors(&self) -> warden_core::mask::Anchors {
        self.inner.anchors()
    }
}

fn emails() -> warden_mask::Masker {
    let profile = warden_config::MaskProfile {
        detectors: vec!["email".to_owned()],
        strategy: warden_config::MaskStrategy::Redact,
        columns: Vec::new(),
    };
    warden_mask::Masker::new(&profile, b"k").unwrap()
}

#[test]
fn values_without_an_anchor_byte_are_not_scanned() {
    let masker = Counting {
        inner: emails(),
        asked: 0.into(),
    };
    let text = br#"{"id": 7, "name": "Ada", "email": "ada@example.org", "note": "cc b\u0040x.example.com", "tags": ["x", "y@"]}"#;
    let masked = mask_json_text(text, &masker).unwrap().unwrap();
    let masked: Value = serde_json::from_slice(&masked).unwrap();
    assert_eq!(masked["email"], "[redacted:email]");
    // The escaped `@` is found once unescaped.
    assert_eq!(masked["note"], "cc [redacted:email]");
    assert_eq!(masked["name"], "Ada");
    assert_eq!(masked["tags"][1], "y@");
    // Asked about the three values holding an `@`; not about 7, "Ada" or "x".
    assert_eq!(masker.asked.load(std::sync::atomic::Ordering::Relaxed), 3);
}

#[test]
fn without_column_rules_keys_are_checked_but_never_asked_about() {
    let masker = Counting {
        inner: emails(),
        asked: 0.into(),
    };
    // An `@` in a key, right before values without one, and in a number's place.
    let text = br#"{"ada@example.org": "plain", "n": 5, "b@x.example.com": [1, "y"]}"#;
    assert_eq!(mask_json_text(text, &masker), Some(None));
    assert_eq!(masker.asked.load(std::sync::atomic::Ordering::Relaxed), 0);
    // A key is not kept, but a bad escape in it still means the text is not JSON.
    assert_eq!(
        mask_json_text(br#"{"a\q": "ada@example.org"}"#, &masker),
        None
    );
    let escaped = mask_json_text(br#"{"a\u0040": "ada@example.org"}"#, &masker);
    assert_eq!(
        escaped,
        Some(Some(br#"{"a\u0040": "[redacted:email]"}"#.to_vec()))
    );
}

proptest! {
    #[test]
    fn a_real_profile_masks_like_the_document_masker(
        doc in proptest::collection::vec(
            prop_oneof![
                "[a-z.@ ]{0,24}",
                Just("mail ada.l@example.org now".to_owned()),
                Just("\"b@x.example.com\"\n".to_owned()),
            ],
            0..8,
        ),
    ) {
        let masker = emails();
        let doc = Value::from(doc);
        let text = serde_json::to_string(&doc).unwrap();
        let mut dom = doc.clone();
        crate::mask_json(&mut dom, &masker);
        let fast: Value = match mask_json_text(text.as_bytes(), &masker).unwrap() {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
            None => doc,
        };
        prop_assert_eq!(fast, dom);
    }

    /// Without column rules keys are skipped and values found by the anchor cursor.
    #[test]
    fn a_real_profile_masks_any_document_like_the_document_masker(doc in value()) {
        let masker = emails();
        let text = serde_json::to_string(&doc).unwrap();
        let mut dom = doc.clone();
        crate::mask_json(&mut dom, &masker);
        let document = mask_json_document(text.as_bytes(), &masker).unwrap();
        prop_assert!(document.well_formed, "{}", text);
        let fast: Value = match document.masked {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
            None => doc,
        };
        prop_assert_eq!(fast, dom);
    }

    #[test]
    fn any_document_masks_like_the_document_masker(doc in value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&doc).unwrap()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        let (fast, dom) = both(&text);
        prop_assert_eq!(fast, dom);
        let document = mask_json_document(text.as_bytes(), &Rules).unwrap();
        prop_assert!(document.well_formed, "{}", text);
    }

    /// A valid document with one byte inserted or removed: whatever the scanner calls
    /// well-formed (and holds no control byte), serde_json reads; whatever serde_json
    /// reads, the scanner calls well-formed when it reads it at all.
    #[test]
    fn well_formed_means_what_serde_json_reads(
        doc in value(),
        at in any::<proptest::sample::Index>(),
        edit in prop_oneof![
            Just(None),
            proptest::sample::select(b",:{}[]\"0-+.e1 tfn".to_vec()).prop_map(Some),
        ],
    ) {
        let mut text = serde_json::to_string(&doc).unwrap().into_bytes();
        let at = at.index(text.len() + 1);
        match edit {
            Some(byte) => text.insert(at, byte),
            None if at < text.len() => {
                text.remove(at);
            }
            None => {}
        }
        let Some(document) = mask_json_document(&text, &Rules) else {
            return Ok(());
        };
        let parses = serde_json::from_slice::<serde::de::IgnoredAny>(&text).is_ok();
        if !warden_core::json_str::has_control(&text) {
            prop_assert_eq!(
                document.well_formed,
                parses,
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}

#[test]
fn grammar_slips_the_scan_passes_are_not_well_formed() {
    for text in [
        "[1,,2]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "[,1]",
        "{,}",
        "1 2",
        "[01]",
        "[1.]",
        "[-]",
        "[1e]",
        "[.5]",
        "{\"a\"::1}",
        "[1:2]",
        "{\"a\":1 \"b\":2}",
    ] {
        let document = mask_json_document(text.as_bytes(), &Rules);
        assert!(
            document.is_none_or(|d| !d.well_formed),
            "{text} is not JSON but was called well-formed"
        );
    }
    for text in [
        "[1,2]",
        "{\"a\":-0.5e+10,\"b\":[{}]}",
        " 3 ",
        "\"s\"",
        "[[],{}]",
    ] {
        let document = mask_json_document(text.as_bytes(), &Rules).unwrap();
        assert!(document.well_formed, "{text}");
    }
}
