//! DataRow (`D`): one row's column values, each a length (-1 for NULL) and bytes.

use super::tagged;
use crate::PgError;
use bytes::{BufMut, Bytes, BytesMut};

/// The values of a DataRow body, borrowed (`None` for NULL).
pub fn values(body: &[u8]) -> Result<Vec<Option<&[u8]>>, PgError> {
    let mut values = iter(body)?;
    let collected = values.by_ref().collect();
    values.check()?;
    Ok(collected)
}

/// Checks that `body` is a whole DataRow, without collecting its values.
pub fn check(body: &[u8]) -> Result<(), PgError> {
    let mut values = iter(body)?;
    values.by_ref().for_each(drop);
    values.check()
}

/// The values of a DataRow body one by one, borrowed (`None` for NULL). It stops at the first
/// value the body does not hold; [`Values::check`] then says what was wrong.
pub fn iter(body: &[u8]) -> Result<Values<'_>, PgError> {
    let count = body
        .get(..2)
        .and_then(|b| b.try_into().ok())
        .map(i16::from_be_bytes)
        .and_then(|count| usize::try_from(count).ok())
        .ok_or_else(|| malformed("column count"))?;
    Ok(Values {
        rest: body.get(2..).unwrap_or_default(),
        left: count,
        broken: None,
    })
}

/// Iterator over a DataRow's values.
pub struct Values<'a> {
    rest: &'a [u8],
    left: usize,
    broken: Option<&'static str>,
}

impl Values<'_> {
    /// Whether every value was whole, once the iterator is exhausted.
    pub fn check(&self) -> Result<(), PgError> {
        match self.broken {
            Some(what) => Err(malformed(what)),
            None => Ok(()),
        }
    }

    fn fail(&mut self, what: &'static str) {
        self.broken = Some(what);
        self.left = 0;
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = Option<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let Some((len, rest)) = self.rest.split_first_chunk::<4>() else {
            self.fail("value length");
            return None;
        };
        let len = i32::from_be_bytes(*len);
        self.left -= 1;
        let Ok(len) = usize::try_from(len) else {
            self.rest = rest;
            return Some(None);
        };
        match (rest.get(..len), rest.get(len..)) {
            (Some(value), Some(after)) => {
                self.rest = after;
                Some(Some(value))
            }
            _ => {
                self.fail("value");
                None
            }
        }
    }
}

fn malformed(what: &str) -> PgError {
    PgError::Malformed(format!("DataRow {what}"))
}

/// A DataRow message with these values.
pub fn encode<'a>(values: impl ExactSizeIterator<Item = Option<&'a [u8]>>) -> Bytes {
    let mut body = BytesMut::new();
    body.put_i16(i16::try_from(values.len()).unwrap_or(i16::MAX));
    for value in values {
        match value {
            None => body.put_i32(-1),
            Some(bytes) => {
                body.put_i32(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
                body.put_slice(bytes);
            }
        }
    }
    tagged(b'D', &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_encoded_and_a_short_body_is_refused() {
        let row = encode([Some(&b"42"[..]), None, Some(&b""[..])].into_iter());
        let body = &row[5..];
        let decoded = values(body).unwrap();
        assert_eq!(decoded, vec![Some(&b"42"[..]), None, Some(&b""[..])]);
        assert!(check(body).is_ok());
        assert_eq!(iter(body).unwrap().count(), 3);
        for cut in [1, 3, body.len() - 5, body.len() - 4] {
            assert!(check(&body[..cut]).is_err(), "cut at {cut}");
            assert!(values(&body[..cut]).is_err(), "cut at {cut}");
        }
        // A negative column count is not a row.
        assert!(check(&[0xff, 0xff]).is_err());
    }
}
