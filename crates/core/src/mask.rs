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

    /// A masker for text that arrives in chunks (HTTP bodies, terminal output). The default
    /// holds everything until the end and masks it whole; streaming maskers override it.
    fn text_stream(self: std::sync::Arc<Self>) -> Box<dyn TextStream>
    where
        Self: 'static,
    {
        Box::new(WholeText {
            masker: self,
            held: Vec::new(),
        })
    }
}

/// Masks a byte stream chunk by chunk: the concatenated output equals masking the concatenated
/// input at once, however it was split.
pub trait TextStream: Send {
    /// Takes the next chunk, appending the output that is now final to `out`.
    fn push_into(&mut self, input: &[u8], out: &mut Vec<u8>);

    /// Ends the stream, appending everything still held, masked.
    fn finish_into(&mut self, out: &mut Vec<u8>);
}

/// [`ValueMasker::text_stream`]'s fallback: masks the whole text at the end.
struct WholeText<M: ?Sized> {
    masker: std::sync::Arc<M>,
    held: Vec<u8>,
}

impl<M: ValueMasker + ?Sized + 'static> TextStream for WholeText<M> {
    fn push_into(&mut self, input: &[u8], _out: &mut Vec<u8>) {
        self.held.extend_from_slice(input);
    }

    fn finish_into(&mut self, out: &mut Vec<u8>) {
        let text = String::from_utf8_lossy(&self.held);
        out.extend_from_slice(self.masker.mask_text(&text).as_bytes());
        self.held.clear();
    }
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
