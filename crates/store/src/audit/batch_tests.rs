use super::*;
use chrono::TimeZone;
use serde_json::json;
use warden_core::identity::{AuthMethod, IdentityKind};
use warden_core::{Action, Decision, Exchange, Identity, Session, Verdict};

fn at(micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 6, 7, 0, 0).unwrap() + chrono::Duration::microseconds(micros)
}

/// A fixed session id per name.
fn sid(name: &str) -> String {
    let n = name.bytes().fold(0u128, |n, b| n * 256 + u128::from(b));
    Uuid::from_u128(n).to_string()
}

/// Session `s1` of `agent` on `pg`, a read of `accounts`, and the decision that allowed it.
fn reader_of_accounts() -> (Session, Action, Decision) {
    let identity = Identity {
        subject: "agent".into(),
        kind: IdentityKind::Machine,
        groups: vec![],
        scopes: vec![],
        issuer: "warden".into(),
        auth_method: AuthMethod::ApiKey,
        expires_at: None,
    };
    let mut session = Session::new(identity, "pg", warden_core::ConnectionKind::Postgres, None);
    session.id = Uuid::parse_str(&sid("s1")).unwrap();
    let action = Action::named("sql:read").with_tables(["accounts"]);
    let decision = Decision {
        verdict: Verdict::Allow,
        rule: "role:reader".into(),
        ..Decision::deny("", "")
    };
    (session, action, decision)
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
        detail: json!({"tables": ["accounts"], "functions": [], "duration_ms": 0.25, "rows": rows, "error": null}),
    }
}

#[test]
fn a_lone_request_is_chained_as_it_was_appended() {
    let batches = Batches::default();
    let pushed = batches.push(request("s1", 0, 1));
    assert!(pushed.opened_first);
    assert!(pushed.closed.is_none());
    assert_eq!(
        batches.take(&sid("s1")).map(Batch::into_record),
        Some(request("s1", 0, 1))
    );
    assert!(batches.is_empty());
}

#[test]
fn requests_of_one_session_become_one_event_listing_each() {
    let batches = Batches::default();
    for i in 0..3 {
        let pushed = batches.push(request("s1", i * 10, i as u64));
        assert_eq!(pushed.opened_first, i == 0);
        assert!(pushed.closed.is_none());
    }
    let batch = batches.take(&sid("s1")).map(Batch::into_record).unwrap();
    assert_eq!(batch.time, at(0));
    assert_eq!(batch.action.as_deref(), Some("sql:read"));
    assert_eq!(
        batch.detail,
        json!({
            "tables": ["accounts"],
            "functions": [],
            "requests": [
                {"time": "2026-05-06T07:00:00.000000Z", "duration_ms": 0.25, "rows": 0, "error": null},
                {"time": "2026-05-06T07:00:00.000010Z", "duration_ms": 0.25, "rows": 1, "error": null},
                {"time": "2026-05-06T07:00:00.000020Z", "duration_ms": 0.25, "rows": 2, "error": null},
            ]
        })
    );
}

#[test]
fn a_request_that_differs_closes_the_batch_before_it() {
    let batches = Batches::default();
    batches.push(request("s1", 0, 1));
    batches.push(request("s1", 1, 1));
    let mut other = request("s1", 2, 1);
    other.detail["tables"] = json!(["branches"]);
    let closed = batches.push(other.clone()).closed.unwrap().into_record();
    assert_eq!(closed.detail["requests"].as_array().unwrap().len(), 2);
    assert_eq!(
        batches.take(&sid("s1")).map(Batch::into_record),
        Some(other)
    );

    batches.push(request("s1", 3, 1));
    let mut denied = request("s1", 4, 0);
    denied.rule = Some("role:other".into());
    assert!(batches.push(denied).closed.is_some());
}

