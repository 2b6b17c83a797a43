//! CommandComplete (`C`): the command tag, from which rows affected are read.

use super::cstr;

/// Rows returned or affected, from tags like `SELECT 3`, `INSERT 0 5`, `UPDATE 2`, `COPY 10`.
pub fn rows(body: &[u8]) -> Option<u64> {
    let (tag, _) = cstr(body)?;
    let (command, rest) = tag.split_once(' ')?;
    let count = match command {
        "SELECT" | "UPDATE" | "DELETE" | "COPY" | "FETCH" | "MOVE" | "MERGE" => rest,
        "INSERT" => rest.split_once(' ')?.1,
        _ => return None,
    };
    count.parse().ok()
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
    }
}
