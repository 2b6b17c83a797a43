//! Finds the source position of a key path, so semantic errors can name a line.

use std::fmt::{self, Write};
use toml_edit::{Document, Item};

/// One step in a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A key path such as `roles.analyst.allow[2]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub(crate) Vec<Segment>);

impl KeyPath {
    /// A path from table keys.
    pub(crate) fn keys<const N: usize>(keys: [&str; N]) -> Self {
        KeyPath(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    /// This path extended by a key.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by an index.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    let bare = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if bare {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Byte offset of the deepest part of `path` present in `src`.
pub(crate) fn offset_of(src: &str, path: &KeyPath) -> Option<usize> {
    let document = Document::parse(src).ok()?;
    let mut item: &Item = document.as_item();
    let mut offset = None;
    for segment in &path.0 {
        match segment {
            Segment::Key(key) => {
                let Some((found_key, value)) =
                    item.as_table_like().and_then(|t| t.get_key_value(key))
                else {
                    break;
                };
                offset = found_key
                    .span()
                    .or_else(|| value.span())
                    .map(|s| s.start)
                    .or(offset);
                item = value;
            }
            Segment::Index(index) => {
                let Some(value) = item.get(*index) else { break };
                offset = value.span().map(|s| s.start).or(offset);
                item = value;
            }
        }
    }
    offset
}
