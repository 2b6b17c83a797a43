use super::cache_key;

#[test]
fn numbers_in_plain_data_statements_share_a_key() {
    assert_eq!(
        cache_key("SELECT abalance FROM pgbench_accounts WHERE aid = 48213;"),
        "SELECT abalance FROM pgbench_accounts WHERE aid = 0;"
    );
    assert_eq!(
        cache_key("update t1 set a = a + 15 where id = 7"),
        "update t1 set a = a + 0 where id = 0"
    );
    // digits inside identifiers stay
    assert_eq!(
        cache_key("select c2 from t_3 limit 10"),
        "select c2 from t_3 limit 0"
    );
    // the keyword in any case, after any ASCII white space, ended by any non-letter
    assert_eq!(cache_key(" \r\n\tWiTh(x) 5"), " \r\n\tWiTh(x) 0");
    assert_eq!(cache_key("values(1)"), "values(0)");
    assert_eq!(cache_key("TABLE t limit 2"), "TABLE t limit 0");
}

#[test]
fn everything_else_keeps_its_exact_text() {
    for sql in [
        "SET default_transaction_read_only = 0",
        "set statement_timeout = 5000",
        "select set_config('default_transaction_read_only', 'off', false)",
        "select 1; set default_transaction_read_only = 0",
        "select $1::int + 2",
        "select E'\\x41' || 5",
        "select 1 -- 2",
        "select /* 3 */ 4",
        "select \"col1\" from t where x = 9",
        "begin; select 1",
        "explain analyze select 1",
        "copy t to stdout",
        "select 'é' , 1",
        "selected 1",
        "sel 1",
        "\u{a0}select 1",
        "\u{b}select 1",
        "2 select 1",
    ] {
        assert_eq!(cache_key(sql), sql, "{sql}");
    }
}

#[test]
fn digits_glued_to_a_letter_keep_their_text() {
    // `123x1f` is trailing junk to the parser; `0x1f` would be a valid hex literal.
    assert_eq!(cache_key("select 123x1f, 4"), "select 123x1f, 0");
    assert_eq!(cache_key("select 10b1 from t"), "select 10b1 from t");
    assert_eq!(cache_key("select 1_000 + 2e5"), "select 1_000 + 2e5");
    assert_eq!(cache_key("select 1.5"), "select 0.0");
}

/// The key as the two-pass scan before the one-pass one computed it: the oracle the one-pass
/// scan must agree with.
mod two_pass {
    use super::super::starts_as_data_statement;

    pub(super) fn key(sql: &str) -> String {
        let mut out = String::new();
        if eligible(sql) && rewrite(sql, &mut out) {
            out
        } else {
            sql.to_owned()
        }
    }

    fn rewrite(sql: &str, out: &mut String) -> bool {
        let bytes = sql.as_bytes();
        let (mut copied, mut index, mut changed) = (0, 0, false);
        while index < bytes.len() {
            let byte = bytes[index];
            if !byte.is_ascii_digit() {
                index += 1;
                continue;
            }
            let end = bytes[index..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| index + n);
            let in_word =
                index > 0 && (bytes[index - 1].is_ascii_alphanumeric() || bytes[index - 1] == b'_');
            let glued = bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
            if !in_word && !glued && (end - index != 1 || byte != b'0') {
                out.push_str(&sql[copied..index]);
                out.push('0');
                copied = end;
                changed = true;
            }
            index = end;
        }
        if changed {
            out.push_str(&sql[copied..]);
        }
        changed
    }

    fn eligible(sql: &str) -> bool {
        let trimmed = sql.trim_end().trim_end_matches(';');
        let mut previous = 0;
        for (index, &byte) in sql.as_bytes().iter().enumerate() {
            match byte {
                b'\'' | b'"' | b'$' | b'\\' | b'`' => return false,
                b'-' if previous == b'-' => return false,
                b'*' if previous == b'/' => return false,
                b';' if index < trimmed.len() => return false,
                _ if !byte.is_ascii() => return false,
                _ => {}
            }
            previous = byte;
        }
        // The keyword test is shared: the oracle checks how the text is walked, not the list.
        starts_as_data_statement(trimmed)
    }
}

mod generated {
    use super::super::{cache_key, write_cache_key};
    use proptest::prelude::*;

    /// A statement that mostly starts like a data statement, made of the bytes the scan cares
    /// about, with the ones that keep the exact text rarer than the rest.
    fn statement() -> impl Strategy<Value = String> {
        let start = prop_oneof![
            Just("SELECT "),
            Just("with x as (select "),
            Just("Update t set a = "),
            Just("set a = "),
            Just(""),
        ];
        let piece = prop_oneof![
            8 => prop_oneof![
                Just(" "),
                Just("0"),
                Just("12"),
                Just("7"),
                Just("x"),
                Just("e"),
                Just("_"),
                Just("a1"),
                Just("="),
                Just("."),
                Just("\t"),
            ],
            3 => prop_oneof![Just("-"), Just("/"), Just("*"), Just(";"), Just("\n")],
            1 => prop_oneof![
                Just("'"),
                Just("\""),
                Just("$"),
                Just("\\"),
                Just("`"),
                Just("é"),
                Just("\u{3000}"),
            ],
        ];
        (start, proptest::collection::vec(piece, 0..24))
            .prop_map(|(start, pieces)| format!("{start}{}", pieces.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn one_pass_agrees_with_two_passes(sql in statement()) {
            let expected = super::two_pass::key(&sql);
            prop_assert_eq!(cache_key(&sql), expected.as_str());
            let mut out = String::from("left over");
            write_cache_key(&sql, &mut out);
            prop_assert_eq!(out, expected);
        }
    }
}
