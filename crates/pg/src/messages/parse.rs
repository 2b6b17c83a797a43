//! Parse (`P`): a statement name and its SQL text.

use super::cstr;
use crate::PgError;

/// Statement name and query text of a Parse body.
pub fn decode(body: &[u8]) -> Result<(&str, &str), PgError> {
    let (name, rest) =
        cstr(body).ok_or_else(|| PgError::Malformed("parse statement name".into()))?;
    let (query, _) = cstr(rest).ok_or_else(|| PgError::Malformed("parse query text".into()))?;
    Ok((name, query))
}