#[test]
fn sessions_batch_apart_and_a_full_or_old_batch_closes() {
    let batches = Batches::default();
    batches.push(request("s1", 0, 1));
    assert!(!batches.push(request("s2", 1, 1)).opened_first);
    for i in 1..BATCH_LIMIT as i64 - 1 {
        assert!(batches.push(request("s1", i, 1)).closed.is_none());
    }
    let full = batches
        .push(request("s1", 10_000, 1))
        .closed
        .unwrap()
        .into_record();
    assert_eq!(
        full.detail["requests"].as_array().unwrap().len(),
        BATCH_LIMIT
    );

    batches.push(request("s1", 20_000, 1));
    let late = 20_000 + BATCH_SPAN.as_micros() as i64 + 1;
    let old = batches
        .push(request("s1", late, 1))
        .closed
        .unwrap()
        .into_record();
    assert_eq!(old, request("s1", 20_000, 1));

    let all: Vec<AuditRecord> = batches
        .take_all()
        .into_iter()
        .map(|sealed| sealed.unwrap().record)
        .collect();
    assert_eq!(all, vec![request("s2", 1, 1), request("s1", late, 1)]);
    assert!(batches.is_empty());
}

#[test]
fn only_request_events_of_a_session_batch() {
    assert!(Batches::batchable(&request("s1", 0, 1)));
    let mut decision = request("s1", 0, 1);
    decision.kind = AuditKind::Decision;
    assert!(!Batches::batchable(&decision));
    let mut sessionless = request("s1", 0, 1);
    sessionless.session = None;
    assert!(!Batches::batchable(&sessionless));
    let mut not_an_id = request("s1", 0, 1);
    not_an_id.session = Some("s1".into());
    assert!(!Batches::batchable(&not_an_id));
    let mut already = request("s1", 0, 1);
    already.detail = json!({"requests": []});
    assert!(!Batches::batchable(&already));
}

#[test]
fn request_events_batch_like_the_records_they_stand_for() {
    let (session, action, decision) = reader_of_accounts();
    let event = |micros: i64, rows: u64| RequestEvent {
        session: &session,
        action: &action,
        decision: &decision,
        time: at(micros),
        duration_ms: 0.25,
        rows: Some(rows),
        error: None,
        exchange: None,
    };
    let by_records = Batches::default();
    let by_events = Batches::default();
    for i in 0..3 {
        by_records.push(event(i * 10, i as u64).to_record());
        by_events.push_request(&event(i * 10, i as u64));
    }
    let expected = by_records.take(&sid("s1")).map(Batch::into_record).unwrap();
    assert_eq!(expected.detail["requests"].as_array().unwrap().len(), 3);
    assert_eq!(
        by_events.take(&sid("s1")).map(Batch::into_record),
        Some(expected)
    );

    let other = Action::named("sql:read").with_tables(["branches"]);
    by_events.push_request(&event(0, 1));
    let pushed = by_events.push_request(&RequestEvent {
        action: &other,
        ..event(5, 1)
    });
    assert_eq!(
        pushed.closed.map(Batch::into_record),
        Some(event(0, 1).to_record())
    );
}

#[test]
fn try_push_request_takes_only_what_closes_no_batch() {
    let (session, action, decision) = reader_of_accounts();
    let other = Action::named("sql:read").with_tables(["branches"]);
    let event = |micros: i64, other_tables: bool| RequestEvent {
        session: &session,
        action: if other_tables { &other } else { &action },
        decision: &decision,
        time: at(micros),
        duration_ms: 0.25,
        rows: Some(1),
        error: None,
        exchange: None,
    };
    let batches = Batches::default();
    // The first request opens the first batch of all; the next ones join it.
    assert_eq!(batches.try_push_request(&event(0, false)), Some(true));
    for i in 1..BATCH_LIMIT - 1 {
        assert_eq!(
            batches.try_push_request(&event(i as i64, false)),
            Some(false)
        );
    }
    // One that would fill the batch, or one that cannot join it, must close it: not taken.
    assert_eq!(batches.try_push_request(&event(300, false)), None);
    assert_eq!(batches.try_push_request(&event(301, true)), None);
    let batch = batches.take(&sid("s1")).map(Batch::into_record).unwrap();
    assert_eq!(
        batch.detail["requests"].as_array().unwrap().len(),
        BATCH_LIMIT - 1
    );
    assert!(batches.is_empty());
}

