#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Recordings stored as zstd frames: read back as written, hashed as stored, readable up to a
//! crash's cut, refused when they are not zstd, and mixed with uncompressed ones in one directory.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use warden_record::{
    Compression, RecordingKind, RecordingLimits, RecordingStore, verify_recording,
};

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A statement line like the PostgreSQL gateway writes, numbered.
fn line(i: usize) -> String {
    format!(
        "{{\"t\":{i}.5,\"type\":\"statement\",\"sql\":\"SELECT abalance FROM pgbench_accounts \
         WHERE aid = {i}\",\"params\":[],\"columns\":[\"abalance\"],\"rows\":[[\"0\"]],\
         \"row_count\":1,\"duration_ms\":0.041,\"error\":null}}\n"
    )
}

fn compressed(flush_bytes: usize) -> RecordingLimits {
    RecordingLimits {
        flush_bytes,
        flush_interval: Duration::from_secs(60),
        compression: Compression::Zstd,
        ..RecordingLimits::default()
    }
}

#[tokio::test]
async fn a_compressed_recording_reads_back_as_written_and_its_hash_covers_the_file() {
    assert_eq!(RecordingLimits::default().compression, Compression::None);
    let (_dir, store) = common::store(compressed(4096)).await;
    let mut w = store.create("z-1", RecordingKind::Sql).await.unwrap();
    let part = store.part_path("z-1", RecordingKind::Sql);
    assert!(part.to_string_lossy().ends_with("z-1.jsonl.zst.part"));
    let mut expected = String::new();
    for i in 0..500 {
        let l = line(i);
        w.append(l.as_bytes()).await.unwrap();
        expected.push_str(&l);
    }
    // Flushed every 4 KiB: several frames, each readable while the session goes on.
    let so_far = common::text(&store, "z-1").await;
    assert!(!so_far.is_empty() && expected.starts_with(&so_far));
    let done = w.finish().await.unwrap();

    let path = store.finished_path("z-1", RecordingKind::Sql);
    let stored = std::fs::read(&path).unwrap();
    assert_eq!(stored[..4], ZSTD_MAGIC);
    assert!(
        stored.len() * 5 < expected.len(),
        "{} stored bytes for {} of events",
        stored.len(),
        expected.len()
    );
    assert_eq!(done.bytes, stored.len() as u64);
    assert_eq!(done.sha256_hex, hex::encode(Sha256::digest(&stored)));
    assert_eq!(common::text(&store, "z-1").await, expected);
    verify_recording(&store, "z-1", &done.sha256_hex)
        .await
        .unwrap();

    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].session.as_str(), listed[0].kind),
        ("z-1", RecordingKind::Sql)
    );
    assert!(listed[0].finished);
    assert_eq!(listed[0].size, stored.len() as u64);
}

#[tokio::test]
async fn a_recording_cut_short_by_a_crash_reads_up_to_its_last_whole_frame() {
    let (_dir, store) = common::store(compressed(1 << 20)).await;
    let mut w = store.create("z-2", RecordingKind::Sql).await.unwrap();
    w.append(line(1).as_bytes()).await.unwrap();
    w.flush().await.unwrap();
    let part = store.part_path("z-2", RecordingKind::Sql);
    let first_frame = std::fs::metadata(&part).unwrap().len();
    w.append(line(2).as_bytes()).await.unwrap();
    w.flush().await.unwrap();
    // The gateway dies while its last write is half done: the session never finishes.
    drop(w);
    let len = std::fs::metadata(&part).unwrap().len();
    assert!(len > first_frame + 8);
    let file = std::fs::OpenOptions::new().write(true).open(&part).unwrap();
    file.set_len(len - 5).unwrap();
    drop(file);
    assert_eq!(common::text(&store, "z-2").await, line(1));
}

#[tokio::test]
async fn bytes_that_are_not_zstd_are_refused_not_shown() {
    let (_dir, store) = common::store(compressed(4096)).await;
    let w = store.create("z-3", RecordingKind::Sql).await.unwrap();
    w.finish().await.unwrap();
    let path = store.finished_path("z-3", RecordingKind::Sql);
    std::fs::write(&path, b"{\"type\":\"header\"}\n").unwrap();
    let mut out = Vec::new();
    let err = store
        .open("z-3")
        .await
        .unwrap()
        .read_to_end(&mut out)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("zstd"), "{err}");
}

#[tokio::test]
async fn uncompressed_and_compressed_recordings_share_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let plain = warden_record::FileRecordingStore::open(dir.path(), RecordingLimits::default())
        .await
        .unwrap();
    let mut w = plain.create("p-1", RecordingKind::Http).await.unwrap();
    w.append(line(7).as_bytes()).await.unwrap();
    let done = w.finish().await.unwrap();
    let path = plain.finished_path("p-1", RecordingKind::Http);
    assert!(path.to_string_lossy().ends_with("p-1.http"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), line(7));

    let zstd = warden_record::FileRecordingStore::open(dir.path(), compressed(4096))
        .await
        .unwrap();
    let mut w = zstd.create("z-4", RecordingKind::Http).await.unwrap();
    w.append(line(8).as_bytes()).await.unwrap();
    w.finish().await.unwrap();
    assert!(
        matches!(
            zstd.create("p-1", RecordingKind::Http).await,
            Err(warden_record::RecordError::AlreadyExists(_))
        ),
        "a session's uncompressed recording still counts"
    );
    assert_eq!(common::text(&zstd, "p-1").await, line(7));
    assert_eq!(common::text(&zstd, "z-4").await, line(8));
    assert_eq!(common::text(&plain, "z-4").await, line(8));
    verify_recording(&zstd, "p-1", &done.sha256_hex)
        .await
        .unwrap();
    let mut sessions: Vec<_> = zstd
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.session, r.kind))
        .collect();
    sessions.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        sessions,
        [
            ("p-1".to_owned(), RecordingKind::Http),
            ("z-4".to_owned(), RecordingKind::Http)
        ]
    );
    zstd.remove("z-4").await.unwrap();
    assert!(!zstd.finished_path("z-4", RecordingKind::Http).exists());
}
