//! JSON-aware masking: every string (and number) value is masked as the value of a "column"
//! named by its place in the document: the key is the column, the enclosing object's key the
//! table, the one above it the schema (array levels are transparent). So a profile's column
//! rules double as field-path rules (`*.password`, `customer.email`,
//! `choices.message.content`), and its detectors run over every string.

use serde_json::Value;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};

/// Masks `value` in place; returns whether anything changed.
pub fn mask_json(value: &mut Value, masker: &dyn ValueMasker) -> bool {
    walk(value, masker, [None, None, None])
}

/// `path` holds the grandparent key, the parent key and the value's own key.
fn walk(value: &mut Value, masker: &dyn ValueMasker, path: [Option<&str>; 3]) -> bool {
    let column = ColumnRef {
        schema: path[0],
        table: path[1],
        column: path[2].unwrap_or(""),
    };
    let fate = match value {
        Value::String(text) => masker.mask_value(column, text.as_bytes()),
        Value::Number(number) => masker.mask_value(column, number.to_string().as_bytes()),
        Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= walk(item, masker, path);
            }
            return changed;
        }
        Value::Object(map) => {
            let mut changed = false;
            for (key, item) in map.iter_mut() {
                changed |= walk(item, masker, [path[1], path[2], Some(key.as_str())]);
            }
            return changed;
        }
        Value::Bool(_) | Value::Null => return false,
    };
    // A masked string or number becomes a string (or null).
    match fate {
        Masked::Unchanged => false,
        Masked::Replaced(bytes) => {
            *value = Value::String(String::from_utf8_lossy(&bytes).into_owned());
            true
        }
        Masked::Null => {
            *value = Value::Null;
            true
        }
    }
}
