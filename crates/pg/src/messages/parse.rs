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

/// The parameter type OIDs a Parse body names (0: left for the server to infer).
pub fn param_types(body: &[u8]) -> Result<Vec<u32>, PgError> {
    let malformed = || PgError::Malformed("parse parameter types".into());
    let (_, rest) = cstr(body).ok_or_else(malformed)?;
    let (_, rest) = cstr(rest).ok_or_else(malformed)?;
    super::parameter_description::oids(rest).ok_or_else(malformed)
}
