//! CommandComplete (`C`): the command tag, from which rows affected are read.

use super::cstr;

/// Rows returned or affected, from tags like `SELECT 3`, `INSERT 0 5`, `UPDATE 2`, `COPY 10`.
pub fn rows(body: &[u8]) -> Option<u64> {
    let (tag, _) = cstr(body)?;
    let mut words = tag.split(' ');
    match words.next()? {
        "SELECT" | "UPDATE" | "DELETE" | "COPY" | "FETCH" | "MOVE" | "MERGE" => {
            words.next()?.parse().ok()
        }
        "INSERT" => words.nth(1)?.parse().ok(),
        _ => None,
    }
}
