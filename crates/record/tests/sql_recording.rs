#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! SQL recordings: the JSON-lines format and reading it back as a timeline.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use warden_record::{
    RecordingKind, RecordingLimits, RecordingStore, SqlEvent, SqlHeader, SqlRecorder,
    TimelineEntry, sql_timeline, verify_recording,
};

fn header() -> SqlHeader {
    SqlHeader {
        session: "q-1".into(),
        identity: "alice@example.com".into(),
        connection: "orders-prod".into(),
        started: Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
    }
}

fn select() -> SqlEvent {
    SqlEvent {
        sql: "SELECT id, email FROM users WHERE id = $1".into(),
        params: vec![Some("42".into()), None],
        columns: ["id".to_owned(), "email".to_owned()].into(),
        rows: (0..5)
            .map(|i| vec![Some(i.to_string()), Some("***@example.com".into())])
            .collect(),
        row_count: 5,
        duration: Duration::from_micros(2500),
        error: None,
    }
}

#[tokio::test]
async fn lines_follow_the_documented_format_and_keep_only_n_rows() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("q-1", RecordingKind::Sql).await.unwrap();
    let mut rec = SqlRecorder::start(w, &header(), 2).await.unwrap();
    rec.statement(&select()).await.unwrap();
    let done = rec.finish().await.unwrap();
    verify_recording(&store, "q-1", &done.sha256_hex)
        .await
        .unwrap();

    let text = common::text(&store, "q-1").await;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "header");
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines[0]["identity"], "alice@example.com");
    assert_eq!(lines[0]["connection"], "orders-prod");
    assert_eq!(lines[0]["started"], "2026-11-28T12:00:00Z");
    let s = &lines[1];
    assert_eq!(s["type"], "statement");
    assert!(s["t"].as_f64().unwrap() >= 0.0);
    assert_eq!(s["params"], serde_json::json!(["42", null]));
    assert_eq!(
        s["rows"].as_array().unwrap().len(),
        2,
        "only the first N rows are kept"
    );
    assert_eq!(s["row_count"], 5);
    assert_eq!(s["duration_ms"], 2.5);
    assert_eq!(s["error"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_duration_is_written_as_its_exact_decimal() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("q-ms", RecordingKind::Sql).await.unwrap();
    let mut rec = SqlRecorder::start(w, &header(), 2).await.unwrap();
    let mut event = select();
    // `as_secs_f64() * 1000.0` gives 0.34819700000000003 for this one.
    event.duration = Duration::from_nanos(348_197);
    rec.statement(&event).await.unwrap();
    rec.finish().await.unwrap();
    let text = common::text(&store, "q-ms").await;
    assert!(text.contains(r#""duration_ms":0.348197,"#), "{text}");
}

#[tokio::test]
async fn timeline_round_trips_statements_errors_and_truncation() {
    let (_dir, store) = common::store(common::small_limits(700)).await;
    let w = store.create("q-1", RecordingKind::Sql).await.unwrap();
    let mut rec = SqlRecorder::start(w, &header(), 10).await.unwrap();
    rec.statement_at(0.25, &select()).await.unwrap();
    let failed = SqlEvent {
        sql: "DROP TABLE users".into(),
        error: Some("permission denied (42501)".into()),
        ..SqlEvent::default()
    };
    rec.statement_at(1.5, &failed).await.unwrap();
    for i in 0..20 {
        rec.statement_at(2.0 + f64::from(i), &select())
            .await
            .unwrap();
    }
    rec.finish().await.unwrap();

    let timeline = sql_timeline(store.open("q-1").await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        timeline[0],
        TimelineEntry::Header {
            version: 1,
            header: header()
        }
    );
    let TimelineEntry::Statement(first) = &timeline[1] else {
        panic!("expected a statement, got {:?}", timeline[1]);
    };
    assert_eq!(first.t, 0.25);
    assert_eq!(first.sql, &*select().sql);
    assert_eq!(first.params, select().params);
    assert_eq!(first.columns[..], select().columns[..]);
    assert_eq!(first.rows, select().rows);
    assert_eq!(first.duration_ms, 2.5);
    let TimelineEntry::Statement(second) = &timeline[2] else {
        panic!("expected a statement, got {:?}", timeline[2]);
    };
    assert_eq!(second.error.as_deref(), Some("permission denied (42501)"));
    let last = timeline.last().unwrap();
    assert!(
        matches!(last, TimelineEntry::Truncated { max_bytes: 700, t } if *t >= 2.0),
        "{last:?}"
    );
    assert!(timeline.len() < 22, "events after max_bytes are dropped");
}

#[tokio::test]
async fn rows_given_as_wire_values_read_back_like_rows_given_as_text() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("q-1", RecordingKind::Sql).await.unwrap();
    let mut rec = SqlRecorder::start(w, &header(), 3).await.unwrap();
    rec.statement(&select()).await.unwrap();
    let wire: Vec<Vec<Option<Vec<u8>>>> = vec![
        vec![
            Some(b"1".to_vec()),
            Some("caf\u{e9} \"q\"\n".as_bytes().to_vec()),
        ],
        vec![None, Some(vec![b'a', 0xff, b'b'])],
        vec![],
        vec![Some(b"past the limit".to_vec())],
    ];
    let event = SqlEvent {
        rows: vec![vec![Some("ignored".into())]],
        ..select()
    };
    rec.statement_with_rows(std::time::Instant::now(), &event, |writer| {
        for row in &wire {
            writer.row(row.iter().map(Option::as_deref))?;
        }
        Ok(())
    })
    .await
    .unwrap();
    rec.finish().await.unwrap();

    let timeline = sql_timeline(store.open("q-1").await.unwrap())
        .await
        .unwrap();
    let [
        _,
        TimelineEntry::Statement(text),
        TimelineEntry::Statement(wired),
    ] = &timeline[..]
    else {
        panic!("expected a header and two statements, got {timeline:?}");
    };
    assert_eq!(text.rows.len(), 3, "the recorder's row limit");
    assert_eq!(
        wired.rows,
        vec![
            vec![Some("1".to_owned()), Some("caf\u{e9} \"q\"\n".to_owned())],
            vec![None, Some("a\u{fffd}b".to_owned())],
            vec![],
        ],
        "the row limit applies, and bytes that are not UTF-8 are replaced"
    );
    assert_eq!(
        (
            &wired.sql,
            &wired.params,
            &wired.columns[..],
            wired.duration_ms
        ),
        (&text.sql, &text.params, &text.columns[..], text.duration_ms)
    );
}

#[tokio::test]
async fn a_malformed_line_is_reported_with_its_number() {
    let input: &[u8] = b"{\"type\":\"header\",\"version\":1,\"session\":\"s\",\"identity\":\"i\",\"connection\":\"c\",\"started\":\"2026-11-28T12:00:00Z\"}\nnot json\n";
    let err = sql_timeline(input).await.unwrap_err();
    assert!(err.to_string().starts_with("recording line 2:"), "{err}");
}
