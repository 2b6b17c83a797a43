//! RowDescription (`T`): the columns of the rows that follow.

use super::cstr;
use crate::PgError;

/// One column as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Column name (or alias).
    pub name: String,
    /// OID of the table it comes from, 0 if none.
    pub table_oid: u32,
    /// Attribute number in that table, 0 if none.
    pub column: i16,
    /// OID of its type.
    pub type_oid: u32,
    /// 0 text, 1 binary (0 in a statement Describe, where formats are not known yet).
    pub format: i16,
    /// The table column it really is, once looked up (see [`crate::catalog`]).
    pub origin: Option<std::sync::Arc<crate::catalog::ColumnName>>,
}

/// The fields of a RowDescription body.
pub fn decode(body: &[u8]) -> Result<Vec<Field>, PgError> {
    let malformed = |what: &str| PgError::Malformed(format!("RowDescription {what}"));
    let count = i16::from_be_bytes(
        body.get(..2)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("field count"))?,
    );
    let count = usize::try_from(count).map_err(|_| malformed("field count"))?;
    let mut rest = body.get(2..).ok_or_else(|| malformed("field count"))?;
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let (name, after) = cstr(rest).ok_or_else(|| malformed("field name"))?;
        let fixed = after.get(..18).ok_or_else(|| malformed("field"))?;
        let u32_at =
            |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        let i16_at = |i: usize| i16::from_be_bytes([fixed[i], fixed[i + 1]]);
        fields.push(Field {
            name: name.to_owned(),
            table_oid: u32_at(0),
            column: i16_at(4),
            type_oid: u32_at(6),
            format: i16_at(16),
            origin: None,
        });
        rest = after.get(18..).ok_or_else(|| malformed("field"))?;
    }
    Ok(fields)
}
