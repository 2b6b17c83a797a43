//! The tables and functions a batch touches, for table- and function-level policy.

mod common;

use common::classify;
use warden_sql::SqlClass;

#[test]
fn tables_come_from_every_corner_of_the_tree() {
    let got = classify(
        "WITH recent AS (SELECT * FROM app.orders WHERE ts > now() - interval '1 day') \
         SELECT u.name, (SELECT count(*) FROM audit.log l WHERE l.uid = u.id) \
         FROM Users u JOIN recent r ON r.uid = u.id \
         WHERE EXISTS (SELECT 1 FROM bans b WHERE b.uid = u.id) \
         UNION ALL SELECT name, 0 FROM (SELECT name FROM archive.users) a",
    );
    assert_eq!(got.class, SqlClass::Read);
    assert_eq!(
        got.tables,
        ["app.orders", "archive.users", "audit.log", "bans", "users"],
        "CTE name `recent` excluded, schema kept as written, lowercased, sorted"
    );
    assert_eq!(got.functions, ["count", "now"]);
}

#[test]
fn dml_targets_and_sources_are_tables() {
    assert_eq!(
        classify("INSERT INTO app.t (a) SELECT a FROM src").tables,
        ["app.t", "src"]
    );
    assert_eq!(
        classify("UPDATE t SET a = s.a FROM s WHERE t.id = s.id").tables,
        ["s", "t"]
    );
    assert_eq!(
        classify("DELETE FROM t USING u WHERE t.id = u.id").tables,
        ["t", "u"]
    );
    assert_eq!(
        classify("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE").tables,
        ["s", "t"]
    );
    assert_eq!(classify("COPY app.t FROM STDIN").tables, ["app.t"]);
    assert_eq!(
        classify("COPY (SELECT * FROM a JOIN b ON true) TO STDOUT").tables,
        ["a", "b"]
    );
    assert_eq!(classify("LOCK TABLE a, b").tables, ["a", "b"]);
    assert_eq!(classify("GRANT SELECT ON app.t TO r").tables, ["app.t"]);
}

#[test]
fn cte_names_are_scoped_like_postgresql_scopes_them() {
    // A CTE in a subquery does not hide the real table of the same name outside it.
    let got = classify("SELECT * FROM (WITH users AS (SELECT 1) SELECT * FROM users) a, users");
    assert_eq!(got.tables, ["users"]);
    // Inside a plain (non-recursive) CTE its own name is the real table.
    assert_eq!(
        classify("WITH users AS (SELECT * FROM users) SELECT * FROM users").tables,
        ["users"]
    );
    // A recursive CTE refers to itself.
    assert!(
        classify("WITH RECURSIVE r AS (SELECT 1 UNION SELECT * FROM r) SELECT * FROM r")
            .tables
            .is_empty()
    );
    // A schema-qualified name is never a CTE.
    assert_eq!(
        classify("WITH users AS (SELECT 1) SELECT * FROM public.users").tables,
        ["public.users"]
    );
}

#[test]
fn functions_are_listed_as_written_and_lowercased() {
    let got = classify("SELECT Lower(name), pg_catalog.UPPER(name), lower(x) FROM t");
    assert_eq!(got.functions, ["lower", "pg_catalog.upper"]);
    let call = classify("CALL app.Cleanup(1)");
    assert_eq!(call.functions, ["app.cleanup"]);
    let from_function = classify("SELECT * FROM generate_series(1, 3) g, json_each('{}')");
    assert_eq!(from_function.functions, ["generate_series", "json_each"]);
}

#[test]
fn the_batch_is_the_union_and_takes_its_most_dangerous_statement() {
    let got = classify("SELECT * FROM a; UPDATE b SET x = 1; DROP TABLE c; SELECT now()");
    assert_eq!(got.class, SqlClass::Ddl);
    assert_eq!(got.statements, 4);
    assert_eq!(got.tables, ["a", "b", "c"]);
    assert_eq!(got.functions, ["now"]);

    let two = classify("SELECT 1; DROP TABLE t");
    assert_eq!(two.class, SqlClass::Ddl);
    assert_eq!(two.statements, 2);
    assert_eq!(two.tables, ["t"]);
}

#[test]
fn the_action_carries_name_tables_and_functions() {
    let action = classify("SELECT lower(name) FROM app.users FOR UPDATE").action();
    assert_eq!(action.name, "sql:write");
    assert_eq!(action.tables, ["app.users"]);
    assert_eq!(action.functions, ["lower"]);
    assert_eq!(action.protocol(), "sql");
    for (sql, name) in [
        ("SELECT 1", "sql:read"),
        ("DELETE FROM t", "sql:write"),
        ("DROP TABLE t", "sql:ddl"),
        ("GRANT ALL ON t TO r", "sql:admin"),
        ("DO $$ BEGIN END $$", "sql:unknown"),
    ] {
        assert_eq!(classify(sql).action().name, name, "{sql}");
    }
}

#[test]
fn referenced_columns_and_whole_rows_are_reported() {
    let c = warden_sql::classify_uncached("SELECT upper(t.password) AS p, name FROM customers t");
    assert_eq!(c.columns, ["name", "password"]);
    assert!(!c.whole_row);
    for whole in [
        "SELECT c FROM customers c",
        "SELECT row_to_json(c) FROM customers c",
        "SELECT customers::text FROM customers",
    ] {
        assert!(warden_sql::classify_uncached(whole).whole_row, "{whole}");
    }
    let star = warden_sql::classify_uncached("SELECT * FROM customers");
    assert_eq!(star.columns, ["*"]);
    assert!(!star.whole_row);
}

#[test]
fn copy_to_stdout_is_marked_with_the_columns_it_reads() {
    let whole = classify("COPY customers TO STDOUT");
    assert!(whole.copies_out);
    assert_eq!(whole.columns, ["*"]);
    let listed = classify("COPY public.customers (id, Email) TO STDOUT");
    assert!(listed.copies_out);
    assert_eq!(listed.columns, ["email", "id"]);
    let query = classify("COPY (SELECT id, password FROM customers) TO STDOUT");
    assert!(query.copies_out);
    assert_eq!(query.columns, ["id", "password"]);
    for sql in ["COPY customers FROM STDIN", "SELECT * FROM customers"] {
        assert!(!classify(sql).copies_out, "{sql}");
    }
}
