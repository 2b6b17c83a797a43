//! DataRow (`D`): one row's column values, each a length (-1 for NULL) and bytes.

use super::tagged;
use crate::PgError;
use bytes::{BufMut, Bytes, BytesMut};

/// The values of a DataRow body, borrowed (`None` for NULL).
pub fn values(body: &[u8]) -> Result<Vec<Option<&[u8]>>, PgError> {
    let malformed = |what: &str| PgError::Malformed(format!("DataRow {what}"));
    let count = i16::from_be_bytes(
        body.get(..2)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("column count"))?,
    );
    let count = usize::try_from(count).map_err(|_| malformed("column count"))?;
    let mut rest = body.get(2..).ok_or_else(|| malformed("column count"))?;
    let mut values = Vec::with_capacity(count);
    for _ in 0..count {
        let len = i32::from_be_bytes(
            rest.get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| malformed("value length"))?,
        );
        rest = rest.get(4..).ok_or_else(|| malformed("value length"))?;
        if len < 0 {
            values.push(None);
            continue;
        }
        let len = usize::try_from(len).map_err(|_| malformed("value length"))?;
        values.push(Some(rest.get(..len).ok_or_else(|| malformed("value"))?));
        rest = rest.get(len..).ok_or_else(|| malformed("value"))?;
    }
    Ok(values)
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
