use super::*;

/// A Bind body for the unnamed portal and statement with these formats and values.
fn bind(formats: &[i16], values: &[Option<&[u8]>]) -> Bytes {
    let mut body = b"\0\0".to_vec();
    body.extend_from_slice(&(formats.len() as i16).to_be_bytes());
    for f in formats {
        body.extend_from_slice(&f.to_be_bytes());
    }
    body.extend_from_slice(&(values.len() as i16).to_be_bytes());
    for value in values {
        match value {
            Some(v) => {
                body.extend_from_slice(&(v.len() as i32).to_be_bytes());
                body.extend_from_slice(v);
            }
            None => body.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    body.extend_from_slice(&0i16.to_be_bytes());
    Bytes::from(body)
}

/// Masks the word `secret` anywhere, and every value of column `password`.
pub(crate) struct Words;

impl ValueMasker for Words {
    fn mask_value(&self, column: ColumnRef<'_>, _value: &[u8]) -> Masked {
        if column.column == "password" {
            Masked::Replaced(b"[redacted]".to_vec())
        } else {
            Masked::Unchanged
        }
    }
    fn column_rule(&self, column: ColumnRef<'_>) -> bool {
        column.column == "password"
    }
    fn has_column_rules(&self) -> bool {
        true
    }
    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if text.contains("secret") {
            Cow::Owned(text.replace("secret", "******"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

fn strings(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[test]
fn text_and_binary_values_of_known_types_are_decoded() {
    let uuid = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    let body = bind(
        &[1],
        &[
            Some(&42i32.to_be_bytes()),
            Some(&(-7i64).to_be_bytes()),
            Some(&[1]),
            Some(b"caf\xc3\xa9"),
            Some(&1.5f64.to_be_bytes()),
            Some(&uuid),
            None,
            Some(&[1, 2, 3]),
            Some(&[9, 9]),
        ],
    );
    let types: Arc<[u32]> = Arc::from(vec![23, 20, 16, 1043, 701, 2950, 25, 17]);
    let shown = BoundParams::new(body, types).render(None);
    assert_eq!(
        shown,
        strings(&[
            Some("42"),
            Some("-7"),
            Some("t"),
            Some("café"),
            Some("1.5"),
            Some("01234567-89ab-cdef-0123-456789abcdef"),
            None,
            Some("<binary 3 bytes>"),
            Some("<binary 2 bytes>"),
        ])
    );
    // Text format: each value as it came, whatever its type.
    let body = bind(&[], &[Some(b"42"), Some(b"x\xffy")]);
    let shown = BoundParams::new(body, Arc::from(vec![23, 25])).render(None);
    assert_eq!(shown, strings(&[Some("42"), Some("x\u{fffd}y")]));
}

#[test]
fn long_values_and_long_lists_are_cut_and_marked() {
    let long = "a".repeat(10_000);
    let values: Vec<Option<&[u8]>> = std::iter::once(Some(long.as_bytes()))
        .chain((0..99).map(|_| Some(&b"v"[..])))
        .collect();
    let shown = BoundParams::new(bind(&[], &values), Arc::from(Vec::new())).render(None);
    assert_eq!(shown.len(), MAX_PARAMS + 1);
    let first = shown[0].as_deref().unwrap();
    assert!(first.starts_with(&"a".repeat(MAX_CHARS)), "{first}");
    assert!(first.ends_with("…(10000 bytes)"), "{first}");
    assert_eq!(first.chars().filter(|c| *c == 'a').count(), MAX_CHARS);
    assert_eq!(
        shown[MAX_PARAMS].as_deref(),
        Some("<36 more parameters not recorded>")
    );
}

#[test]
fn a_masked_role_sees_masked_parameters_and_protected_columns_mask_all() {
    let body = bind(&[], &[Some(b"my secret"), Some(b"plain"), None]);
    let params = BoundParams::new(body, Arc::from(Vec::new()));
    let masking = ParamMasking {
        masker: &Words,
        protected: None,
    };
    assert_eq!(
        params.render(Some(masking)),
        strings(&[Some("my ******"), Some("plain"), None])
    );
    let masking = ParamMasking {
        protected: Some("password"),
        ..masking
    };
    assert_eq!(
        params.render(Some(masking)),
        strings(&[Some("[redacted]"), Some("[redacted]"), None])
    );
    // A value longer than the mask window is masked over the window, then cut.
    let long = format!("secret {}", "b".repeat(MASK_WINDOW * 2));
    let body = bind(&[], &[Some(long.as_bytes())]);
    let masking = ParamMasking {
        masker: &Words,
        protected: None,
    };
    let shown = BoundParams::new(body, Arc::from(Vec::new())).render(Some(masking));
    let first = shown[0].as_deref().unwrap();
    assert!(first.starts_with("****** bbb"), "{first}");
    assert!(!first.contains("secret"));
}

#[test]
fn an_unreadable_bind_is_marked() {
    let shown =
        BoundParams::new(Bytes::from_static(b"\0\0\0\x01"), Arc::from(Vec::new())).render(None);
    assert_eq!(shown, strings(&[Some("<unreadable parameters>")]));
}
