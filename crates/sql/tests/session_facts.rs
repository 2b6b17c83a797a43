//! `PREPARE`, `EXECUTE` and `DEALLOCATE`: what the session must track between batches.

mod common;

use common::classify;
use warden_sql::SqlClass;

#[test]
fn prepare_takes_the_class_of_its_statement() {
    let got = classify("PREPARE del(int) AS DELETE FROM t WHERE id = $1");
    assert_eq!(
        got.class,
        SqlClass::Write,
        "a write PREPARE is refused at PREPARE time"
    );
    assert_eq!(got.tables, ["t"]);
    let [(name, inner)] = got.prepares.as_slice() else {
        panic!("expected one prepare, got {:?}", got.prepares);
    };
    assert_eq!(name, "del");
    assert_eq!(inner.class, SqlClass::Write);
    assert_eq!(inner.tables, ["t"]);
    assert_eq!(inner.statements, 1);

    let read = classify("PREPARE q AS SELECT * FROM t WHERE id = $1");
    assert_eq!(read.class, SqlClass::Read);
    assert_eq!(read.prepares[0].1.class, SqlClass::Read);

    let hidden = classify("PREPARE h AS WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d");
    assert_eq!(hidden.class, SqlClass::Write);
}

#[test]
fn execute_is_read_by_itself_and_named_for_the_session() {
    let got = classify("EXECUTE del(1)");
    assert_eq!(got.class, SqlClass::Read);
    assert_eq!(got.executes, ["del"]);

    let both = classify("PREPARE p AS DELETE FROM t; EXECUTE p");
    assert_eq!(both.class, SqlClass::Write);
    assert_eq!(both.statements, 2);
    assert_eq!(both.executes, ["p"]);
    assert_eq!(both.prepares.len(), 1);

    // EXPLAIN ANALYZE EXECUTE runs the prepared statement; the session must resolve it too.
    assert_eq!(classify("EXPLAIN ANALYZE EXECUTE p(1)").executes, ["p"]);
    assert_eq!(classify("CREATE TABLE x AS EXECUTE p").executes, ["p"]);
}

#[test]
fn deallocate_names_or_all() {
    let got = classify("DEALLOCATE p; DEALLOCATE PREPARE q; DEALLOCATE ALL");
    assert_eq!(got.class, SqlClass::Read);
    assert_eq!(
        got.deallocates,
        [Some("p".to_owned()), Some("q".to_owned()), None]
    );
}
