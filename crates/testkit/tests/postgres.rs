//! A throwaway PostgreSQL accepts SCRAM logins over TCP, runs psql, refuses wrong passwords, and
//! two servers can run side by side.

use sqlx::Connection as _;
use warden_testkit::{PgAuth, PostgresOptions, PostgresServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_server_accepts_sqlx_and_psql_and_refuses_wrong_password() {
    let (first, second) = tokio::join!(PostgresServer::start(), PostgresServer::start());
    let first = first.expect("first server starts");
    let second = second.expect("second server starts");
    assert_ne!(first.port(), second.port());
    assert_ne!(first.password(), second.password());
    assert!(first.bin_dir().join("initdb").exists());

    let mut conn = sqlx::PgConnection::connect(&first.url("postgres"))
        .await
        .expect("sqlx connects over TCP with the SCRAM password");
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&mut conn)
        .await
        .expect("select 1");
    assert_eq!(one, 1);
    let method: String = sqlx::query_scalar(
        "select substr(rolpassword, 1, 13) from pg_authid where rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .expect("read the stored verifier");
    assert_eq!(method, "SCRAM-SHA-256");
    conn.close().await.expect("close");

    let url = first.create_database("app db").await.expect("create db");
    let mut app = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to new db");
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&mut app)
        .await
        .expect("current_database");
    assert_eq!(name, "app db");

    let out = first
        .psql(
            "postgres",
            "create table t(x int); insert into t values (41), (1); select sum(x) from t;",
        )
        .await
        .expect("psql runs");
    assert_eq!(out.trim(), "42");
    let err = first
        .psql("postgres", "select * from no_such_table;")
        .await
        .expect_err("psql reports SQL errors");
    assert!(format!("{err:#}").contains("no_such_table"), "{err:#}");

    let mut second_conn = sqlx::PgConnection::connect(&second.url("postgres"))
        .await
        .expect("second server accepts its own password");
    let port: String = sqlx::query_scalar("select current_setting('port')")
        .fetch_one(&mut second_conn)
        .await
        .expect("port setting");
    assert_eq!(port, second.port().to_string());

    let wrong = format!(
        "postgres://postgres:not-the-password@127.0.0.1:{}/postgres",
        first.port()
    );
    let refused = sqlx::PgConnection::connect(&wrong)
        .await
        .expect_err("a wrong password is refused");
    assert!(
        refused
            .to_string()
            .contains("password authentication failed"),
        "{refused}"
    );
}

#[tokio::test]
async fn md5_server_stores_md5_and_accepts_password() {
    let server = PostgresServer::start_with(PostgresOptions {
        auth: PgAuth::Md5,
        tls: false,
    })
    .await
    .expect("md5 server starts");
    let stored = server
        .psql(
            "postgres",
            "select substr(rolpassword, 1, 3) from pg_authid where rolname = 'postgres'",
        )
        .await
        .expect("psql");
    assert_eq!(stored.trim(), "md5");
    let mut conn = sqlx::PgConnection::connect(&server.url("postgres"))
        .await
        .expect("md5 login");
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&mut conn)
        .await
        .expect("select 1");
    assert_eq!(one, 1);
}

#[tokio::test]
async fn tls_server_requires_tls_and_presents_a_cert_from_its_ca() {
    let server = PostgresServer::start_with(PostgresOptions {
        auth: PgAuth::Scram,
        tls: true,
    })
    .await
    .expect("tls server starts");
    let ca = server
        .ca_cert_pem()
        .expect("tls server has a CA")
        .to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca).expect("write ca");

    let verified = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        server.url("postgres"),
        ca_path.display()
    );
    let mut conn = sqlx::PgConnection::connect(&verified)
        .await
        .expect("TLS with full verification against the test CA");
    let ssl: bool = sqlx::query_scalar("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl);

    let plain = format!("{}?sslmode=disable", server.url("postgres"));
    let refused = sqlx::PgConnection::connect(&plain)
        .await
        .expect_err("plaintext TCP is refused");
    assert!(
        refused.to_string().contains("no pg_hba.conf entry"),
        "{refused}"
    );
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = PostgresServer::start().await.expect("server starts");
    let port = server.port();
    let dir = server.socket_dir().to_path_buf();
    drop(server);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "nothing listens on the port after drop"
    );
    assert!(!dir.exists(), "the temporary directory is removed");
}

#[tokio::test]
async fn a_panicking_test_still_stops_its_server() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let server = PostgresServer::start().await.expect("server starts");
        tx.send(server.port()).expect("send port");
        panic!("simulated test failure while the server runs");
    });
    assert!(task.await.expect_err("the task panicked").is_panic());
    let port = rx.await.expect("port was sent");
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the server stopped while the panic unwound"
    );
}
