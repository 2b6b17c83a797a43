//! Masking DataRows and rendering Bind parameters for the recording, on generated input: any
//! row or Bind body is handled without panicking, masking keeps the row's shape and changes
//! only what the masker asks for, and recorded parameters stay within their bounds.

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};
use warden_pg::masking::mask_row;
use warden_pg::messages::data_row;
use warden_pg::messages::row_description::Field;
use warden_pg::params::{BoundParams, MAX_CHARS, MAX_PARAMS, ParamMasking};

/// Replaces values holding `@`, turns `null-me` into NULL, leaves the rest.
struct AtSign;

impl ValueMasker for AtSign {
    fn mask_value(&self, _column: ColumnRef<'_>, value: &[u8]) -> Masked {
        if value.contains(&b'@') {
            Masked::Replaced(b"[email]".to_vec())
        } else if value == b"null-me" {
            Masked::Null
        } else {
            Masked::Unchanged
        }
    }

    fn column_rule(&self, _column: ColumnRef<'_>) -> bool {
        false
    }

    fn has_column_rules(&self) -> bool {
        false
    }

    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match text.contains('@') {
            true => Cow::Owned(text.replace('@', "[at]")),
            false => Cow::Borrowed(text),
        }
    }
}

fn field(format: i16, type_oid: u32) -> Field {
    Field {
        name: "c".into(),
        table_oid: 0,
        column: 0,
        type_oid,
        format,
        origin: None,
    }
}

/// A column value: NULL, one the masker replaces or nulls, or one it leaves.
fn value() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        "[a-z@.]{0,16}".prop_map(|s| Some(s.into_bytes())),
        Just(Some(b"null-me".to_vec())),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Some),
    ]
}

/// A Bind body: names, parameter formats, values, result formats.
fn bind(formats: &[i16], values: &[Option<Vec<u8>>]) -> Bytes {
    let mut body = BytesMut::new();
    body.put_slice(b"portal\0stmt\0");
    body.put_i16(formats.len() as i16);
    for format in formats {
        body.put_i16(*format);
    }
    body.put_i16(values.len() as i16);
    for value in values {
        match value {
            Some(bytes) => {
                body.put_i32(bytes.len() as i32);
                body.put_slice(bytes);
            }
            None => body.put_i32(-1),
        }
    }
    body.put_i16(0);
    body.freeze()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any body: masking refuses exactly the rows the decoder refuses, and never panics.
    #[test]
    fn any_row_body_masks_or_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..120),
        binary in any::<bool>(),
    ) {
        let fields = vec![field(i16::from(binary), 17); 4];
        let masked = mask_row(&body, &fields, &AtSign, None);
        prop_assert_eq!(masked.is_ok(), data_row::values(&body).is_ok());
    }

    /// A whole row keeps its column count; text values the masker replaces are replaced, nulled
    /// ones become NULL, binary values it changes are withheld (NULL), the rest stay as they were.
    #[test]
    fn a_masked_row_changes_only_what_the_masker_asks_for(
        columns in prop::collection::vec((value(), any::<bool>()), 0..8),
        extra in any::<bool>(),
    ) {
        let values: Vec<Option<Vec<u8>>> = columns.iter().map(|(v, _)| v.clone()).collect();
        // Fewer fields than values (a RowDescription not seen) must be handled too.
        let mut fields: Vec<Field> = columns
            .iter()
            .map(|(_, binary)| field(i16::from(*binary), 17))
            .collect();
        if extra {
            fields.pop();
        }
        let row = data_row::encode(values.iter().map(Option::as_deref));
        let masked = mask_row(&row[5..], &fields, &AtSign, None)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected: Vec<Option<Vec<u8>>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let binary = fields.get(i).is_some_and(|f| f.format == 1);
                match v.as_deref().map(|v| AtSign.mask_value(ColumnRef::name("c"), v)) {
                    None | Some(Masked::Unchanged) => v.clone(),
                    Some(Masked::Replaced(bytes)) if !binary => Some(bytes),
                    Some(_) => None,
                }
            })
            .collect();
        let got: Vec<Option<Vec<u8>>> = match &masked {
            None => values.clone(),
            Some(frame) => data_row::values(&frame[5..])
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .into_iter()
                .map(|v| v.map(<[u8]>::to_vec))
                .collect(),
        };
        prop_assert_eq!(masked.is_none(), expected == values);
        prop_assert_eq!(got, expected);
    }

    /// Any Bind body and any parameter types: at most MAX_PARAMS values and one marker, each
    /// within MAX_CHARS and its marker, masked or not.
    #[test]
    fn any_bind_renders_within_its_bounds(
        body in prop::collection::vec(any::<u8>(), 0..200),
        types in prop::collection::vec(prop::sample::select(&[0u32, 16, 20, 21, 23, 25, 26, 700, 701, 1043, 2950][..]), 0..6),
    ) {
        let params = BoundParams::new(Bytes::from(body), Arc::from(types));
        for masking in [None, Some(ParamMasking { masker: &AtSign, protected: None })] {
            let shown = params.render(masking);
            prop_assert!(shown.len() <= MAX_PARAMS + 1);
            for text in shown.iter().flatten() {
                prop_assert!(text.chars().count() <= MAX_CHARS + 64, "{:?}", text);
            }
        }
    }

    /// Text parameters read back as sent (masked when the role masks); the count is bounded.
    #[test]
    fn text_parameters_render_as_sent(
        values in prop::collection::vec(prop::option::of("[a-z@ ]{0,40}"), 0..80),
    ) {
        let raw: Vec<Option<Vec<u8>>> =
            values.iter().map(|v| v.as_ref().map(|s| s.clone().into_bytes())).collect();
        let params = BoundParams::new(bind(&[], &raw), Arc::from(Vec::new()));
        let plain = params.render(None);
        let masked = params.render(Some(ParamMasking { masker: &AtSign, protected: None }));
        let shown = values.len().min(MAX_PARAMS);
        prop_assert_eq!(&plain[..shown], &values[..shown]);
        let expected: Vec<Option<String>> = values[..shown]
            .iter()
            .map(|v| v.as_ref().map(|s| AtSign.mask_text(s).into_owned()))
            .collect();
        prop_assert_eq!(&masked[..shown], &expected[..]);
        prop_assert_eq!(plain.len(), shown + usize::from(values.len() > MAX_PARAMS));
    }
}
