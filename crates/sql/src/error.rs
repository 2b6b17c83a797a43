//! Errors from parsing SQL; classification turns them into [`crate::SqlClass::Unknown`].

/// Why a statement batch could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The PostgreSQL parser rejected the text (its own message follows).
    #[error("parse error: {0}")]
    Parse(String),
    /// The parser crashed on this text instead of returning an error.
    #[error("parse error: the PostgreSQL parser failed on this statement; simplify or split it")]
    ParserFailed,
    /// The parse tree nests deeper than the protobuf decoder allows (about 45 chained operators).
    #[error(
        "parse error: the statement nests too deeply to classify; split long operator chains or subquery nesting"
    )]
    TooDeep,
    /// The parse tree could not be inspected.
    #[error("parse error: the parse tree could not be inspected ({0}); simplify the statement")]
    Tree(String),
}

impl From<pg_query::Error> for SqlError {
    fn from(error: pg_query::Error) -> Self {
        match error {
            pg_query::Error::Parse(message) => SqlError::Parse(message),
            pg_query::Error::Decode(_) => SqlError::TooDeep,
            other => SqlError::Parse(other.to_string()),
        }
    }
}
