//! A busy HTTP session's exchanges are audited as request batches (each exchange's entry
//! written by the worker that served it): fewer stored events than requests, every exchange
//! listed by search with its own outcome, and the chain verifies with the `warden` CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http_common;

use http_common::HttpHarness;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_http_session_is_audited_in_batches_and_searched_per_exchange() {
    const REQUESTS: usize = 60;
    let h = HttpHarness::start(&[], "").await;
    let key = h.key("model-reader", &["agents"]).await;
    let auth = format!("Authorization: Bearer {key}");
    // Every other one names a model the test server does not have: a 404 of its own.
    let urls: Vec<String> = (0..REQUESTS)
        .map(|i| {
            let model = if i % 2 == 0 { "scripted-model" } else { "none" };
            format!("{}/v1/models/{model}?n={i}", h.base("llm"))
        })
        .collect();
    // curl sends them one after another on one kept-alive connection: one session.
    let mut args = vec!["-H", auth.as_str()];
    for url in &urls {
        args.extend(["-o", "/dev/null", url.as_str()]);
    }
    let (status, _) = h.curl(&args).await;
    assert_eq!(status, 404, "the last request names a missing model");

    let requests = h.requests("autogen:model:read").await;
    assert_eq!(requests.len(), REQUESTS, "every exchange is listed");
    let sessions: std::collections::HashSet<&str> = requests
        .iter()
        .map(|e| e["session"].as_str().unwrap())
        .collect();
    assert_eq!(sessions.len(), 1, "one connection, one session");
    for (i, event) in requests.iter().enumerate() {
        let detail = &event["detail"];
        let model = if i % 2 == 0 { "scripted-model" } else { "none" };
        assert_eq!(detail["method"], "GET", "{event}");
        assert_eq!(
            detail["path"],
            format!("/v1/models/{model}?n={i}"),
            "{event}"
        );
        assert_eq!(detail["status"], if i % 2 == 0 { 200 } else { 404 });
        assert!(detail["response_bytes"].as_u64().unwrap() > 0, "{event}");
        assert_eq!(detail["request_bytes"], 0);
        assert!(detail["duration_ms"].as_f64().unwrap() > 0.0, "{event}");
        assert!(detail["error"].is_null(), "{event}");
        assert_eq!(event["verdict"], "allow");
    }
    let time =
        |e: &Value| chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap();
    assert!(requests.windows(2).all(|w| time(&w[0]) <= time(&w[1])));
    let batched = requests.iter().filter(|e| e.get("part").is_some()).count();
    assert!(
        batched > REQUESTS / 2,
        "most exchanges were batched: {batched}"
    );

    // Stored: fewer request events than exchanges, holding every one of them.
    let node = h.gateway.audit.node().to_owned();
    let stored = h
        .gateway
        .store
        .audit_events(&node, 0, 100_000)
        .await
        .unwrap();
    let stored_requests: Vec<_> = stored
        .iter()
        .filter(|e| e.record.kind == warden_core::AuditKind::Request)
        .collect();
    assert!(
        stored_requests.len() < REQUESTS / 2,
        "{} stored request events for {REQUESTS} exchanges",
        stored_requests.len()
    );
    let listed: usize = stored_requests
        .iter()
        .map(|e| e.record.detail["requests"].as_array().map_or(1, Vec::len))
        .sum();
    assert_eq!(listed, REQUESTS);
    let (ok, out, err) = http_common::support::warden_cli(&h.config_path, &["audit", "verify"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("intact"), "{out}");
}
