#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Retention by age and by total size, never touching an unfinished recording.

mod common;

use std::time::{Duration, SystemTime};

use warden_record::{
    FileRecordingStore, RecordingKind, RecordingLimits, RecordingStore, RecordingWriter,
    RemovalReason, Retention, apply_retention,
};

const HOUR: Duration = Duration::from_secs(3600);

/// A finished recording of `size` bytes whose file was last modified `age` before `now`.
async fn finished(
    store: &FileRecordingStore,
    session: &str,
    size: usize,
    age: Duration,
    now: SystemTime,
) {
    let mut w = store.create(session, RecordingKind::Sql).await.unwrap();
    w.append(&vec![b'x'; size]).await.unwrap();
    w.finish().await.unwrap();
    let f = std::fs::File::options()
        .append(true)
        .open(store.finished_path(session, RecordingKind::Sql))
        .unwrap();
    f.set_modified(now - age).unwrap();
}

/// An unfinished recording of `size` bytes, last modified `age` before `now`.
async fn unfinished(
    store: &FileRecordingStore,
    session: &str,
    size: usize,
    age: Duration,
    now: SystemTime,
) -> Box<dyn RecordingWriter> {
    let mut w = store
        .create(session, RecordingKind::Terminal)
        .await
        .unwrap();
    w.append(&vec![b'y'; size]).await.unwrap();
    w.flush().await.unwrap();
    let f = std::fs::File::options()
        .append(true)
        .open(store.part_path(session, RecordingKind::Terminal))
        .unwrap();
    f.set_modified(now - age).unwrap();
    w
}

fn sessions(store_list: &[warden_record::RecordingInfo]) -> Vec<&str> {
    store_list.iter().map(|r| r.session.as_str()).collect()
}

#[tokio::test]
async fn age_removes_old_finished_recordings_only() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let now = SystemTime::now();
    finished(&store, "old", 10, 48 * HOUR, now).await;
    finished(&store, "new", 10, HOUR, now).await;
    let _live = unfinished(&store, "live", 10, 72 * HOUR, now).await;

    let retention = Retention {
        max_age: Some(24 * HOUR),
        max_total_bytes: None,
    };
    let removed = apply_retention(&store, &retention, now).await.unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].session, "old");
    assert_eq!(removed[0].reason, RemovalReason::Age);
    assert_eq!(removed[0].size, 10);
    assert_eq!(sessions(&store.list().await.unwrap()), ["live", "new"]);
}

#[tokio::test]
async fn size_removes_oldest_finished_first_and_spares_unfinished() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let now = SystemTime::now();
    finished(&store, "a", 100, 5 * HOUR, now).await;
    finished(&store, "b", 100, 4 * HOUR, now).await;
    finished(&store, "c", 100, 3 * HOUR, now).await;
    let _live = unfinished(&store, "live", 150, 10 * HOUR, now).await;

    // 450 bytes in total; 260 allowed: drop a (350), then b (250). live is oldest but unfinished.
    let retention = Retention {
        max_age: None,
        max_total_bytes: Some(260),
    };
    let removed = apply_retention(&store, &retention, now).await.unwrap();
    let names: Vec<&str> = removed.iter().map(|r| r.session.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(removed.iter().all(|r| r.reason == RemovalReason::Size));
    assert_eq!(sessions(&store.list().await.unwrap()), ["c", "live"]);

    // Only the unfinished one is left over budget: nothing more is removed.
    let tight = Retention {
        max_age: Some(Duration::ZERO),
        max_total_bytes: Some(1),
    };
    let removed = apply_retention(&store, &tight, now + HOUR).await.unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].session, "c");
    assert_eq!(sessions(&store.list().await.unwrap()), ["live"]);
}
