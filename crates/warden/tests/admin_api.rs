//! The admin API and the CLI on top of it, against a real gateway and PostgreSQL: the OpenAPI
//! document covers every route and validates; tokens and built-in roles are enforced; reviews
//! are approved with `warden review approve`; access requests become grants that let a write
//! through in an open session until they expire or are revoked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use serde_json::Value;
use std::time::Duration;
use warden_app::admin::ROUTES;

async fn curl(args: &[&str]) -> (u16, String) {
    let out = tokio::process::Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.trim().parse().unwrap(), body.to_owned())
}

#[tokio::test]
async fn openapi_covers_every_route_and_every_route_answers() {
    let h = Harness::start().await;
    let base = format!("http://{}", h.admin);
    let (status, body) = curl(&[&format!("{base}/openapi.json")]).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in ROUTES {
        assert!(
            doc["paths"][route.path][route.method].is_object(),
            "{} {} undocumented",
            route.method,
            route.path
        );
    }
    // A real validator, when installed (scripts/install-test-deps.sh installs it).
    let file = h.dir.path().join("openapi.json");
    std::fs::write(&file, &body).unwrap();
    let check = std::process::Command::new("python3")
        .args(["-c", "import sys, json\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "openapi-spec-validator: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Every documented route exists: with an admin token nothing is 404 or 405 (ids are random).
    let id = uuid::Uuid::now_v7().to_string();
    for route in ROUTES {
        let path = route.path.replace("{id}", &id);
        let method = route.method.to_uppercase();
        let (status, body) = curl(&[
            "-X",
            &method,
            "-H",
            &format!("Authorization: Bearer {}", h.dba_key),
            "-H",
            "Content-Type: application/json",
            "-d",
            if route.method == "post" { "{}" } else { "" },
            &format!("{base}{path}"),
        ])
        .await;
        assert_ne!(status, 405, "{method} {path}: {body}");
        let unknown_id = status == 404 && body.contains("no review has id");
        assert!(
            status != 404 || unknown_id || body.contains("no grant"),
            "{method} {path}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn tokens_and_roles_are_enforced_and_calls_are_audited() {
    let h = Harness::start().await;
    let base = format!("http://{}", h.admin);
    let (status, body) = curl(&[&format!("{base}/v1/reviews")]).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = curl(&[
        "-H",
        "Authorization: Bearer wdn_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &format!("{base}/v1/reviews"),
    ])
    .await;
    assert_eq!(status, 401, "{body}");
    let agent = format!("Authorization: Bearer {}", h.agent_key);
    let (status, body) = curl(&["-H", &agent, &format!("{base}/v1/audit")]).await;
    assert_eq!(status, 403, "an agent is no auditor: {body}");
    assert!(body.contains("auditor"), "{body}");
    let (status, _) = curl(&["-H", &agent, &format!("{base}/v1/keys")]).await;
    assert_eq!(status, 403);
    let auditor = h.key("audrey", &["auditors"]).await;
    // Calls are committed in groups within a bounded window: look until it is stored.
    let mut events: Vec<Value> = Vec::new();
    for _ in 0..50 {
        let (status, body) = curl(&[
            "-H",
            &format!("Authorization: Bearer {auditor}"),
            &format!("{base}/v1/audit?kind=admin_call"),
        ])
        .await;
        assert_eq!(status, 200, "{body}");
        events = serde_json::from_str(&body).unwrap();
        if events
            .iter()
            .any(|e| e["identity"] == "demo-agent" && e["detail"]["status"] == 403)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        events
            .iter()
            .any(|e| e["identity"] == "demo-agent" && e["detail"]["status"] == 403),
        "the refused call is in the audit log: {events:?}"
    );
    let (status, body) = curl(&["-H", &agent, &format!("{base}/v1/whoami")]).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"subject\":\"demo-agent\""), "{body}");
    let (_, metrics) = curl(&[&format!("{base}/metrics")]).await;
    assert!(
        metrics.contains("warden_auth_failures_total 1"),
        "{metrics}"
    );
    // The PostgreSQL listener started the data-path workers: each reports its load and sessions.
    for line in [
        "# TYPE warden_worker_load_permille gauge\nwarden_worker_load_permille{worker=\"0\"} ",
        "warden_worker_sessions{worker=\"0\"} ",
        "# TYPE warden_session_moves_total counter\nwarden_session_moves_total ",
        "# TYPE warden_machine_idle_permille gauge\nwarden_machine_idle_permille ",
        "warden_spread_trials_total{outcome=\"kept\"} 0\n",
        "warden_spread_trials_total{outcome=\"undone\"} 0\n",
    ] {
        assert!(metrics.contains(line), "{line} missing: {metrics}");
    }
}

#[tokio::test]
async fn reviews_are_approved_with_the_cli() {
    let h = Harness::start().await;
    let bot = h.client(&h.key("etl-bot", &["bots"]).await).await;
    let bob = h.key("bob", &["approvers"]).await;
    let update = "UPDATE orders SET amount = 1 WHERE id = 4";
    let refused = bot.batch_execute(update).await.unwrap_err();
    let message = refused.as_db_error().unwrap().message().to_owned();

    let (ok, listed, err) = h
        .warden_cli(&bob, &["review", "list", "--state", "pending"])
        .await;
    assert!(ok, "{err}");
    let id = listed.split_whitespace().next().unwrap().to_owned();
    assert!(message.contains(&id), "{message} vs {listed}");
    let (ok, shown, err) = h.warden_cli(&bob, &["review", "show", &id]).await;
    assert!(ok, "{err}");
    assert!(
        shown.contains(update),
        "approvers read the exact statement: {shown}"
    );
    // The requester's own token cannot approve.
    let (ok, _, err) = h
        .warden_cli(&h.agent_key, &["review", "approve", &id])
        .await;
    assert!(!ok);
    assert!(err.contains("not in any approver group"), "{err}");
    let (ok, out, err) = h
        .warden_cli(&bob, &["review", "approve", &id, "--comment", "ticket 7"])
        .await;
    assert!(ok, "{err}");
    assert!(out.contains("approved"), "{out}");
    bot.batch_execute(update).await.unwrap();
    assert_eq!(
        h.upstream("SELECT amount FROM orders WHERE id = 4").await,
        "1.00"
    );
}

#[tokio::test]
async fn an_access_grant_lets_writes_through_until_it_expires_or_is_revoked() {
    let h = Harness::start().await;
    let ana = h.key("ana", &["analysts"]).await;
    let bob = h.key("bob", &["approvers"]).await;
    let session = h.client(&ana).await;
    let write = "UPDATE customers SET name = name WHERE id = 1";
    let denied = session.batch_execute(write).await.unwrap_err();
    assert_eq!(denied.as_db_error().unwrap().code().code(), "42501");

    // A short grant, approved through the CLI, applies to the session already open.
    let (ok, out, err) = h
        .warden_cli(
            &ana,
            &[
                "access",
                "request",
                "--connection",
                "pg-test",
                "--role",
                "writers",
                "--for",
                "3s",
                "--reason",
                "backfill",
            ],
        )
        .await;
    assert!(ok, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().to_owned();
    let (ok, _, err) = h.warden_cli(&bob, &["review", "approve", &id]).await;
    assert!(ok, "{err}");
    session.batch_execute(write).await.unwrap();
    let (ok, grants, err) = h
        .warden_cli(&h.dba_key, &["grants", "list", "--identity", "ana"])
        .await;
    assert!(ok, "{err}");
    assert!(grants.contains("ana has writers on pg-test"), "{grants}");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let expired = session.batch_execute(write).await.unwrap_err();
    assert_eq!(
        expired.as_db_error().unwrap().code().code(),
        "42501",
        "expired mid-session"
    );

    // A long grant, revoked by an admin, stops at the next statement.
    let (ok, out, err) = h
        .warden_cli(
            &ana,
            &[
                "access",
                "request",
                "--connection",
                "pg-test",
                "--role",
                "writers",
                "--for",
                "1h",
            ],
        )
        .await;
    assert!(ok, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().to_owned();
    assert!(h.warden_cli(&bob, &["review", "approve", &id]).await.0);
    session.batch_execute(write).await.unwrap();
    let (_, grants, _) = h
        .warden_cli(&h.dba_key, &["grants", "list", "--identity", "ana"])
        .await;
    let grant = grants.split_whitespace().next().unwrap().to_owned();
    let (ok, _, err) = h.warden_cli(&ana, &["grants", "revoke", &grant]).await;
    assert!(!ok, "only admins revoke");
    assert!(err.contains("403"), "{err}");
    let (ok, out, err) = h
        .warden_cli(&h.dba_key, &["grants", "revoke", &grant])
        .await;
    assert!(ok, "{err}");
    assert!(out.contains("no longer has writers"), "{out}");
    let revoked = session.batch_execute(write).await.unwrap_err();
    assert_eq!(
        revoked.as_db_error().unwrap().code().code(),
        "42501",
        "revoked mid-session"
    );
}

#[tokio::test]
async fn admins_create_and_revoke_api_keys_through_the_api() {
    let h = Harness::start().await;
    let base = format!("http://{}", h.admin);
    let admin = format!("Authorization: Bearer {}", h.dba_key);
    let (status, body) = curl(&[
        "-X",
        "POST",
        "-H",
        &admin,
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"name":"nightly-etl","groups":["agents"],"expires":"1d"}"#,
        &format!("{base}/v1/keys"),
    ])
    .await;
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("wdn_"));
    let (status, body) = curl(&["-H", &admin, &format!("{base}/v1/keys")]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("nightly-etl") && !body.contains(&key),
        "listed, never the secret: {body}"
    );
    // The new key works, at once, on the data path.
    let (ok, out, err) = h.psql(&key, "SELECT count(*) FROM customers;").await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "3");
    // Non-admins cannot create keys.
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {key}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"name":"sneaky","groups":["dba"]}"#,
        &format!("{base}/v1/keys"),
    ])
    .await;
    assert_eq!(status, 403);
    let (status, body) = curl(&[
        "-X",
        "POST",
        "-H",
        &admin,
        &format!("{base}/v1/keys/nightly-etl/revoke"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    let (ok, _, err) = h.psql(&key, "SELECT 1;").await;
    assert!(!ok || err.contains("revoked"), "{err}");
    assert!(err.contains("revoked"), "{err}");
    let events = h
        .audit(warden_store::AuditFilter {
            identity: Some("nightly-etl".into()),
            ..warden_store::AuditFilter::default()
        })
        .await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"key_created") && kinds.contains(&"key_revoked"),
        "{kinds:?}"
    );
}
