//! Command reviews through the PostgreSQL gateway against a real PostgreSQL: a held statement
//! waits for a quorum of distinct approvers (never the requester) and then runs exactly once;
//! a deny or a timeout refuses it and leaves the session usable; fail-fast agents get the review
//! id at once and run the identical statement once after approval.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use std::time::Duration;
use uuid::Uuid;
use warden_core::{ReviewError, ReviewState};
use warden_review::ServiceError;
use warden_store::{AuditFilter, ReviewFilter};

/// The review id named in a message.
fn review_id(text: &str) -> Uuid {
    text.split("review ")
        .filter_map(|rest| rest.get(..36))
        .find_map(|candidate| Uuid::parse_str(candidate).ok())
        .unwrap_or_else(|| panic!("no review id in {text:?}"))
}

/// Waits until `requester` has a pending review, and returns it.
async fn pending_review(h: &Harness, requester: &str) -> warden_core::Review {
    for _ in 0..200 {
        let filter = ReviewFilter {
            state: Some(ReviewState::Pending),
            requester: Some(requester.into()),
            ..ReviewFilter::default()
        };
        if let Some(review) = h.gateway.reviews.list(&filter).await.unwrap().pop() {
            return review;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no pending review by {requester}");
}

fn rules_error(result: Result<warden_core::Review, ServiceError>) -> ReviewError {
    match result {
        Err(ServiceError::Rules(error)) => error,
        other => panic!("expected a refusal by the review rules, got {other:?}"),
    }
}

#[tokio::test]
async fn a_held_statement_runs_once_after_two_distinct_approvers_and_never_on_self_approval() {
    let h = Harness::start().await;
    // Ann is on call and also an approver: her own vote must not count.
    let ann = h.key("ann", &["oncall", "approvers"]).await;
    let bob = h.identity(&h.key("bob", &["approvers"]).await).await;
    let cat = h.identity(&h.key("cat", &["approvers"]).await).await;
    let eng = h.identity(&h.engineer_key).await;
    let ann_identity = h.identity(&ann).await;

    let sql = "UPDATE orders SET amount = amount + 1 WHERE id = 1; -- justification: refund INC-42\nSELECT amount FROM orders WHERE id = 1;\n";
    let held = {
        let (h_addr, key, sql) = (h.conninfo("pg-test/app"), ann.clone(), sql.to_owned());
        let psql = h.pg.bin_dir().join("psql");
        tokio::spawn(async move {
            let out = tokio::process::Command::new(psql)
                .args(["-X", "-At", "-c"])
                .arg(sql)
                .arg(h_addr)
                .env("PGPASSWORD", key)
                .output()
                .await
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let review = pending_review(&h, "ann").await;
    assert_eq!(review.action, "sql:write");
    assert!(
        review
            .payload
            .starts_with("UPDATE orders SET amount = amount + 1"),
        "{}",
        review.payload
    );
    assert_eq!(review.justification.as_deref(), Some("refund INC-42"));
    assert_eq!(review.rules.quorum, 2);

    // The requester cannot approve her own statement, a non-approver cannot vote, nobody twice.
    let own = rules_error(
        h.gateway
            .reviews
            .vote(&ann_identity, review.id, true, None)
            .await,
    );
    assert!(matches!(own, ReviewError::SelfApproval(_)), "{own}");
    let outsider = rules_error(h.gateway.reviews.vote(&eng, review.id, true, None).await);
    assert!(
        matches!(outsider, ReviewError::NotAnApprover { .. }),
        "{outsider}"
    );
    let first = h
        .gateway
        .reviews
        .vote(&bob, review.id, true, None)
        .await
        .unwrap();
    assert_eq!(first.state, ReviewState::Pending, "one approval of two");
    let twice = rules_error(h.gateway.reviews.vote(&bob, review.id, true, None).await);
    assert!(matches!(twice, ReviewError::AlreadyVoted(_)), "{twice}");
    assert_eq!(
        h.upstream("SELECT amount FROM orders WHERE id = 1").await,
        "10.50",
        "still held"
    );

    let second = h
        .gateway
        .reviews
        .vote(&cat, review.id, true, Some("ok".into()))
        .await
        .unwrap();
    assert_eq!(second.state, ReviewState::Approved);
    let (ok, stdout, stderr) = tokio::time::timeout(Duration::from_secs(30), held)
        .await
        .unwrap()
        .unwrap();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(&format!("review {}", review.id)),
        "notice names the review: {stderr}"
    );
    assert!(stderr.contains("warden review approve"), "{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("11.50"),
        "ran exactly once: {stdout}"
    );
    assert_eq!(
        h.upstream("SELECT amount FROM orders WHERE id = 1").await,
        "11.50"
    );
    let stored = h.gateway.reviews.review(review.id).await.unwrap();
    assert_eq!(stored.state, ReviewState::Executed);

    // Every transition is in the audit log, in order.
    let events = h
        .audit(AuditFilter {
            kind: Some("review".into()),
            ..AuditFilter::default()
        })
        .await;
    let transitions: Vec<&str> = events
        .iter()
        .filter(|e| e["detail"]["review"] == review.id.to_string())
        .map(|e| e["detail"]["transition"].as_str().unwrap())
        .collect();
    assert_eq!(transitions, ["created", "voted", "approved", "executed"]);
}

#[tokio::test]
async fn a_denied_or_expired_review_refuses_the_statement_and_the_session_goes_on() {
    let h = Harness::start().await;
    let ann = h.key("ann", &["oncall"]).await;
    let bob = h.identity(&h.key("bob", &["approvers"]).await).await;
    let script = "UPDATE customers SET name = 'X' WHERE id = 1;\nSELECT count(*) FROM customers;\n";
    let held = {
        let h2 = (
            h.conninfo("pg-test/app"),
            ann.clone(),
            h.pg.bin_dir().join("psql"),
        );
        tokio::spawn(async move {
            let out = tokio::process::Command::new(h2.2)
                .args(["-X", "-At", "-v", "ON_ERROR_STOP=0", "-c"])
                .arg(script)
                .arg(h2.0)
                .env("PGPASSWORD", h2.1)
                .output()
                .await
                .unwrap();
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let review = pending_review(&h, "ann").await;
    let denied = h
        .gateway
        .reviews
        .vote(&bob, review.id, false, Some("not during the freeze".into()))
        .await
        .unwrap();
    assert_eq!(denied.state, ReviewState::Denied);
    let (_, stderr) = tokio::time::timeout(Duration::from_secs(30), held)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stderr.contains("denied by bob: not during the freeze"),
        "{stderr}"
    );
    assert_eq!(
        h.upstream("SELECT name FROM customers WHERE id = 1").await,
        "Ada Lovelace"
    );

    // quick: 2 s timeout, nobody votes. The session stays usable after the refusal.
    let hasty = h.key("hal", &["hasty"]).await;
    let (ok, stdout, stderr) = h
        .psql(
            &hasty,
            "UPDATE customers SET name = 'Y' WHERE id = 2;\nSELECT count(*) FROM customers;\n",
        )
        .await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(
        stderr.contains("42501") || stderr.contains("ERROR"),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "3", "the next statement ran: {stdout}");
    assert_eq!(
        h.upstream("SELECT name FROM customers WHERE id = 2").await,
        "Alan Turing"
    );
}

#[tokio::test]
async fn fail_fast_agents_get_the_review_id_and_run_the_identical_statement_once() {
    let h = Harness::start().await;
    let bot = h.client(&h.key("etl-bot", &["bots"]).await).await;
    let bob = h.identity(&h.key("bob", &["approvers"]).await).await;
    let update = "UPDATE orders SET amount = amount + 100 WHERE id = 2";

    let refused = bot.execute(update, &[]).await.unwrap_err();
    let db = refused.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42501");
    let id = review_id(db.message());
    // Asking again does not open a second review.
    let again = bot.execute(update, &[]).await.unwrap_err();
    assert_eq!(review_id(again.as_db_error().unwrap().message()), id);
    assert_eq!(
        h.gateway
            .reviews
            .list(&ReviewFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );

    h.gateway.reviews.vote(&bob, id, true, None).await.unwrap();
    // A different statement does not ride on the approval.
    let other = bot
        .execute("UPDATE orders SET amount = 0 WHERE id = 2", &[])
        .await
        .unwrap_err();
    assert_ne!(review_id(other.as_db_error().unwrap().message()), id);
    // The identical statement runs, once.
    assert_eq!(bot.execute(update, &[]).await.unwrap(), 1);
    assert_eq!(
        h.upstream("SELECT amount FROM orders WHERE id = 2").await,
        "199.99"
    );
    let used = bot.execute(update, &[]).await.unwrap_err();
    assert_ne!(
        review_id(used.as_db_error().unwrap().message()),
        id,
        "a new review"
    );
    assert_eq!(
        h.upstream("SELECT amount FROM orders WHERE id = 2").await,
        "199.99"
    );
    assert_eq!(
        h.gateway.reviews.review(id).await.unwrap().state,
        ReviewState::Executed
    );
}

#[tokio::test]
async fn reviews_nobody_waits_on_expire_in_the_background_and_are_audited() {
    let h = Harness::start().await;
    let hal = h.identity(&h.key("hal", &["hasty"]).await).await;
    let request = warden_core::ReviewRequest {
        kind: warden_core::ReviewKind::Command,
        connection: "pg-test".into(),
        action: "sql:write".into(),
        payload: "DELETE FROM orders".into(),
        justification: None,
        grant: None,
    };
    let review = h
        .gateway
        .reviews
        .open(&hal, request, "quick")
        .await
        .unwrap();
    // Read straight from the store: nothing looks at the review, the sweeper alone expires it.
    let mut state = ReviewState::Pending;
    for _ in 0..100 {
        state = h
            .gateway
            .store
            .review(review.id)
            .await
            .unwrap()
            .unwrap()
            .state;
        if state != ReviewState::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, ReviewState::Expired);
    let events = h
        .audit(AuditFilter {
            kind: Some("review".into()),
            ..AuditFilter::default()
        })
        .await;
    let expired: Vec<_> = events
        .iter()
        .filter(|e| e["detail"]["review"] == review.id.to_string())
        .filter(|e| e["detail"]["transition"] == "expired")
        .collect();
    assert_eq!(expired.len(), 1, "audited once: {events:?}");
}

#[tokio::test]
async fn a_masked_roles_held_statement_is_shown_masked_and_runs_exactly_as_sent() {
    let h = Harness::start().await;
    let lead = h.client(&h.key("lee", &["support-leads"]).await).await;
    let bob = h.key("bob", &["approvers"]).await;
    let email = "ada.lovelace@example.com";
    let update = format!("UPDATE customers SET email = '{email}' WHERE id = 1");

    let refused = lead.execute(update.as_str(), &[]).await.unwrap_err();
    let db = refused.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42501");
    assert!(!db.message().contains(email), "{}", db.message());
    let id = review_id(db.message());

    // Approvers read the statement masked; its hash binds the statement exactly as sent.
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{}/v1/reviews?requester=lee", h.admin))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let review = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.to_string())
        .unwrap_or_else(|| panic!("review {id} not listed: {listed}"));
    let payload = review["payload"].as_str().unwrap();
    assert!(
        payload.starts_with("UPDATE customers SET email = '") && payload.ends_with("WHERE id = 1"),
        "{payload}"
    );
    assert!(!payload.contains(email), "{payload}");
    assert_eq!(
        review["payload_hash"],
        warden_core::review::payload_hash(update.as_bytes())
    );
    let (ok, shown, err) = h
        .warden_cli(&bob, &["review", "show", &id.to_string()])
        .await;
    assert!(ok, "{err}");
    assert!(shown.contains("UPDATE customers SET email"), "{shown}");
    assert!(!shown.contains(email), "{shown}");

    // The identical statement keeps its review; another email masked alike opens another.
    let again = lead.execute(update.as_str(), &[]).await.unwrap_err();
    assert_eq!(review_id(again.as_db_error().unwrap().message()), id);
    let other = lead
        .execute(
            "UPDATE customers SET email = 'someone.else@example.com' WHERE id = 1",
            &[],
        )
        .await
        .unwrap_err();
    assert_ne!(review_id(other.as_db_error().unwrap().message()), id);

    // Approved: the exact statement runs, once, with the clear value.
    let approver = h.identity(&bob).await;
    h.gateway
        .reviews
        .vote(&approver, id, true, None)
        .await
        .unwrap();
    assert_eq!(lead.execute(update.as_str(), &[]).await.unwrap(), 1);
    assert_eq!(
        h.upstream("SELECT email FROM customers WHERE id = 1").await,
        email
    );
    assert_eq!(
        h.gateway.reviews.review(id).await.unwrap().state,
        ReviewState::Executed
    );
    // Nothing approvers or auditors read holds the clear value.
    let stored = serde_json::to_string(&h.gateway.reviews.review(id).await.unwrap()).unwrap();
    assert!(!stored.contains(email), "{stored}");
    let events = h
        .audit(AuditFilter {
            kind: Some("review".into()),
            ..AuditFilter::default()
        })
        .await;
    let audit_text = serde_json::to_string(&events).unwrap();
    assert!(!audit_text.contains(email), "{audit_text}");
}
