//! Statements that change data are `write`, wherever the change hides.

mod common;

use common::{assert_classes, classify};
use warden_sql::SqlClass::{Read, Write};

#[test]
fn dml_is_write() {
    assert_classes(&[
        ("INSERT INTO t (a) VALUES (1)", Write),
        (
            "INSERT INTO t SELECT * FROM s ON CONFLICT (id) DO UPDATE SET a = excluded.a",
            Write,
        ),
        ("UPDATE t SET a = 1 WHERE id = 2", Write),
        ("DELETE FROM t WHERE id = 2", Write),
        ("/* x */ DELETE FROM t", Write),
        (
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)",
            Write,
        ),
        ("COPY t FROM STDIN", Write),
        ("COPY t (a, b) FROM STDIN WITH (FORMAT csv)", Write),
        ("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", Write),
        ("REFRESH MATERIALIZED VIEW mv", Write),
        ("NOTIFY jobs", Write),
        ("NOTIFY jobs, 'payload'", Write),
        ("COMMIT PREPARED 'tx1'", Write),
        ("ROLLBACK PREPARED 'tx1'", Write),
    ]);
}

#[test]
fn hidden_writes_are_write() {
    assert_classes(&[
        (
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            Write,
        ),
        (
            "WITH u AS (UPDATE t SET a = 1 RETURNING id) SELECT count(*) FROM u",
            Write,
        ),
        (
            "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1",
            Write,
        ),
        (
            "SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) a, LATERAL (WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d) b",
            Write,
        ),
        ("COPY (DELETE FROM t RETURNING *) TO STDOUT", Write),
        ("SELECT * FROM t FOR UPDATE", Write),
        ("SELECT * FROM t FOR SHARE SKIP LOCKED", Write),
        ("SELECT * FROM (SELECT * FROM t FOR NO KEY UPDATE) s", Write),
        (
            "SELECT a FROM t WHERE id IN (SELECT id FROM u FOR KEY SHARE)",
            Write,
        ),
        ("DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", Write),
        ("SELECT nextval('s')", Write),
        ("SELECT setval('public.s', 10)", Write),
        ("SELECT pg_catalog.nextval('s')", Write),
        ("INSERT INTO t (id) VALUES (nextval('s'))", Write),
        ("SELECT pg_notify('a', 'b')", Write),
        ("SELECT lo_unlink(1234)", Write),
        ("SELECT lo_from_bytea(0, 'x')", Write),
        ("EXPLAIN ANALYZE DELETE FROM t", Write),
        ("EXPLAIN (ANALYZE) UPDATE t SET a = 1", Write),
        (
            "EXPLAIN (ANALYZE true, FORMAT json) INSERT INTO t VALUES (1)",
            Write,
        ),
        (
            "EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            Write,
        ),
    ]);
}

#[test]
fn plain_explain_of_a_write_is_read() {
    assert_classes(&[
        ("EXPLAIN DELETE FROM t", Read),
        ("EXPLAIN UPDATE t SET a = 1", Read),
        ("EXPLAIN (ANALYZE false) DELETE FROM t", Read),
        (
            "EXPLAIN (ANALYZE off, COSTS off) INSERT INTO t VALUES (1)",
            Read,
        ),
        (
            "EXPLAIN WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            Read,
        ),
        ("EXPLAIN SELECT nextval('s')", Read),
        ("EXPLAIN SELECT * FROM t FOR UPDATE", Read),
        ("EXPLAIN CREATE TABLE x AS SELECT 1", Read),
    ]);
    // The statement is still inspected for what it would touch.
    let explained = classify("EXPLAIN DELETE FROM app.orders");
    assert_eq!(explained.tables, ["app.orders"]);
}

#[test]
fn the_cte_delete_is_found_and_its_target_recorded() {
    let got = classify("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d");
    assert_eq!(got.class, Write);
    assert_eq!(got.tables, ["t"], "the CTE name d is not a table");
    assert_eq!(got.statements, 1);
}

#[test]
fn a_dml_target_named_like_a_cte_is_still_the_table() {
    // PostgreSQL resolves an INSERT/UPDATE/DELETE target to a table even when a CTE shares the name.
    let got = classify("WITH users AS (SELECT 1) DELETE FROM users");
    assert_eq!(got.class, Write);
    assert_eq!(got.tables, ["users"]);
}
