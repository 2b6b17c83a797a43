//! `warden replay` on terminal recordings: the exact output bytes, `--speed` and `--max-idle`
//! in elapsed time, and `--follow` on a recording still being written; SQL recordings still
//! print as a timeline. No gateway writes terminal recordings yet, so the tests write them
//! through the same store and recorder a gateway would use, into the data dir of the config the
//! CLI reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::time::timeout;
use warden_record::{
    AsciicastHeader, AsciicastRecorder, FileRecordingStore, RecordingKind, RecordingLimits,
    RecordingStore, SqlEvent, SqlHeader, SqlRecorder,
};

/// Every wait in these tests ends within this.
const BOUND: Duration = Duration::from_secs(30);

/// A config dir whose data dir holds the recordings, and a store writing there.
async fn setup() -> (tempfile::TempDir, FileRecordingStore) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("warden.toml"),
        "[gateway]\ndata_dir = \"data\"\nnode = \"replay-test\"\n",
    )
    .unwrap();
    let store = FileRecordingStore::open(&dir.path().join("data"), RecordingLimits::default())
        .await
        .unwrap();
    (dir, store)
}

fn header() -> AsciicastHeader {
    AsciicastHeader {
        width: 80,
        height: 24,
        timestamp: 1_795_000_000,
        env: BTreeMap::from([("TERM".into(), "xterm-256color".into())]),
    }
}

fn warden(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
    cmd.args(["replay", "-c", "warden.toml"])
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs `warden replay ARGS` to the end; returns stdout and how long it took.
async fn replay(dir: &Path, args: &[&str]) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let out = timeout(BOUND, warden(dir, args).output())
        .await
        .expect("replay did not finish")
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "warden replay {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, took)
}

/// Output events with 2 s of recorded gaps between them (1 s, then 1 s), input events between
/// them, and a character split across two writes.
const CHUNKS: [(f64, &[u8]); 5] = [
    (0.0, b"$ "),
    (1.0, b"ls\r\nw\xc3"),
    (1.0, b"\xb6rld.txt\r\n"),
    (2.0, b"\x1b[1;32mdone\x1b[0m\r\n"),
    (2.0, b"$ "),
];

async fn record_session(store: &FileRecordingStore, session: &str) -> Vec<u8> {
    let w = store
        .create(session, RecordingKind::Terminal)
        .await
        .unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    let mut expected = Vec::new();
    for (i, (t, bytes)) in CHUNKS.iter().enumerate() {
        rec.output_at(*t, bytes).await.unwrap();
        rec.input_at(*t + 0.01, format!("key{i}").as_bytes())
            .await
            .unwrap();
        expected.extend_from_slice(bytes);
    }
    rec.finish().await.unwrap();
    expected
}

#[tokio::test]
async fn a_terminal_recording_replays_its_output_bytes_and_speed_scales_the_pauses() {
    let (dir, store) = setup().await;
    let expected = record_session(&store, "term-1").await;
    assert!(
        String::from_utf8(expected.clone())
            .unwrap()
            .contains("wörld")
    );

    // At recorded speed with no cap the two 1 s gaps are kept: at least 2 s.
    let (out, slow) = replay(dir.path(), &["term-1", "--max-idle", "inf"]).await;
    assert_eq!(out, expected, "{}", String::from_utf8_lossy(&out));
    assert!(slow >= Duration::from_secs(2), "took {slow:?}");

    // Twenty times as fast: 0.1 s of pauses, far below the 2 s recorded.
    let (out, fast) = replay(
        dir.path(),
        &["term-1", "--speed", "20", "--max-idle", "inf"],
    )
    .await;
    assert_eq!(out, expected);
    assert!(fast >= Duration::from_millis(100), "took {fast:?}");
    assert!(fast < Duration::from_millis(1800), "took {fast:?}");

    // Recorded speed, pauses capped at 0.3 s: 0.6 s.
    let (out, capped) = replay(dir.path(), &["term-1", "--max-idle", "0.3"]).await;
    assert_eq!(out, expected);
    assert!(capped >= Duration::from_millis(600), "took {capped:?}");
    assert!(capped < Duration::from_millis(1800), "took {capped:?}");
}

