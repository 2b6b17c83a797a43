//! Bind (`B`): which portal, from which prepared statement.

use super::cstr;
use crate::PgError;

/// Portal and statement names of a Bind body.
pub fn names(body: &[u8]) -> Result<(&str, &str), PgError> {
    let (portal, rest) = cstr(body).ok_or_else(|| PgError::Malformed("bind portal name".into()))?;
    let (statement, _) =
        cstr(rest).ok_or_else(|| PgError::Malformed("bind statement name".into()))?;
    Ok((portal, statement))
}
