//! CommandComplete (`C`): the command tag, from which rows affected are read.

/// Rows returned or affected, from tags like `SELECT 3`, `INSERT 0 5`, `UPDATE 2`, `COPY 10`.
/// Read from the bytes as they came: a tag is ASCII, and this runs once per statement.
pub fn rows(body: &[u8]) -> Option<u64> {
    let tag = body.get(..body.iter().position(|&b| b == 0)?)?;
    let (command, rest) = split_word(tag)?;
    let count = match command {
        b"SELECT" | b"UPDATE" | b"DELETE" | b"COPY" | b"FETCH" | b"MOVE" | b"MERGE" => rest,
        b"INSERT" => split_word(rest)?.1,
        _ => return None,
    };
    decimal(count)
}

/// The text before the first space and the text after it.
fn split_word(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = text.iter().position(|&b| b == b' ')?;
    Some((&text[..space], &text[space + 1..]))
}

/// A non-empty run of decimal digits that fits a `u64`.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::rows;

    fn tag(text: &str) -> Vec<u8> {
        let mut body = text.as_bytes().to_vec();
        body.push(0);
        body
    }

    #[test]
    fn rows_come_from_the_tag_of_each_command() {
        assert_eq!(rows(&tag("SELECT 3")), Some(3));
        assert_eq!(rows(&tag("INSERT 0 5")), Some(5));
        assert_eq!(rows(&tag("UPDATE 2")), Some(2));
        assert_eq!(rows(&tag("COPY 10")), Some(10));
        assert_eq!(rows(&tag("MERGE 1")), Some(1));
        assert_eq!(rows(&tag("CREATE TABLE")), None);
        assert_eq!(rows(&tag("BEGIN")), None);
        assert_eq!(rows(&tag("INSERT 0")), None);
        assert_eq!(rows(&tag("SELECT x")), None);
        assert_eq!(rows(b"SELECT 3"), None, "no terminator");
        assert_eq!(rows(&tag("SELECT ")), None);
        assert_eq!(rows(&tag("SELECT 3 ")), None);
        assert_eq!(rows(&tag("SELECT 18446744073709551615")), Some(u64::MAX));
        assert_eq!(
            rows(&tag("SELECT 18446744073709551616")),
            None,
            "beyond u64"
        );
    }
}
