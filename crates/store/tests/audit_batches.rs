//! Request events of a busy session are stored as one event per batch, and search lists them
//! one by one again: nothing is lost, order within a session holds, verify checks the batches.

mod common;

use common::{at, backends, open_log, stored_events};
use serde_json::json;
use warden_core::pipeline::Audit;
use warden_core::{AuditKind, AuditRecord, Verdict};
use warden_store::AuditFilter;
use warden_store::audit::{self, REQUESTS};

/// A fixed session id per one-letter name.
fn sid(name: &str) -> String {
    format!(
        "00000000-0000-7000-8000-0000000000{:02x}",
        name.as_bytes()[0]
    )
}

fn request(session: &str, micros: i64, rows: u64) -> AuditRecord {
    AuditRecord {
        time: at(micros),
        kind: AuditKind::Request,
        identity: Some("agent".into()),
        connection: Some("pg".into()),
        session: Some(sid(session)),
        action: Some("sql:read".into()),
        verdict: Some(Verdict::Allow),
        rule: Some("role:reader".into()),
        detail: json!({"tables": ["accounts"], "functions": [], "duration_ms": 0.125, "rows": rows, "error": null}),
    }
}

#[tokio::test]
async fn batched_requests_are_stored_together_and_searched_one_by_one() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        // Two sessions, 100 reads each, interleaved; session a writes once in the middle.
        for i in 0..100 {
            log.append_grouped(request("a", i * 100, i as u64))
                .await
                .unwrap();
            log.append_grouped(request("b", i * 100 + 50, 1000 + i as u64))
                .await
                .unwrap();
            if i == 49 {
                let mut decision = request("a", i * 100 + 60, 0);
                decision.kind = AuditKind::Decision;
                decision.action = Some("sql:write".into());
                decision.detail = json!({"reason": "allowed"});
                log.append(decision).await.unwrap();
            }
        }
        log.flush().await.unwrap();

        let stored = stored_events(&backend.store, "n1").await;
        assert!(
            stored.len() < 20,
            "201 events should fit in a few rows: {}",
            stored.len()
        );
        // Session a's first fifty reads were chained before its decision.
        let decision_at = stored
            .iter()
            .position(|e| e.record.kind == AuditKind::Decision)
            .unwrap();
        let a_before: usize = stored[..decision_at]
            .iter()
            .filter(|e| e.record.session.as_deref() == Some(sid("a").as_str()))
            .map(|e| e.record.detail[REQUESTS].as_array().map_or(1, Vec::len))
            .sum();
        assert_eq!(a_before, 50);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, stored.len() as u64);

        let all = audit::search(backend.store.as_ref(), &AuditFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 201);
        let reads: Vec<_> = all
            .iter()
            .filter(|e| e.record.kind == AuditKind::Request)
            .collect();
        for (n, event) in reads.iter().enumerate() {
            let i = (n / 2) as i64;
            let (session, micros, rows) = match n % 2 {
                0 => ("a", i * 100, i as u64),
                _ => ("b", i * 100 + 50, 1000 + i as u64),
            };
            assert_eq!(event.record, request(session, micros, rows), "event {n}");
            assert!(event.part.is_some());
        }
        assert!(all.windows(2).all(|w| w[0].record.time <= w[1].record.time));

        // Bounds cut inside a batch.
        let window = AuditFilter {
            since: Some(at(5_000)),
            until: Some(at(6_000)),
            ..AuditFilter::default()
        };
        let cut = audit::search(backend.store.as_ref(), &window)
            .await
            .unwrap();
        assert_eq!(cut.len(), 20, "{cut:#?}");
        assert!(
            cut.iter()
                .all(|e| e.record.time >= at(5_000) && e.record.time < at(6_000))
        );
        let limited = audit::search(
            backend.store.as_ref(),
            &AuditFilter {
                limit: Some(7),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let times: Vec<_> = limited.iter().map(|e| e.record.time).collect();
        let expected: Vec<_> = all.iter().take(7).map(|e| e.record.time).collect();
        assert_eq!(times, expected);
    }
}
