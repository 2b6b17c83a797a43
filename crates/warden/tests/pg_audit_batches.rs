//! A busy session's statements are audited as request batches: far fewer stored events than
//! statements, every statement still listed by search with its own outcome, and the chain
//! verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use warden_store::AuditFilter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_session_is_audited_in_batches_and_searched_per_statement() {
    let h = Harness::start().await;
    let client = h.client(&h.agent_key).await;
    const STATEMENTS: u64 = 300;
    for i in 0..STATEMENTS {
        let rows = client
            .simple_query(&format!(
                "select id from customers where id <= {}",
                i % 3 + 1
            ))
            .await
            .unwrap();
        assert!(!rows.is_empty());
    }
    // One statement of another kind in the middle of the session's reads closes its batch.
    let refused = client.simple_query("delete from orders").await.unwrap_err();
    let message = refused.as_db_error().map(|e| e.message().to_owned());
    assert!(
        message.as_deref().is_some_and(|m| m.contains("denied")),
        "{refused:?}"
    );
    client.simple_query("select 1").await.unwrap();

    let requests = h
        .audit(AuditFilter {
            identity: Some("demo-agent".into()),
            kind: Some("request".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(
        requests.len() as u64,
        STATEMENTS + 1,
        "every statement is listed"
    );
    for (i, event) in requests.iter().take(STATEMENTS as usize).enumerate() {
        assert_eq!(event["action"], "sql:read");
        assert_eq!(event["verdict"], "allow");
        assert_eq!(event["detail"]["tables"], requests[0]["detail"]["tables"]);
        assert!(
            event["detail"]["tables"].to_string().contains("customers"),
            "{event}"
        );
        assert_eq!(
            event["detail"]["rows"],
            (i as u64 % 3) + 1,
            "statement {i}: {event}"
        );
        assert!(event["detail"]["error"].is_null());
    }
    let time = |e: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap()
    };
    assert!(requests.windows(2).all(|w| time(&w[0]) <= time(&w[1])));
    let batched = requests.iter().filter(|e| e.get("part").is_some()).count();
    assert!(
        batched as u64 > STATEMENTS / 2,
        "most statements were batched: {batched}"
    );

    // Stored: far fewer events than statements, and the chain verifies.
    let store = &h.gateway.store;
    let node = h.gateway.audit.node().to_owned();
    let stored = store.audit_events(&node, 0, 100_000).await.unwrap();
    let stored_requests = stored
        .iter()
        .filter(|e| e.record.kind == warden_core::AuditKind::Request)
        .count();
    assert!(
        (stored_requests as u64) < STATEMENTS / 4,
        "{stored_requests} stored request events for {} statements",
        STATEMENTS + 1
    );
    // The denied delete's decision sits after every read before it.
    let denied_at = stored
        .iter()
        .position(|e| e.record.verdict == Some(warden_core::Verdict::Deny))
        .unwrap();
    let before: usize = stored[..denied_at]
        .iter()
        .filter(|e| e.record.kind == warden_core::AuditKind::Request)
        .map(|e| e.record.detail["requests"].as_array().map_or(1, Vec::len))
        .sum();
    assert_eq!(before as u64, STATEMENTS);
    let report = warden_store::audit::verify(store.as_ref(), None)
        .await
        .unwrap();
    assert!(
        report
            .nodes
            .iter()
            .any(|n| n.last_seq >= stored.len() as u64)
    );
}
