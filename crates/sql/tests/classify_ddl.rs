//! Statements that change the schema are `ddl`.

mod common;

use common::{assert_classes, classify};
use warden_sql::SqlClass::Ddl;

#[test]
fn schema_changes_are_ddl() {
    assert_classes(&[
        ("CREATE TABLE t (id int primary key, name text)", Ddl),
        ("CREATE TEMP TABLE tmp (a int)", Ddl),
        ("ALTER TABLE t ADD COLUMN c int", Ddl),
        ("ALTER TABLE t RENAME TO t2", Ddl),
        ("ALTER TABLE t RENAME COLUMN a TO b", Ddl),
        ("ALTER TABLE t OWNER TO someone", Ddl),
        ("DROP TABLE t", Ddl),
        ("DROP TABLE IF EXISTS a, b.c CASCADE", Ddl),
        ("CREATE VIEW v AS SELECT * FROM t", Ddl),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", Ddl),
        ("DROP VIEW v", Ddl),
        ("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t", Ddl),
        ("CREATE INDEX CONCURRENTLY idx ON t (a)", Ddl),
        ("DROP INDEX idx", Ddl),
        ("CREATE SCHEMA app", Ddl),
        (
            "CREATE SCHEMA app CREATE TABLE t (a int) CREATE VIEW v AS SELECT * FROM t",
            Ddl,
        ),
        ("DROP SCHEMA app CASCADE", Ddl),
        ("CREATE SEQUENCE s", Ddl),
        ("ALTER SEQUENCE s RESTART WITH 1", Ddl),
        ("CREATE TYPE mood AS ENUM ('sad', 'ok')", Ddl),
        ("ALTER TYPE mood ADD VALUE 'happy'", Ddl),
        ("CREATE DOMAIN posint AS int CHECK (VALUE > 0)", Ddl),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            Ddl,
        ),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
            Ddl,
        ),
        ("DROP FUNCTION f()", Ddl),
        (
            "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            Ddl,
        ),
        ("CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING", Ddl),
        ("COMMENT ON TABLE t IS 'hello'", Ddl),
        ("TRUNCATE t", Ddl),
        ("TRUNCATE TABLE a, b RESTART IDENTITY", Ddl),
        ("SELECT * INTO newtable FROM t", Ddl),
        ("CREATE TABLE t2 AS SELECT * FROM t", Ddl),
        (
            "WITH x AS (SELECT 1 AS a) SELECT * INTO newtable FROM x",
            Ddl,
        ),
        ("CREATE FOREIGN TABLE ft (a int) SERVER s", Ddl),
        ("EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1", Ddl),
    ]);
}

#[test]
fn ddl_records_its_targets() {
    assert_eq!(classify("DROP TABLE IF EXISTS a, b.c").tables, ["a", "b.c"]);
    assert_eq!(classify("TRUNCATE app.events").tables, ["app.events"]);
    assert_eq!(
        classify("ALTER TABLE Public.Users ADD c int").tables,
        ["public.users"]
    );
    assert_eq!(classify("SELECT * INTO n FROM o").tables, ["n", "o"]);
    assert_eq!(classify("COMMENT ON TABLE app.t IS 'x'").tables, ["app.t"]);
    assert_eq!(classify("CREATE INDEX i ON app.t (a)").tables, ["app.t"]);
}
