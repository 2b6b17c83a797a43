//! Dynamic SQL, procedures and anything unparseable are `unknown`, the highest class.

mod common;

use common::{assert_classes, classify};
use warden_sql::SqlClass::{self, Unknown};

#[test]
fn dynamic_and_unparseable_sql_is_unknown() {
    assert_classes(&[
        ("CALL p()", Unknown),
        ("CALL app.cleanup(1, 'x')", Unknown),
        ("DO $$ BEGIN EXECUTE 'drop table t'; END $$", Unknown),
        ("DO LANGUAGE plpgsql $$ BEGIN NULL; END $$", Unknown),
        (
            "SELECT query_to_xml('delete from t', true, true, '')",
            Unknown,
        ),
        (
            "SELECT query_to_xml_and_xmlschema('select 1', true, true, '')",
            Unknown,
        ),
        (
            "SELECT table_to_xml('secrets'::regclass, true, true, '')",
            Unknown,
        ),
        ("SELECT cursor_to_xml('c', 10, true, true, '')", Unknown),
        ("SELECT * FROM ts_stat('SELECT v FROM docs')", Unknown),
        ("this is not sql", Unknown),
        ("SELEC 1", Unknown),
        ("SELECT * FROM t INTO OUTFILE '/tmp/x'", Unknown),
        ("SELECT 'unterminated", Unknown),
        (
            "SELECT 1; DO $$ BEGIN END $$; GRANT ALL ON t TO public",
            Unknown,
        ),
    ]);
}

#[test]
fn parse_errors_carry_the_parser_message() {
    let got = classify("this is not sql");
    assert_eq!(got.class, Unknown);
    let reason = got.reason.unwrap_or_default();
    assert!(reason.starts_with("parse error: "), "{reason}");
    assert!(reason.contains("syntax error"), "{reason}");
}

#[test]
fn nul_bytes_are_unknown_not_a_crash() {
    assert_eq!(classify("SELECT 1\0; DROP TABLE t").class, Unknown);
}

#[test]
fn unknown_sorts_above_admin() {
    assert!(SqlClass::Unknown > SqlClass::Admin);
    assert!(SqlClass::Admin > SqlClass::Ddl);
    assert!(SqlClass::Ddl > SqlClass::Write);
    assert!(SqlClass::Write > SqlClass::Read);
    assert_eq!(SqlClass::ALL.iter().max(), Some(&SqlClass::Unknown));
}

#[test]
fn deeply_nested_text_fails_closed() {
    let deep = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
    let got = classify(&deep);
    // Either the parser handles it (read) or it refuses (unknown); it must never be anything else.
    assert!(
        matches!(got.class, SqlClass::Read | SqlClass::Unknown),
        "{:?}",
        got.class
    );
    let chain = format!("SELECT {}", vec!["a"; 2_000].join(" || "));
    let got = classify(&chain);
    assert!(
        matches!(got.class, SqlClass::Read | SqlClass::Unknown),
        "{:?}",
        got.class
    );
}
