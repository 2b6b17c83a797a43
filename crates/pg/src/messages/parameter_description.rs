//! ParameterDescription (`t`): the type OIDs of a prepared statement's parameters.

use crate::PgError;

/// The parameter type OIDs of a ParameterDescription body.
pub fn decode(body: &[u8]) -> Result<Vec<u32>, PgError> {
    oids(body).ok_or_else(|| PgError::Malformed("parameter description".into()))
}

/// A count (int16) followed by that many OIDs (int32), as Parse and ParameterDescription
/// carry them.
pub(crate) fn oids(bytes: &[u8]) -> Option<Vec<u32>> {
    let count = i16::from_be_bytes(bytes.get(..2)?.try_into().ok()?);
    let count = usize::try_from(count).ok()?;
    let oids = bytes.get(2..)?;
    (0..count)
        .map(|i| {
            let at = i * 4;
            Some(u32::from_be_bytes(oids.get(at..at + 4)?.try_into().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_oids_and_refuses_a_short_body() {
        let body = [0, 2, 0, 0, 0, 25, 0, 0, 0, 23];
        assert_eq!(decode(&body).unwrap(), vec![25, 23]);
        assert!(decode(&body[..7]).is_err());
    }
}