#[tokio::test]
async fn bad_options_and_unknown_sessions_are_refused() {
    let (dir, store) = setup().await;
    record_session(&store, "term-2").await;
    for args in [
        &["term-2", "--speed", "0"][..],
        &["term-2", "--speed", "NaN"],
        &["term-2", "--speed=-1"],
        &["term-2", "--max-idle=-0.5"],
        &["no-such-session"],
    ] {
        let out = timeout(BOUND, warden(dir.path(), args).output())
            .await
            .unwrap()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--speed") || err.contains("--max-idle") || err.contains("no recording"),
            "{args:?}: {err}"
        );
    }
}

/// Reads the child's stdout until it has printed `want` (bounded).
async fn read_until(stdout: &mut tokio::process::ChildStdout, seen: &mut Vec<u8>, want: &[u8]) {
    timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        while !seen.windows(want.len()).any(|w| w == want) {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "stdout closed early: {}",
                String::from_utf8_lossy(seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "never printed {want:?}: {:?}",
            String::from_utf8_lossy(seen)
        )
    });
}

#[tokio::test]
async fn follow_plays_a_live_recording_as_it_is_written_until_it_is_finished() {
    let (dir, store) = setup().await;
    let w = store
        .create("live-1", RecordingKind::Terminal)
        .await
        .unwrap();
    let mut rec = AsciicastRecorder::start(w, &header()).await.unwrap();
    rec.output_at(0.0, b"first\r\n").await.unwrap();
    rec.flush().await.unwrap();

    let mut child = warden(dir.path(), &["live-1", "--follow", "--speed", "10"])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    read_until(&mut stdout, &mut seen, b"first\r\n").await;

    // The session goes on: each event shows up while the recording is still open.
    for (i, line) in ["second\r\n", "third\r\n"].iter().enumerate() {
        assert!(child.try_wait().unwrap().is_none(), "replay exited early");
        rec.output_at(0.5 * (i + 1) as f64, line.as_bytes())
            .await
            .unwrap();
        rec.flush().await.unwrap();
        read_until(&mut stdout, &mut seen, line.as_bytes()).await;
    }

    // The last event and the end of the session arrive together, from another task.
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        rec.output_at(1.5, b"bye\r\n").await.unwrap();
        rec.finish().await.unwrap();
    });
    let status = timeout(BOUND, child.wait())
        .await
        .expect("replay --follow did not exit after the recording was finished")
        .unwrap();
    writer.await.unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    seen.extend_from_slice(&rest);
    assert!(status.success());
    assert_eq!(
        String::from_utf8(seen).unwrap(),
        "first\r\nsecond\r\nthird\r\nbye\r\n"
    );
}

#[tokio::test]
async fn sql_recordings_still_print_as_a_timeline_and_can_be_followed() {
    let (dir, store) = setup().await;
    let w = store.create("sql-1", RecordingKind::Sql).await.unwrap();
    let header = SqlHeader {
        session: "sql-1".into(),
        identity: "ada".into(),
        connection: "pg-prod".into(),
        started: chrono::Utc::now(),
    };
    let mut rec = SqlRecorder::start(w, &header, 10).await.unwrap();
    let select = SqlEvent {
        sql: "SELECT id FROM t".into(),
        columns: ["id".to_owned()].into(),
        rows: vec![vec![Some("7".into())]],
        row_count: 1,
        ..SqlEvent::default()
    };
    rec.statement_at(0.25, &select).await.unwrap();
    rec.flush().await.unwrap();

    let mut child = warden(dir.path(), &["sql-1", "--follow"]).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    read_until(&mut stdout, &mut seen, b"(1 rows,").await;
    assert!(child.try_wait().unwrap().is_none(), "replay exited early");
    let failed = SqlEvent {
        sql: "DELETE FROM t".into(),
        error: Some("permission denied".into()),
        ..SqlEvent::default()
    };
    rec.statement_at(1.0, &failed).await.unwrap();
    rec.finish().await.unwrap();
    let status = timeout(BOUND, child.wait()).await.unwrap().unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    seen.extend_from_slice(&rest);
    assert!(status.success());
    let text = String::from_utf8(seen).unwrap();
    assert!(
        text.starts_with("session sql-1 by ada on pg-prod"),
        "{text}"
    );
    assert!(
        text.contains("SELECT id FROM t\n             id\n             7\n"),
        "{text}"
    );
    assert!(
        text.contains("DELETE FROM t\n             ERROR: permission denied"),
        "{text}"
    );

    // Without --follow a finished SQL recording prints the same timeline.
    let (out, _) = replay(dir.path(), &["sql-1"]).await;
    assert_eq!(String::from_utf8(out).unwrap(), text);
}
