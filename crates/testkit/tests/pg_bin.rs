//! The PostgreSQL binaries are found once, as a matching initdb + postgres pair.

use warden_testkit::bin::{find_pg_bin, pg_bin_dir};

#[test]
fn initdb_and_postgres_come_from_the_same_directory() {
    let dir = pg_bin_dir().expect("a PostgreSQL installation is found");
    let initdb = find_pg_bin("initdb").expect("initdb");
    let postgres = find_pg_bin("postgres").expect("postgres");
    assert_eq!(initdb.parent(), Some(dir));
    assert_eq!(postgres.parent(), Some(dir));
    assert!(find_pg_bin("psql").expect("psql").exists());
}

#[test]
fn a_missing_tool_names_the_fix() {
    let err = find_pg_bin("no-such-pg-tool").expect_err("unknown tool");
    let message = format!("{err:#}");
    assert!(message.contains("no-such-pg-tool"), "{message}");
    assert!(message.contains("install postgresql"), "{message}");
}
