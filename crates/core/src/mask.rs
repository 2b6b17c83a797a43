//! The masking hook protocols call on response values: a masker for the profile a decision
//! names rewrites one value of one column at a time. The masking crate implements it.

/// Where a value comes from, as far as the protocol knows; unknown qualifiers are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnRef<'a> {
    /// Schema of the source table, if known.
    pub schema: Option<&'a str>,
    /// Source table, if known.
    pub table: Option<&'a str>,
    /// Column name (or alias).
    pub column: &'a str,
}

impl<'a> ColumnRef<'a> {
    /// A column known only by name.
    pub fn name(column: &'a str) -> Self {
        ColumnRef {
            schema: None,
            table: None,
            column,
        }
    }

    /// A column of a known table.
    pub fn table(table: &'a str, column: &'a str) -> Self {
        ColumnRef {
            schema: None,
            table: Some(table),
            column,
        }
    }

    /// A fully qualified column.
    pub fn qualified(schema: &'a str, table: &'a str, column: &'a str) -> Self {
        ColumnRef {
            schema: Some(schema),
            table: Some(table),
            column,
        }
    }
}

/// What becomes of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Masked {
    /// Leave it as it is.
    Unchanged,
    /// Send these bytes instead.
    Replaced(Vec<u8>),
    /// Send SQL NULL instead (protocols without NULL send an empty value).
    Null,
}

/// Rewrites values for one masking profile.
pub trait ValueMasker: Send + Sync {
    /// The fate of `value` (UTF-8 text, or raw bytes) of `column`.
    fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> Masked;

    /// Whether a column rule covers `column` (whatever its values look like).
    fn column_rule(&self, column: ColumnRef<'_>) -> bool;

    /// Whether the profile has any column rule.
    fn has_column_rules(&self) -> bool;

    /// `text` with every sensitive value masked (SQL text, parameters, error messages going to
    /// recordings and audit events).
    fn mask_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str>;
}

/// Masking profiles by name, as the gateway configured them.
pub trait Maskers: Send + Sync {
    /// The masker for `profile`, if it exists.
    fn profile(&self, profile: &str) -> Option<std::sync::Arc<dyn ValueMasker>>;
}

/// No profiles: nothing is masked.
#[derive(Debug, Default)]
pub struct NoMasking;

impl Maskers for NoMasking {
    fn profile(&self, _profile: &str) -> Option<std::sync::Arc<dyn ValueMasker>> {
        None
    }
}