/// A batch sealed straight from its requests has the detail `into_record` builds: the same
/// canonical text, stored as that text.
#[test]
fn a_sealed_batch_writes_the_detail_into_record_builds() {
    let (session, action, decision) = reader_of_accounts();
    let event = |micros: i64, rows: Option<u64>, error: Option<&str>| RequestEvent {
        session: &session,
        action: &action,
        decision: &decision,
        time: at(micros),
        duration_ms: 0.125 + micros as f64,
        rows,
        error: error.map(str::to_owned),
        exchange: None,
    };
    let build = || {
        let batches = Batches::default();
        batches.push_request(&event(0, Some(3), None));
        batches.push_request(&event(10, None, Some("canceling statement \"x\"")));
        // A request appended as a record: its own detail keys, unsorted, one named `time`.
        let mut record = event(20, Some(1), None).to_record();
        let detail = record.detail.as_object_mut().unwrap();
        detail.insert("zeta".into(), json!({"b": 1, "a": [1.5, "é"]}));
        detail.insert("time".into(), json!("replaced"));
        detail.insert("Alpha".into(), json!(null));
        batches.push(record);
        batches
    };
    let built = build().take(&sid("s1")).unwrap().into_record();
    let mut sealed = build().take(&sid("s1")).unwrap().seal().unwrap();
    assert_eq!(sealed.record.detail, Value::Null, "not built");
    let mut expected = Vec::new();
    assert!(!canonical::write_value(&mut expected, &built.detail).unwrap());
    assert_eq!(
        String::from_utf8(sealed.detail.clone()).unwrap(),
        String::from_utf8(expected).unwrap()
    );
    let stored: Value = serde_json::from_str(&sealed.stored_detail()).unwrap();
    assert_eq!(stored, built.detail);
    assert_eq!(stored["requests"].as_array().unwrap().len(), 3);

    // Rows beyond 2^53 round as canonical JSON: the store keeps the built detail, exactly.
    let batches = Batches::default();
    batches.push_request(&event(0, Some(1), None));
    batches.push_request(&event(1, Some((1 << 53) + 1), None));
    let mut sealed = batches.take(&sid("s1")).unwrap().seal().unwrap();
    let stored: Value = serde_json::from_str(&sealed.stored_detail()).unwrap();
    assert_eq!(stored["requests"][1]["rows"], json!((1u64 << 53) + 1));
    assert_ne!(sealed.record.detail, Value::Null);
}

/// The event of an HTTP exchange at `micros`; a 502 failed.
fn exchange_event<'a>(
    (session, action, decision): (&'a Session, &'a Action, &'a Decision),
    micros: i64,
    exchange: &'a Exchange,
) -> RequestEvent<'a> {
    RequestEvent {
        session,
        action,
        decision,
        time: at(micros),
        duration_ms: 1.5 + micros as f64,
        rows: None,
        error: (exchange.status == 502).then(|| "upstream: cannot connect".to_owned()),
        exchange: Some(exchange),
    }
}

