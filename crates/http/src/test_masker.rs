//! A masker for unit tests: masks `jane@example.com` anywhere, in values and in text.

use std::borrow::Cow;
use warden_core::mask::{ColumnRef, Masked, ValueMasker};

/// The address the test masker finds.
pub(crate) const EMAIL: &str = "jane@example.com";

/// Replaces [`EMAIL`] with `[email]`.
pub(crate) struct Emails;

impl ValueMasker for Emails {
    fn mask_value(&self, _column: ColumnRef<'_>, value: &[u8]) -> Masked {
        match self.mask_text(&String::from_utf8_lossy(value)) {
            Cow::Borrowed(_) => Masked::Unchanged,
            Cow::Owned(masked) => Masked::Replaced(masked.into_bytes()),
        }
    }
    fn column_rule(&self, _column: ColumnRef<'_>) -> bool {
        false
    }
    fn has_column_rules(&self) -> bool {
        false
    }
    fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match text.contains(EMAIL) {
            true => Cow::Owned(text.replace(EMAIL, "[email]")),
            false => Cow::Borrowed(text),
        }
    }
}
