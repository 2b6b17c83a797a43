//! Statements that only read, or only change harmless session state, are `read`.

mod common;

use common::{assert_classes, classify};
use warden_sql::SqlClass::Read;

#[test]
fn reads_are_read() {
    assert_classes(&[
        ("SELECT 1", Read),
        ("select * from users where id = $1", Read),
        (
            "SELECT a, b FROM t1 JOIN public.t2 USING (id) WHERE a IN (SELECT x FROM t3)",
            Read,
        ),
        ("VALUES (1, 'a'), (2, 'b')", Read),
        ("TABLE users", Read),
        ("SHOW search_path", Read),
        ("SHOW ALL", Read),
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r",
            Read,
        ),
        (
            "SELECT id, row_number() OVER (PARTITION BY dept ORDER BY pay DESC) FROM staff",
            Read,
        ),
        ("SELECT 1 UNION SELECT 2 EXCEPT SELECT 3", Read),
        ("SELECT pg_sleep(1)", Read),
        ("SELECT pg_advisory_lock(42), pg_advisory_unlock(42)", Read),
        ("SELECT currval('s')", Read),
        ("SELECT count(*) FROM pg_catalog.pg_class", Read),
        ("EXPLAIN SELECT * FROM t", Read),
        ("EXPLAIN ANALYZE SELECT * FROM t", Read),
        ("EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM t", Read),
        ("COPY t TO STDOUT", Read),
        (
            "COPY (SELECT * FROM t WHERE a > 1) TO STDOUT WITH (FORMAT csv)",
            Read,
        ),
        ("DECLARE c CURSOR FOR SELECT * FROM t", Read),
        ("FETCH 10 FROM c", Read),
        ("MOVE NEXT IN c", Read),
        ("CLOSE c", Read),
        ("CLOSE ALL", Read),
        ("LISTEN jobs", Read),
        ("UNLISTEN *", Read),
        ("SET CONSTRAINTS ALL DEFERRED", Read),
        ("DISCARD PLANS", Read),
        ("DISCARD TEMP", Read),
        ("DEALLOCATE p", Read),
        ("DEALLOCATE ALL", Read),
        ("EXECUTE p(1)", Read),
    ]);
}

#[test]
fn transaction_control_is_read() {
    assert_classes(&[
        ("BEGIN", Read),
        ("BEGIN READ ONLY", Read),
        (
            "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
            Read,
        ),
        ("START TRANSACTION READ ONLY", Read),
        ("COMMIT", Read),
        ("COMMIT AND CHAIN", Read),
        ("ROLLBACK", Read),
        ("SAVEPOINT s1", Read),
        ("RELEASE SAVEPOINT s1", Read),
        ("ROLLBACK TO SAVEPOINT s1", Read),
        ("END", Read),
        ("SET TRANSACTION READ ONLY", Read),
        ("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", Read),
        ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", Read),
    ]);
}

#[test]
fn ordinary_settings_are_read() {
    assert_classes(&[
        ("SET search_path TO app, public", Read),
        ("SET statement_timeout = '5s'", Read),
        ("SET LOCAL statement_timeout = 1000", Read),
        ("SET application_name = 'psql'", Read),
        ("SET client_encoding TO 'UTF8'", Read),
        ("SET NAMES 'utf8'", Read),
        ("SET DateStyle TO ISO, DMY", Read),
        ("SET TIME ZONE 'UTC'", Read),
        ("RESET search_path", Read),
        ("SET default_transaction_read_only = on", Read),
        ("SET transaction_read_only TO true", Read),
        ("SET standard_conforming_strings = on", Read),
        ("SELECT set_config('search_path', 'app', false)", Read),
        (
            "SELECT set_config('default_transaction_read_only', 'on', false)",
            Read,
        ),
    ]);
}

#[test]
fn empty_and_comment_only_text_is_read_with_no_statements() {
    for sql in [
        "",
        "   \n\t ",
        "-- just a comment",
        "/* block */",
        ";",
        "; ;",
    ] {
        let got = classify(sql);
        assert_eq!(got.class, Read, "{sql:?}");
        assert_eq!(got.statements, 0, "{sql:?}");
        assert!(got.tables.is_empty() && got.functions.is_empty(), "{sql:?}");
    }
}
