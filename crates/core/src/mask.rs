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

/// What became of a value masked into the caller's buffer ([`ValueMasker::mask_value_into`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Leave it as it is; nothing was written.
    Unchanged,
    /// Send what was appended to the buffer instead.
    Written,
    /// Send SQL NULL instead (protocols without NULL send an empty value); nothing was written.
    Null,
}

/// Rewrites values for one masking profile.
pub trait ValueMasker: Send + Sync {
    /// The fate of `value` (UTF-8 text, or raw bytes) of `column`.
    fn mask_value(&self, column: ColumnRef<'_>, value: &[u8]) -> Masked;

    /// [`Self::mask_value`] with a replacement appended to `out` instead of returned in a
    /// `Vec` of its own, so that a caller masking many values reuses one buffer.
    fn mask_value_into(&self, column: ColumnRef<'_>, value: &[u8], out: &mut Vec<u8>) -> Rewrite {
        match self.mask_value(column, value) {
            Masked::Unchanged => Rewrite::Unchanged,
            Masked::Null => Rewrite::Null,
            Masked::Replaced(bytes) => {
                out.extend_from_slice(&bytes);
                Rewrite::Written
            }
        }
    }

    /// Whether a column rule covers `column` (whatever its values look like).
    fn column_rule(&self, column: ColumnRef<'_>) -> bool;

    /// Whether the profile has any column rule.
    fn has_column_rules(&self) -> bool;

    /// `text` with every sensitive value masked (SQL text, parameters, error messages going to
    /// recordings and audit events).
    fn mask_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str>;

    /// Bytes every detector needs to see in a value before it can rewrite it: a value (of a
    /// column no rule covers) without any of them comes back unchanged, so a caller may skip
    /// it. The default, [`Anchors::ALL`], promises nothing.
    fn anchors(&self) -> Anchors {
        Anchors::ALL
    }

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

/// A set of bytes, searched for in values; see [`ValueMasker::anchors`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchors {
    set: [u64; 4],
    /// The first three members: all of them, searched with `memchr`, when there are at most three.
    few: [u8; 3],
    count: u16,
}

impl Anchors {
    /// Every byte: any value may be rewritten.
    pub const ALL: Anchors = Anchors {
        set: [u64::MAX; 4],
        few: [0, 1, 2],
        count: 256,
    };

    /// No byte: no value is ever rewritten by a detector.
    pub const NONE: Anchors = Anchors {
        set: [0; 4],
        few: [0; 3],
        count: 0,
    };

    /// The set of `bytes`.
    pub fn of(bytes: impl IntoIterator<Item = u8>) -> Anchors {
        let mut anchors = Anchors::NONE;
        for b in bytes {
            anchors.insert(b);
        }
        anchors
    }

    /// Adds `b`.
    pub fn insert(&mut self, b: u8) {
        if self.contains(b) {
            return;
        }
        if let Some(slot) = self.few.get_mut(usize::from(self.count)) {
            *slot = b;
        }
        self.set[usize::from(b >> 6)] |= 1 << (b & 63);
        self.count += 1;
    }

    /// Whether `b` is in the set.
    pub fn contains(&self, b: u8) -> bool {
        self.set[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// Whether every byte is in the set.
    pub fn is_all(&self) -> bool {
        self.count == 256
    }

    /// Whether `value` holds any byte of the set.
    pub fn found_in(&self, value: &[u8]) -> bool {
        self.position_in(value).is_some()
    }

    /// Where the first byte of the set in `hay` is.
    pub fn position_in(&self, hay: &[u8]) -> Option<usize> {
        match self.count {
            0 => None,
            1 => memchr::memchr(self.few[0], hay),
            2 => memchr::memchr2(self.few[0], self.few[1], hay),
            3 => memchr::memchr3(self.few[0], self.few[1], self.few[2], hay),
            256 => (!hay.is_empty()).then_some(0),
            _ => hay.iter().position(|&b| self.contains(b)),
        }
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

#[cfg(test)]
mod tests {
    use super::Anchors;

    #[test]
    fn anchors_find_their_bytes_however_many_there_are() {
        for n in 0..=6u8 {
            let members: Vec<u8> = (0..n).map(|i| b'a' + i * 3).collect();
            // Each member twice: a repeat changes nothing.
            let anchors = Anchors::of(members.iter().chain(members.iter()).copied());
            for b in 0..=255u8 {
                assert_eq!(anchors.contains(b), members.contains(&b), "{n} {b}");
                assert_eq!(
                    anchors.found_in(&[b'0', b, b'1']),
                    members.contains(&b),
                    "{n} {b}"
                );
            }
            assert!(!anchors.found_in(b""));
            assert!(!anchors.is_all());
            // The first member in a longer text, whichever member it is.
            for (k, &first) in members.iter().enumerate() {
                let mut hay = b"0123456789".to_vec();
                hay.insert(4, first);
                hay.extend(members.iter().skip(k));
                assert_eq!(anchors.position_in(&hay), Some(4), "{n} {first}");
            }
            assert_eq!(anchors.position_in(b"0123456789"), None, "{n}");
        }
        let every = Anchors::of(0..=255);
        assert_eq!(every, Anchors::ALL);
        assert!(every.is_all() && every.found_in(b"z") && !every.found_in(b""));
        assert_eq!(every.position_in(b"zz"), Some(0));
    }
}
