//! A scripted psql session through the gateway: reads and writes run, a denied statement gets
//! SQLSTATE 42501 naming the rule and never reaches the database, and the session goes on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use warden_store::AuditFilter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_session_with_a_denied_statement() {
    let h = Harness::start().await;
    let script = r#"
select name from customers order by id;
insert into orders (customer_id, amount) values (2, 7.25);
drop table secrets;
select count(*) from orders;
\set VERBOSITY verbose
alter system set work_mem = '1GB';
select 'still here';
"#;
    let (_, out, err) = h.psql(&h.engineer_key, script).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "INSERT 0 1",
            "5",
            "still here"
        ],
        "stderr: {err}"
    );
    assert!(
        err.contains("sql:ddl denied by rule role:engineers/deny"),
        "{err}"
    );
    assert!(
        err.contains("42501"),
        "verbose error shows the SQLSTATE: {err}"
    );
    assert!(err.contains("sql:admin denied"), "{err}");
    // The denied statements never reached the database.
    assert_eq!(
        h.upstream("select to_regclass('secrets') is not null")
            .await,
        "t"
    );
    assert_eq!(h.upstream("select count(*) from orders").await, "5");

    // Every statement was decided and audited, with identity and rule.
    let denied = h
        .audit(AuditFilter {
            identity: Some("eng".into()),
            verdict: Some("deny".into()),
            kind: Some("decision".into()),
            ..Default::default()
        })
        .await;
    let actions: Vec<&str> = denied
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["sql:ddl", "sql:admin"]);
    let requests = h
        .audit(AuditFilter {
            identity: Some("eng".into()),
            kind: Some("request".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert_eq!(
        requests[1]["detail"]["rows"], 1,
        "the insert affected one row"
    );
    let start = h
        .audit(AuditFilter {
            identity: Some("eng".into()),
            kind: Some("session_start".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(start.len(), 1);
    assert_eq!(start[0]["detail"]["auth_method"], "api_key");
    assert_eq!(start[0]["connection"], "pg-test");
}
