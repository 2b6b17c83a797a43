#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Terminal recordings: asciicast v2 output and timed playback.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use warden_record::{
    AsciicastHeader, AsciicastRecorder, PlayOptions, RecordError, RecordingKind, RecordingLimits,
    RecordingStore, play_asciicast,
};

fn header() -> AsciicastHeader {
    AsciicastHeader {
        width: 80,
        height: 24,
        timestamp: 1_795_000_000,
        env: BTreeMap::from([("TERM".into(), "xterm-256color".into())]),
    }
}

#[tokio::test]
async fn output_is_asciicast_v2_json_lines_and_keeps_split_characters_whole() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("t-1", RecordingKind::Terminal).await.unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.input_at(0.5, b"ls\r").await.unwrap();
    let euro = "€".as_bytes(); // three bytes, split across two reads
    rec.output_at(0.75, &[b"price: ".as_slice(), &euro[..2]].concat())
        .await
        .unwrap();
    rec.output_at(0.8, &euro[2..]).await.unwrap();
    rec.finish().await.unwrap();

    let text = common::text(&store, "t-1").await;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(lines[0]["width"], 80);
    assert_eq!(lines[0]["height"], 24);
    assert_eq!(lines[0]["timestamp"], 1_795_000_000);
    assert_eq!(lines[0]["env"]["TERM"], "xterm-256color");
    assert_eq!(lines[1], serde_json::json!([0.5, "i", "ls\r"]));
    assert_eq!(lines[2], serde_json::json!([0.75, "o", "price: "]));
    assert_eq!(lines[3], serde_json::json!([0.8, "o", "€"]));
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn playback_at_high_speed_writes_all_output_quickly() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("t-2", RecordingKind::Terminal).await.unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.output_at(1.0, b"one ").await.unwrap();
    rec.input_at(2.0, b"typed").await.unwrap();
    rec.output_at(10.0, b"two ").await.unwrap();
    rec.output_at(3600.0, b"three").await.unwrap();
    rec.finish().await.unwrap();

    let mut out = Vec::new();
    let start = Instant::now();
    let options = PlayOptions {
        speed: 1000.0,
        max_idle: Some(Duration::from_secs(2)),
    };
    let stats = play_asciicast(store.open("t-2").await.unwrap(), options, &mut out)
        .await
        .unwrap();
    let took = start.elapsed();
    assert_eq!(String::from_utf8(out).unwrap(), "one two three");
    assert_eq!(stats.events, 3);
    assert_eq!(stats.bytes, 13);
    // Real time would be an hour; capped at 2 s per pause and sped up 1000x it is ~5 ms.
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test]
async fn playback_honours_timestamps_at_normal_speed() {
    let input: &[u8] =
        b"{\"version\":2,\"width\":80,\"height\":24}\n[0.2,\"o\",\"a\"]\n[0.4,\"o\",\"b\"]\n";
    let mut out = Vec::new();
    let start = Instant::now();
    play_asciicast(input, PlayOptions::default(), &mut out)
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert_eq!(out, b"ab");
}

#[tokio::test]
async fn playback_rejects_bad_speed_and_non_asciicast_input() {
    let bad = PlayOptions {
        speed: 0.0,
        max_idle: None,
    };
    let r = play_asciicast(&b""[..], bad, Vec::new()).await;
    assert!(matches!(r, Err(RecordError::InvalidOption(_))));
    let r = play_asciicast(
        &b"{\"version\":1}\n"[..],
        PlayOptions::default(),
        Vec::new(),
    )
    .await;
    assert!(matches!(r, Err(RecordError::Malformed { line: 1, .. })));
}

#[tokio::test]
async fn invalid_bytes_become_replacement_characters_without_losing_a_split_one() {
    let (_dir, store) = common::store(RecordingLimits::default()).await;
    let w = store.create("t-3", RecordingKind::Terminal).await.unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.output_at(0.1, b"\xffa\xe2\x82").await.unwrap();
    rec.output_at(0.2, b"\xac").await.unwrap();
    rec.finish().await.unwrap();
    let text = common::text(&store, "t-3").await;
    let events: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        events,
        [
            serde_json::json!([0.1, "o", "\u{fffd}a"]),
            serde_json::json!([0.2, "o", "€"])
        ]
    );
}

#[tokio::test]
async fn a_truncated_terminal_recording_ends_with_a_marker_and_still_plays() {
    let limits = RecordingLimits {
        max_bytes: 200,
        ..RecordingLimits::default()
    };
    let (_dir, store) = common::store(limits).await;
    let w = store.create("t-4", RecordingKind::Terminal).await.unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    for i in 0..20 {
        rec.output_at(f64::from(i) * 0.01, b"0123456789")
            .await
            .unwrap();
    }
    let done = rec.finish().await.unwrap();
    assert!(done.truncated);

    let text = common::text(&store, "t-4").await;
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last[1], "m");
    assert!(last[2].as_str().unwrap().contains("truncated"));
    assert_eq!(text.matches("\"m\"").count(), 1, "a single marker");

    let mut out = Vec::new();
    let fast = PlayOptions {
        speed: 100.0,
        max_idle: None,
    };
    let stats = play_asciicast(store.open("t-4").await.unwrap(), fast, &mut out)
        .await
        .unwrap();
    assert!(stats.events > 0 && stats.events < 20);
    assert_eq!(out.len(), stats.events * 10);
}
