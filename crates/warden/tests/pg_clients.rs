//! Real clients through the gateway: pgbench in simple, extended and prepared modes, and
//! Python psycopg.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_in_every_query_mode() {
    let h = Harness::start().await;
    let pgbench = h.pg.bin_dir().join("pgbench");
    // Initialise directly upstream (DDL), then run the read/write TPC-B-like script through Warden.
    h.pgbench_init().await;
    h.pgbench_every_mode(&h.dba_key, 50).await;
    let history = h.upstream("select count(*) from pgbench_history").await;
    assert_eq!(
        history, "600",
        "every transaction wrote through the gateway"
    );
    // The read-only role cannot run the TPC-B script: its first UPDATE is refused.
    let out = tokio::process::Command::new(&pgbench)
        .args(["-n", "-c", "1", "-t", "1"])
        .arg(h.conninfo("pg-test/app"))
        .env("PGPASSWORD", &h.agent_key)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sql:write denied"));
    assert_eq!(
        h.upstream("select count(*) from pgbench_history").await,
        "600"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_psycopg() {
    let h = Harness::start().await;
    let script = r#"
import os, sys, psycopg
conninfo = sys.argv[1]
with psycopg.connect(conninfo, password=os.environ["KEY"], autocommit=True) as conn:
    rows = conn.execute("select name from customers where id = %s", (1,)).fetchall()
    assert rows == [("Ada Lovelace",)], rows
    # server-side binding and prepared statements (extended protocol)
    for i in range(3):
        conn.execute("select %s::int + 1", (i,), prepare=True).fetchone()
    with conn.pipeline():
        a = conn.execute("select 1")
        b = conn.execute("select 2")
    assert a.fetchone() == (1,) and b.fetchone() == (2,)
    try:
        conn.execute("delete from orders")
        print("DELETE-ALLOWED")
    except psycopg.errors.InsufficientPrivilege as e:
        print("DENIED", e.sqlstate)
    print(conn.execute("select count(*) from orders").fetchone()[0])
"#;
    let stdout = common::stdout_of(
        "psycopg",
        tokio::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(h.conninfo("pg-test/app"))
            .env("KEY", &h.agent_key),
    )
    .await;
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec!["DENIED 42501", "4"]
    );
}

/// A pipeline far larger than the socket buffers both ways: hundreds of statements of 32 KiB
/// sent before any result is read, each answered with 32 KiB. The relay must keep reading the
/// server while the client is still sending, or both sides would wait on full buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_psycopg_pipelines_large_statements_and_results() {
    let h = Harness::start().await;
    let script = r#"
import os, sys, psycopg
conninfo, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
literal = "y" * size
with psycopg.connect(conninfo, password=os.environ["KEY"], autocommit=True) as conn:
    with conn.pipeline():
        cursors = [
            conn.execute(f"select length('{literal}'), repeat('x', {size})")
            for _ in range(count)
        ]
    total = 0
    for cursor in cursors:
        sent, returned = cursor.fetchone()
        total += sent + len(returned)
    print(total)
"#;
    let (count, size) = (400, 32 * 1024);
    let stdout = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        common::stdout_of(
            "psycopg pipeline",
            tokio::process::Command::new("python3")
                .arg("-c")
                .arg(script)
                .arg(h.conninfo("pg-test/app"))
                .arg(count.to_string())
                .arg(size.to_string())
                .env("KEY", &h.agent_key)
                .kill_on_drop(true),
        ),
    )
    .await
    .expect("the pipeline stalled");
    assert_eq!(stdout.trim(), (2 * count * size).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_is_refused_unless_allowed_on_loopback() {
    let h = Harness::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(h.gateway.postgres().unwrap().serve(
        listener,
        warden_pg::PgListenerConfig {
            allow_plaintext_loopback: false,
        },
    ));
    let result = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={} dbname=pg-test user=x sslmode=disable password={}",
            addr.port(),
            h.agent_key
        ),
        tokio_postgres::NoTls,
    )
    .await;
    let error = result.err().expect("plaintext refused");
    let db = error.as_db_error().expect("server error");
    assert_eq!(db.code().code(), "28000");
    assert!(db.message().contains("requires TLS"));
}
