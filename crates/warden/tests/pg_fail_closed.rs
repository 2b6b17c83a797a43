//! Fail closed: when the audit log cannot be written, statements are refused and never reach
//! the database; the gateway recovers once the store does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

fn sqlite(h: &Harness, sql: &str) {
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.executescript(sys.argv[2]); c.commit()")
        .arg(h.dir.path().join("data/warden.db"))
        .arg(sql)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_failure_refuses_statements() {
    let h = Harness::start().await;
    let client = h.client(&h.engineer_key).await;
    client.batch_execute("select 1").await.unwrap();

    sqlite(
        &h,
        "create trigger refuse_audit before insert on audit_events begin select raise(abort, 'disk full'); end;",
    );
    let error = client
        .batch_execute("insert into orders (customer_id, amount) values (1, 1)")
        .await
        .expect_err("no audit, no write");
    let db = error.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "58000", "{}", db.message());
    assert!(db.message().contains("audit"), "{}", db.message());
    assert_eq!(h.upstream("select count(*) from orders").await, "4");

    sqlite(&h, "drop trigger refuse_audit;");
    client
        .batch_execute("insert into orders (customer_id, amount) values (1, 1)")
        .await
        .unwrap();
    assert_eq!(h.upstream("select count(*) from orders").await, "5");
    h.gateway.audit.flush().await.unwrap();
    let report = warden_store::audit::verify(h.gateway.store.as_ref(), None)
        .await
        .unwrap();
    assert_eq!(
        report.nodes[0].events, 4,
        "session start, the read (one event), the insert (decision and outcome)"
    );
}
