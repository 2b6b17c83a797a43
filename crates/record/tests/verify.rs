#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Verifying a recording against the hash from the audit chain.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};

use warden_record::{
    RecordingKind, RecordingLimits, RecordingMismatch, RecordingStore, verify_recording,
};

#[tokio::test]
async fn an_untouched_recording_verifies_and_one_edited_byte_is_detected() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let mut w = store.create("v-1", RecordingKind::Terminal).await.unwrap();
    w.append(b"{\"version\":2}\n[0.1,\"o\",\"hello\"]\n")
        .await
        .unwrap();
    let done = w.finish().await.unwrap();
    verify_recording(&store, "v-1", &done.sha256_hex)
        .await
        .unwrap();

    let path = store.finished_path("v-1", RecordingKind::Terminal);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut byte = [0u8];
    f.seek(SeekFrom::Start(20)).unwrap();
    f.read_exact(&mut byte).unwrap();
    f.seek(SeekFrom::Start(20)).unwrap();
    f.write_all(&[byte[0] ^ 0x01]).unwrap();
    drop(f);

    match verify_recording(&store, "v-1", &done.sha256_hex).await {
        Err(RecordingMismatch::Altered {
            expected, actual, ..
        }) => {
            assert_eq!(expected, done.sha256_hex);
            assert_ne!(actual, done.sha256_hex);
        }
        other => panic!("expected Altered, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deleted_recording_is_reported_missing() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let mut w = store.create("v-2", RecordingKind::Sql).await.unwrap();
    w.append(b"{}\n").await.unwrap();
    let done = w.finish().await.unwrap();
    std::fs::remove_file(store.finished_path("v-2", RecordingKind::Sql)).unwrap();
    let err = verify_recording(&store, "v-2", &done.sha256_hex)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RecordingMismatch::Missing { ref session } if session == "v-2"),
        "{err:?}"
    );
    assert!(err.to_string().contains("missing"));
}
