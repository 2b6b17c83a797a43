//! Client authentication: the token is the password; each refusal says why with the right
//! SQLSTATE; the database name picks the connection; TLS with the development CA works.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

async fn connect_error(
    h: &Harness,
    dbname: &str,
    password: &str,
) -> tokio_postgres::error::DbError {
    let result = tokio_postgres::connect(
        &format!("{} password={password}", h.conninfo(dbname)),
        tokio_postgres::NoTls,
    )
    .await;
    let error = result.err().expect("connection should be refused");
    error.as_db_error().expect("a server error").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_specific() {
    let h = Harness::start().await;

    let bad = connect_error(
        &h,
        "pg-test",
        "wdn_0123456789abcdef_notarealsecretnotarealsecretnotarealsecre",
    )
    .await;
    assert_eq!(bad.code().code(), "28P01");
    assert!(
        bad.message().contains("unknown_api_key") || bad.message().contains("api key"),
        "{}",
        bad.message()
    );

    let jwt = connect_error(&h, "pg-test", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").await;
    assert_eq!(jwt.code().code(), "28P01");
    assert!(
        !jwt.message().contains("eyJ"),
        "the token is never echoed: {}",
        jwt.message()
    );

    let unknown = connect_error(&h, "pg-nope", &h.dba_key).await;
    assert_eq!(unknown.code().code(), "3D000");
    assert!(unknown.message().contains("pg-nope"));

    let wrong_kind = connect_error(&h, "web", &h.dba_key).await;
    assert_eq!(wrong_kind.code().code(), "3D000");
    assert!(
        wrong_kind.message().contains("not postgres"),
        "{}",
        wrong_kind.message()
    );

    // Revoking a key refuses the next login.
    warden_identity::revoke_api_key(h.gateway.store.as_ref(), "dba")
        .await
        .unwrap();
    let revoked = connect_error(&h, "pg-test", &h.dba_key).await;
    assert_eq!(revoked.code().code(), "28P01");
    assert!(
        revoked.message().contains("revoked"),
        "{}",
        revoked.message()
    );

    let failures = h
        .audit(warden_store::AuditFilter {
            kind: Some("auth_failed".into()),
            ..Default::default()
        })
        .await;
    assert!(failures.len() >= 3, "{failures:#?}");
    let text = serde_json::to_string(&failures).unwrap();
    assert!(!text.contains(&h.dba_key), "audit never holds a credential");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_over_tls_with_the_development_ca() {
    let h = Harness::start().await;
    let output = tokio::process::Command::new(h.pg.bin_dir().join("psql"))
        .arg("-XAtc")
        .arg("select current_database(), current_user")
        .arg(h.tls_conninfo("pg-test"))
        .env("PGPASSWORD", &h.agent_key)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "app|postgres",
        "upstream credentials are injected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_key_created_beside_a_running_gateway() {
    let h = Harness::start().await;
    // The running gateway writes its chain; the CLI writes its own, so neither conflicts.
    let busy = h.client(&h.agent_key).await;
    busy.batch_execute("select 1").await.unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "keys", "create", "--name", "late-bot", "--group", "agents", "--config",
        ])
        .arg(&h.config_path)
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let client = h.client(&key).await;
    client.batch_execute("select 1").await.unwrap();
    busy.batch_execute("select 2").await.unwrap();
    h.gateway.audit.flush().await.unwrap();
    let report = warden_store::audit::verify(h.gateway.store.as_ref(), None)
        .await
        .unwrap();
    let nodes: Vec<&str> = report.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(nodes, vec!["test-node", "test-node-cli"]);
}
