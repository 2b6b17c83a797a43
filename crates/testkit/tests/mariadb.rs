//! A throwaway MariaDB answers the real client over TCP with the generated password and
//! refuses a wrong one.

use warden_testkit::MariaDbServer;

#[tokio::test]
async fn select_one_over_tcp_with_the_password() {
    let server = MariaDbServer::start().await.expect("mariadb starts");
    assert_eq!(server.user(), "warden");
    let out = server.mysql("select 1;").await.expect("select 1");
    assert_eq!(out.trim(), "1");

    let seen = server
        .mysql("select current_user(), @@port;")
        .await
        .expect("whoami");
    assert_eq!(seen.trim(), format!("warden@%\t{}", server.port()));

    let err = server
        .mysql("select * from no_such_db.no_such_table;")
        .await
        .expect_err("SQL errors are reported");
    assert!(format!("{err:#}").contains("no_such_db"), "{err:#}");

    let refused = tokio::process::Command::new("mariadb")
        .args(["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1"])
        .arg(format!("--port={}", server.port()))
        .args(["--user=warden", "--password=wrong", "-e", "select 1"])
        .output()
        .await
        .expect("client runs");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Access denied"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let port = server.port();
    drop(server);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
}
