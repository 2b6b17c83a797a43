//! `warden audit search` filters: identity, connection, action (exact and prefix), verdict,
//! kind, time window and limit.

mod common;

use common::{at, backends};
use warden_core::{AuditKind, AuditRecord, Verdict};
use warden_store::{AuditFilter, AuditLog, audit};

fn event(
    micros: i64,
    kind: AuditKind,
    identity: &str,
    connection: &str,
    action: &str,
    verdict: Option<Verdict>,
) -> AuditRecord {
    AuditRecord {
        time: at(micros),
        kind,
        identity: Some(identity.into()),
        connection: Some(connection.into()),
        session: None,
        action: Some(action.into()),
        verdict,
        rule: None,
        detail: serde_json::json!({ "n": micros }),
    }
}

#[tokio::test]
async fn search_filters_match_exactly_what_they_say() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
        let log = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        let other = AuditLog::open(backend.store.clone(), "n2".into(), key, 0)
            .await
            .unwrap();
        use AuditKind::{Decision, Request};
        use Verdict::{Allow, Deny, Review};
        log.record(event(
            10,
            Decision,
            "alice",
            "prod",
            "sql:read",
            Some(Allow),
        ))
        .await
        .unwrap();
        log.record(event(
            20,
            Decision,
            "alice",
            "prod",
            "sql:write",
            Some(Review),
        ))
        .await
        .unwrap();
        other
            .record(event(15, Decision, "bob", "prod", "SQL:READ", Some(Deny)))
            .await
            .unwrap();
        log.record(event(
            30,
            Request,
            "alice",
            "stage",
            "sql:write",
            Some(Allow),
        ))
        .await
        .unwrap();
        other
            .record(event(40, Decision, "bob", "stage", "sql_x", Some(Deny)))
            .await
            .unwrap();
        log.record(event(50, Decision, "carol", "stage", "ssh:exec", None))
            .await
            .unwrap();

        let store = backend.store.as_ref();
        let times = |filter: AuditFilter| async move {
            audit::search(store, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.record.time.timestamp_subsec_micros() as i64)
                .collect::<Vec<_>>()
        };

        assert_eq!(
            times(AuditFilter::default()).await,
            vec![10, 15, 20, 30, 40, 50]
        );
        let identity = AuditFilter {
            identity: Some("alice".into()),
            ..Default::default()
        };
        assert_eq!(times(identity).await, vec![10, 20, 30]);
        let connection = AuditFilter {
            connection: Some("stage".into()),
            ..Default::default()
        };
        assert_eq!(times(connection).await, vec![30, 40, 50]);
        let exact = AuditFilter {
            action: Some("sql:write".into()),
            ..Default::default()
        };
        assert_eq!(times(exact).await, vec![20, 30]);
        // Prefix: case-sensitive, and `_` is not a wildcard.
        let prefix = AuditFilter {
            action: Some("sql:*".into()),
            ..Default::default()
        };
        assert_eq!(times(prefix).await, vec![10, 20, 30]);
        let underscore = AuditFilter {
            action: Some("sql_*".into()),
            ..Default::default()
        };
        assert_eq!(times(underscore).await, vec![40]);
        let everything = AuditFilter {
            action: Some("*".into()),
            ..Default::default()
        };
        assert_eq!(times(everything).await.len(), 6);
        let verdict = AuditFilter {
            verdict: Some("deny".into()),
            ..Default::default()
        };
        assert_eq!(times(verdict).await, vec![15, 40]);
        let kind = AuditFilter {
            kind: Some("request".into()),
            ..Default::default()
        };
        assert_eq!(times(kind).await, vec![30]);
        let window = AuditFilter {
            since: Some(at(15)),
            until: Some(at(40)),
            ..Default::default()
        };
        assert_eq!(times(window).await, vec![15, 20, 30]);
        let combined = AuditFilter {
            identity: Some("alice".into()),
            action: Some("sql:*".into()),
            verdict: Some("allow".into()),
            ..Default::default()
        };
        assert_eq!(times(combined).await, vec![10, 30]);
        let limited = AuditFilter {
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(times(limited).await, vec![10, 15]);
        let none = AuditFilter {
            identity: Some("mallory".into()),
            ..Default::default()
        };
        assert!(times(none).await.is_empty());

        // Results carry their chain position.
        let found = log
            .search(&AuditFilter {
                identity: Some("carol".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((found[0].node.as_str(), found[0].seq), ("n1", 4));
    }
}
