//! Bind (`B`): which portal, from which prepared statement, and the result formats asked for.

use super::cstr;
use crate::PgError;

/// Portal and statement names of a Bind body.
pub fn names(body: &[u8]) -> Result<(&str, &str), PgError> {
    let (portal, rest) = cstr(body).ok_or_else(|| PgError::Malformed("bind portal name".into()))?;
    let (statement, _) =
        cstr(rest).ok_or_else(|| PgError::Malformed("bind statement name".into()))?;
    Ok((portal, statement))
}

/// The result-column format codes of a Bind body: empty (all text), one (for every column), or
/// one per column.
pub fn result_formats(body: &[u8]) -> Result<Vec<i16>, PgError> {
    let malformed = |what: &str| PgError::Malformed(format!("bind {what}"));
    let (_, rest) = cstr(body).ok_or_else(|| malformed("portal name"))?;
    let (_, mut rest) = cstr(rest).ok_or_else(|| malformed("statement name"))?;
    let take_i16 = |rest: &mut &[u8]| -> Result<i16, PgError> {
        let value = rest
            .get(..2)
            .and_then(|b| b.try_into().ok())
            .map(i16::from_be_bytes)
            .ok_or_else(|| malformed("count"))?;
        *rest = rest.get(2..).unwrap_or_default();
        Ok(value)
    };
    let parameter_formats = take_i16(&mut rest)?;
    for _ in 0..parameter_formats {
        take_i16(&mut rest)?;
    }
    let parameters = take_i16(&mut rest)?;
    for _ in 0..parameters {
        let len = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
            .ok_or_else(|| malformed("parameter length"))?;
        rest = rest.get(4..).unwrap_or_default();
        if len > 0 {
            let len = usize::try_from(len).map_err(|_| malformed("parameter length"))?;
            rest = rest
                .get(len..)
                .ok_or_else(|| malformed("parameter value"))?;
        }
    }
    let results = take_i16(&mut rest)?;
    (0..results).map(|_| take_i16(&mut rest)).collect()
}