/// HTTP exchanges appended as events batch like the records they stand for, seal to the
/// canonical text of that batch, and never join a batch of statements (or the reverse).
#[test]
fn exchange_events_batch_and_seal_like_their_records() {
    let (session, read, decision) = reader_of_accounts();
    let mut action = Action::named("autogen:prompt");
    action.model = Some("gpt-4o-mini".into());
    let on = (&session, &action, &decision);
    let exchange = |status: u16, usage: bool| Exchange {
        method: "POST".into(),
        path: "/v1/chat/completions?q=\"é\"".into(),
        status,
        request_bytes: 120,
        response_bytes: (1 << 53) - 1,
        usage: usage.then(|| json!({"total_tokens": 7, "prompt_tokens": 5})),
    };
    let exchanges = [
        exchange(200, true),
        exchange(502, false),
        exchange(200, false),
    ];
    let record = exchange_event(on, 0, &exchanges[0]).to_record();
    assert_eq!(record.detail["model"], json!("gpt-4o-mini"));
    assert_eq!(record.detail["usage"]["total_tokens"], json!(7));
    assert!(record.detail.get("tables").is_none() && record.detail.get("rows").is_none());

    let batches = |as_records: bool| {
        let batches = Batches::default();
        for (i, exchange) in exchanges.iter().enumerate() {
            let event = exchange_event(on, i as i64 * 10, exchange);
            match as_records {
                true => batches.push(event.to_record()),
                false => batches.push_request(&event),
            };
        }
        batches.take(&sid("s1")).unwrap()
    };
    let expected = batches(true).into_record();
    assert_eq!(expected.detail["requests"].as_array().unwrap().len(), 3);
    assert_eq!(batches(false).into_record(), expected);
    let mut sealed = batches(false).seal().unwrap();
    let mut canonical_text = Vec::new();
    canonical::write_value(&mut canonical_text, &expected.detail).unwrap();
    assert_eq!(
        String::from_utf8(sealed.detail.clone()).unwrap(),
        String::from_utf8(canonical_text).unwrap()
    );
    let stored: Value = serde_json::from_str(&sealed.stored_detail()).unwrap();
    assert_eq!(stored, expected.detail);

    // An exchange whose size would round as canonical JSON does not join: it opens the next
    // batch, stored exactly, and the one before keeps what it had.
    let huge = Exchange {
        response_bytes: (1 << 53) + 1,
        ..exchange(200, false)
    };
    let rounding = Batches::default();
    rounding.push_request(&exchange_event(on, 0, &exchanges[0]));
    rounding.push_request(&exchange_event(on, 10, &exchanges[1]));
    assert_eq!(
        rounding.try_push_request(&exchange_event(on, 20, &huge)),
        None
    );
    let before = rounding.push_request(&exchange_event(on, 20, &huge)).closed;
    let before = before.unwrap().into_record();
    assert_eq!(before.detail["requests"].as_array().unwrap().len(), 2);
    let mut alone = rounding.take(&sid("s1")).unwrap().seal().unwrap();
    let stored: Value = serde_json::from_str(&alone.stored_detail()).unwrap();
    assert_eq!(stored["response_bytes"], json!((1u64 << 53) + 1));

    // A statement does not join an exchange's batch, nor an exchange a statement's.
    let statement = RequestEvent {
        action: &read,
        exchange: None,
        rows: Some(1),
        ..exchange_event(on, 40, &exchanges[2])
    };
    let mixed = Batches::default();
    mixed.push_request(&exchange_event(on, 0, &exchanges[0]));
    assert!(mixed.push_request(&statement).closed.is_some());
    assert!(
        mixed
            .push_request(&exchange_event(on, 50, &exchanges[2]))
            .closed
            .is_some()
    );
}

#[test]
fn session_ids_spread_over_the_open_batches_buckets() {
    use std::hash::BuildHasher;
    let build = BuildHasherDefault::<SessionHasher>::default();
    // Random ids, and ids that differ in one byte only: both fill most of 1 024 buckets.
    for ids in [
        (0..1024).map(|_| Uuid::new_v4()).collect::<Vec<_>>(),
        (0..1024u128).map(|n| Uuid::from_u128(n << 64)).collect(),
        (0..1024u128).map(Uuid::from_u128).collect(),
    ] {
        let buckets: std::collections::HashSet<u64> =
            ids.iter().map(|id| build.hash_one(id) & 1023).collect();
        assert!(buckets.len() > 550, "{} of 1024 buckets", buckets.len());
        let hashes: std::collections::HashSet<u64> =
            ids.iter().map(|id| build.hash_one(id)).collect();
        assert_eq!(hashes.len(), ids.len());
    }
}
