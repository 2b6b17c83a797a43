#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Reading recordings back: format detection, a SQL timeline entry by entry, and following a
//! recording that is still being written.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::timeout;
use warden_record::{
    AsciicastHeader, AsciicastRecorder, PlayOptions, RecordError, RecordingKind, RecordingLimits,
    RecordingReader, RecordingStore, SqlEvent, SqlHeader, SqlRecorder, SqlTimeline, TimelineEntry,
    detect_kind, play_asciicast,
};

const POLL: Duration = Duration::from_millis(20);
const BOUND: Duration = Duration::from_secs(10);

fn header() -> AsciicastHeader {
    AsciicastHeader {
        width: 80,
        height: 24,
        timestamp: 1_795_000_000,
        env: BTreeMap::new(),
    }
}

fn sql_header(session: &str) -> SqlHeader {
    SqlHeader {
        session: session.into(),
        identity: "ada".into(),
        connection: "pg-prod".into(),
        started: chrono::Utc::now(),
    }
}

fn reader(bytes: &'static [u8]) -> RecordingReader {
    Box::new(bytes)
}

#[tokio::test]
async fn detect_kind_tells_the_formats_apart_and_keeps_the_header() {
    let cast: &[u8] = b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.0, \"o\", \"hi\"]\n";
    let (kind, mut again) = detect_kind(reader(cast)).await.unwrap();
    assert_eq!(kind, RecordingKind::Terminal);
    let mut all = Vec::new();
    again.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, cast);

    let sql: &[u8] = b"{\"type\":\"header\",\"version\":1,\"session\":\"s\"}\n";
    assert_eq!(
        detect_kind(reader(sql)).await.unwrap().0,
        RecordingKind::Sql
    );

    for bad in [
        &b""[..],
        &b"{\"version\": 1}\n"[..],
        &b"[1, 2]\n"[..],
        &b"not json\n"[..],
    ] {
        let r = detect_kind(reader(bad)).await;
        assert!(
            matches!(r, Err(RecordError::Malformed { line: 1, .. })),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn a_last_event_cut_off_mid_write_is_ignored_but_a_bad_line_is_not() {
    let cut: &[u8] =
        b"{\"version\":2,\"width\":80,\"height\":24}\n[0.0,\"o\",\"a\"]\n[0.1,\"o\",\"b";
    let mut out = Vec::new();
    let stats = play_asciicast(cut, PlayOptions::default(), &mut out)
        .await
        .unwrap();
    assert_eq!((stats.events, out.as_slice()), (1, &b"a"[..]));

    let bad: &[u8] =
        b"{\"version\":2,\"width\":80,\"height\":24}\n[0.0,\"o\",\"a\n[0.1,\"o\",\"b\"]\n";
    let r = play_asciicast(bad, PlayOptions::default(), Vec::new()).await;
    assert!(matches!(r, Err(RecordError::Malformed { line: 2, .. })));
}

#[tokio::test]
async fn the_sql_timeline_reads_entry_by_entry() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("s-1", RecordingKind::Sql).await.unwrap();
    let mut rec = SqlRecorder::start(w, &sql_header("s-1"), 10).await.unwrap();
    for (t, sql) in [(0.5, "SELECT 1"), (1.5, "SELECT 2")] {
        let event = SqlEvent {
            sql: sql.into(),
            row_count: 1,
            ..SqlEvent::default()
        };
        rec.statement_at(t, &event).await.unwrap();
    }
    rec.finish().await.unwrap();

    let mut timeline = SqlTimeline::new(store.open("s-1").await.unwrap());
    assert!(matches!(
        timeline.next_entry().await.unwrap(),
        Some(TimelineEntry::Header { .. })
    ));
    let mut statements = Vec::new();
    while let Some(entry) = timeline.next_entry().await.unwrap() {
        let TimelineEntry::Statement(s) = entry else {
            panic!("not a statement: {entry:?}");
        };
        statements.push((s.t, s.sql));
    }
    assert_eq!(
        statements,
        [(0.5, "SELECT 1".to_owned()), (1.5, "SELECT 2".to_owned())]
    );
}

#[tokio::test]
async fn following_reads_appended_events_until_the_recording_is_finished() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store
        .create("live-1", RecordingKind::Terminal)
        .await
        .unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.output_at(0.0, b"first ").await.unwrap();
    rec.flush().await.unwrap();

    // A plain open sees only what is written so far and ends there.
    let now = common::text(&store, "live-1").await;
    assert!(now.ends_with("[0.0,\"o\",\"first \"]\n"), "{now}");

    let followed = store.follow("live-1", POLL).await.unwrap();
    let fast = PlayOptions {
        speed: 100.0,
        max_idle: None,
    };
    let player = tokio::spawn(async move {
        let mut out = Vec::new();
        play_asciicast(followed, fast, &mut out).await.map(|_| out)
    });
    for (i, word) in ["second ", "third"].iter().enumerate() {
        tokio::time::sleep(POLL * 5).await;
        assert!(!player.is_finished(), "stopped before the recording ended");
        rec.output_at(0.1 * (i + 1) as f64, word.as_bytes())
            .await
            .unwrap();
        rec.flush().await.unwrap();
    }
    rec.finish().await.unwrap();
    let out = timeout(BOUND, player).await.unwrap().unwrap().unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "first second third");
}

#[tokio::test]
async fn following_a_finished_or_removed_recording_ends() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store
        .create("done-1", RecordingKind::Terminal)
        .await
        .unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.output_at(0.0, b"x").await.unwrap();
    rec.finish().await.unwrap();
    let mut all = String::new();
    let mut r = store.follow("done-1", POLL).await.unwrap();
    timeout(BOUND, r.read_to_string(&mut all))
        .await
        .unwrap()
        .unwrap();
    assert!(all.ends_with("[0.0,\"o\",\"x\"]\n"));

    // An unfinished recording that retention (or an operator) deletes ends the follow too.
    let w = store
        .create("gone-1", RecordingKind::Terminal)
        .await
        .unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.flush().await.unwrap();
    let mut r = store.follow("gone-1", POLL).await.unwrap();
    store.remove("gone-1").await.unwrap();
    let mut all = String::new();
    timeout(BOUND, r.read_to_string(&mut all))
        .await
        .unwrap()
        .unwrap();
    assert!(all.starts_with("{\"version\":2"), "{all}");
    drop(rec);

    let missing = store.follow("never-1", POLL).await;
    assert!(matches!(missing, Err(RecordError::NotFound(_))));
}
