#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The file store: round trip, permissions, finish marking, listing, truncation.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use sha2::{Digest, Sha256};
use warden_record::{RecordError, RecordingKind, RecordingLimits, RecordingStore};

#[tokio::test]
async fn round_trip_keeps_bytes_and_reports_their_hash() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let mut w = store.create("s-1", RecordingKind::Sql).await.unwrap();
    let part = store.part_path("s-1", RecordingKind::Sql);
    let mode = std::fs::metadata(&part).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "recording must be private to the gateway user"
    );

    w.append(b"{\"a\":1}\n").await.unwrap();
    w.append(b"{\"b\":2}\n").await.unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        !listed[0].finished,
        "an open recording is listed as unfinished"
    );

    let done = w.finish().await.unwrap();
    let expected = b"{\"a\":1}\n{\"b\":2}\n";
    assert_eq!(done.session, "s-1");
    assert_eq!(done.bytes, expected.len() as u64);
    assert_eq!(done.sha256_hex, hex::encode(Sha256::digest(expected)));
    assert!(!done.truncated);
    assert!(!part.exists(), "finish renames the .part file away");
    assert!(store.finished_path("s-1", RecordingKind::Sql).exists());

    assert_eq!(common::bytes(&store, "s-1").await, expected);
    let listed = store.list().await.unwrap();
    assert_eq!(listed[0].kind, RecordingKind::Sql);
    assert_eq!(listed[0].size, expected.len() as u64);
    assert!(listed[0].finished);
}

#[tokio::test]
async fn a_session_is_recorded_once_and_names_cannot_escape_the_directory() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("s-2", RecordingKind::Terminal).await.unwrap();
    w.finish().await.unwrap();
    let again = store.create("s-2", RecordingKind::Sql).await;
    assert!(matches!(again, Err(RecordError::AlreadyExists(_))));
    for bad in ["../x", "a/b", "", ".hidden"] {
        let r = store.create(bad, RecordingKind::Sql).await;
        assert!(matches!(r, Err(RecordError::InvalidSession(_))), "{bad:?}");
    }
}

#[tokio::test]
async fn remove_deletes_and_then_reports_not_found() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("s-3", RecordingKind::Sql).await.unwrap();
    w.finish().await.unwrap();
    store.remove("s-3").await.unwrap();
    assert!(store.list().await.unwrap().is_empty());
    assert!(matches!(
        store.remove("s-3").await,
        Err(RecordError::NotFound(_))
    ));
    assert!(matches!(
        store.open("s-3").await,
        Err(RecordError::NotFound(_))
    ));
}

#[tokio::test]
async fn buffered_events_reach_the_file_by_flush_bytes_before_finish() {
    let (_dir, store) = common::store(common::small_limits(1 << 20)).await;
    let mut w = store.create("s-4", RecordingKind::Sql).await.unwrap();
    let line = [b'x'; 200];
    w.append(&line).await.unwrap();
    // flush_bytes is 64: a 200-byte event cannot stay in memory, so a crash now loses nothing.
    let on_disk = std::fs::metadata(store.part_path("s-4", RecordingKind::Sql)).unwrap();
    assert_eq!(on_disk.len(), 200);
    w.append(b"y\n").await.unwrap();
    w.flush().await.unwrap();
    let on_disk = std::fs::metadata(store.part_path("s-4", RecordingKind::Sql)).unwrap();
    assert_eq!(on_disk.len(), 202);
}

#[tokio::test]
async fn max_bytes_drops_later_events_after_one_marker() {
    let (_dir, store) = common::store(common::small_limits(100)).await;
    let mut w = store.create("s-5", RecordingKind::Sql).await.unwrap();
    let event = b"{\"t\":1.5,\"type\":\"statement\",\"sql\":\"select 1\"}\n"; // 47 bytes
    w.append(event).await.unwrap();
    w.append(event).await.unwrap();
    w.append(event).await.unwrap(); // would reach 141 > 100
    w.append(event).await.unwrap();
    let done = w.finish().await.unwrap();
    assert!(done.truncated);

    let text = String::from_utf8(common::bytes(&store, "s-5").await).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "two events and one marker: {text}");
    assert_eq!(lines[0].as_bytes(), &event[..event.len() - 1]);
    let marker: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(marker["type"], "truncated");
    assert_eq!(marker["t"], 1.5);
    assert_eq!(marker["max_bytes"], 100);
    assert_eq!(done.bytes, text.len() as u64);
}

#[tokio::test]
async fn an_idle_session_is_flushed_by_the_interval_without_further_events() {
    let limits = RecordingLimits {
        flush_interval: Duration::from_millis(50),
        ..RecordingLimits::default()
    };
    let (_dir, store) = common::store(limits).await;
    let mut w = store.create("s-6", RecordingKind::Terminal).await.unwrap();
    w.append(b"[0.1,\"o\",\"x\"]\n").await.unwrap();
    let part = store.part_path("s-6", RecordingKind::Terminal);
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 0, "still buffered");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 14);
    let done = w.finish().await.unwrap();
    assert_eq!(done.bytes, 14);
}

#[tokio::test]
async fn a_busy_session_is_flushed_by_the_interval_too() {
    let limits = RecordingLimits {
        flush_interval: Duration::from_millis(50),
        ..RecordingLimits::default()
    };
    let (_dir, store) = common::store(limits).await;
    let mut w = store.create("s-8", RecordingKind::Terminal).await.unwrap();
    let part = store.part_path("s-8", RecordingKind::Terminal);
    let event = b"[0.1,\"o\",\"x\"]\n";
    let mut appended = 0u64;
    let mut written = 0;
    // Far below flush_bytes: only the interval can write these out.
    for _ in 0..100 {
        w.append(event).await.unwrap();
        appended += event.len() as u64;
        tokio::time::sleep(Duration::from_millis(5)).await;
        written = std::fs::metadata(&part).unwrap().len();
        if written > 0 {
            break;
        }
    }
    assert!(written > 0, "nothing written after {appended} bytes");
    assert_eq!(written % event.len() as u64, 0, "whole events only");
    let done = w.finish().await.unwrap();
    assert_eq!(done.bytes, appended);
}

#[tokio::test]
async fn try_append_buffers_what_needs_no_io_and_leaves_the_rest_to_append() {
    // flush_bytes 64, max_bytes 100.
    let (_dir, store) = common::store(common::small_limits(100)).await;
    let mut w = store.create("s-7", RecordingKind::Sql).await.unwrap();
    let part = store.part_path("s-7", RecordingKind::Sql);
    assert!(
        w.try_append(b"{\"a\":1}\n").unwrap(),
        "8 bytes fit the buffer"
    );
    assert_eq!(
        std::fs::metadata(&part).unwrap().len(),
        0,
        "buffered, not written"
    );
    let mut big = vec![b'x'; 59];
    big.push(b'\n');
    assert!(
        !w.try_append(&big).unwrap(),
        "68 buffered bytes must be flushed"
    );
    w.append(&big).await.unwrap();
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 68);
    assert!(
        !w.try_append(&big).unwrap(),
        "past max_bytes: the marker is append's"
    );
    w.append(&big).await.unwrap();
    assert!(
        w.try_append(b"{}\n").unwrap(),
        "dropped after the marker, as append does"
    );
    let done = w.finish().await.unwrap();
    assert!(done.truncated);
    let bytes = common::bytes(&store, "s-7").await;
    assert_eq!(done.sha256_hex, hex::encode(Sha256::digest(&bytes)));
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 3, "two events and the marker: {text}");
}
