//! `warden sessions list` and `warden replay`, from the audit log and the session recordings;
//! and the recording check `warden audit verify` runs.

use crate::cli::{ReplayArgs, SessionsCommand};
use crate::state;
use anyhow::Context;
use std::process::ExitCode;
use std::time::Duration;
use warden_record::{
    FileRecordingStore, PlayOptions, RecordingKind, RecordingReader, RecordingStore, SqlTimeline,
    TimelineEntry, detect_kind, play_asciicast, verify_recording,
};
use warden_store::{AuditFilter, ChainedEvent, Store};

/// Largest number of session events read for a listing or a check.
const MAX_EVENTS: u32 = 1_000_000;

/// What checking the recordings found.
pub struct RecordingCheck {
    /// Recordings whose hash was compared.
    pub checked: usize,
    /// One sentence per recording altered or missing.
    pub failures: Vec<String>,
}

/// Compares every finished recording with the SHA-256 its session's end event holds.
pub async fn verify_recordings(
    config: &warden_config::Config,
    store: &dyn Store,
) -> anyhow::Result<RecordingCheck> {
    let recordings = open(config).await?;
    let ends = events(store, "session_end", None, None).await?;
    // Recordings that retention deleted (and audited) are expected to be gone.
    let deleted: std::collections::HashSet<String> = events(store, "admin_change", None, None)
        .await?
        .into_iter()
        .filter(|e| e.record.detail["change"] == "recording_deleted")
        .filter_map(|e| e.record.session)
        .collect();
    let mut check = RecordingCheck {
        checked: 0,
        failures: Vec::new(),
    };
    for end in ends {
        let (Some(session), Some(sha)) = (
            end.record.session.as_deref(),
            end.record.detail["recording"]["sha256"].as_str(),
        ) else {
            continue;
        };
        if deleted.contains(session) {
            continue;
        }
        check.checked += 1;
        if let Err(mismatch) = verify_recording(recordings.as_ref(), session, sha).await {
            check
                .failures
                .push(format!("recording of session {session}: {mismatch}"));
        }
    }
    Ok(check)
}

/// Runs `warden sessions …`.
pub async fn run(command: SessionsCommand) -> anyhow::Result<ExitCode> {
    let SessionsCommand::List {
        config,
        identity,
        connection,
        since,
    } = command;
    let config = state::load_config(&config.config)?;
    let store = state::open_store(&config).await?;
    let since =
        since.map(|d| chrono::Utc::now() - chrono::Duration::from_std(*d).unwrap_or_default());
    let ends: std::collections::HashMap<String, ChainedEvent> = events(
        store.as_ref(),
        "session_end",
        identity.clone(),
        connection.clone(),
    )
    .await?
    .into_iter()
    .filter_map(|e| e.record.session.clone().map(|s| (s, e)))
    .collect();
    println!(
        "{:<36}  {:<16}  {:<14}  {:<20}  {:<10}  RECORDING",
        "SESSION", "IDENTITY", "CONNECTION", "STARTED", "REQUESTS"
    );
    for start in events(store.as_ref(), "session_start", identity, connection).await? {
        if since.is_some_and(|since| start.record.time < since) {
            continue;
        }
        let Some(id) = start.record.session.as_deref() else {
            continue;
        };
        let end = ends.get(id);
        println!(
            "{:<36}  {:<16}  {:<14}  {:<20}  {:<10}  {}",
            id,
            start.record.identity.as_deref().unwrap_or("-"),
            start.record.connection.as_deref().unwrap_or("-"),
            start.record.time.format("%Y-%m-%d %H:%M:%S"),
            // SQL sessions count statements, HTTP sessions exchanges.
            end.map_or("open".into(), |e| {
                let detail = &e.record.detail;
                detail
                    .get("statements")
                    .unwrap_or(&detail["exchanges"])
                    .to_string()
            }),
            end.and_then(|e| e.record.detail["recording"]["bytes"].as_u64())
                .map_or("-".into(), |b| format!("{b} bytes")),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// How often `warden replay --follow` looks for new events of a live recording.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// Runs `warden replay SESSION`: a terminal session played back to stdout at recorded speed,
/// a SQL session as a readable timeline; with `--follow`, a live one until it ends.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let options = play_options(args.speed, args.max_idle)?;
    let config = state::load_config(&args.config.config)?;
    let recordings = open(&config).await?;
    let session = &args.session;
    let reader = if args.follow {
        recordings.follow(session, FOLLOW_POLL).await
    } else {
        recordings.open(session).await
    }
    .with_context(|| format!("no recording of session {session}"))?;
    let show = async {
        let (kind, reader) = detect_kind(reader).await?;
        match kind {
            RecordingKind::Terminal => {
                play_asciicast(reader, options, std::io::stdout()).await?;
            }
            RecordingKind::Sql => print_timeline(reader).await?,
            RecordingKind::Http => super::http_replay::print_exchanges(reader).await?,
        }
        anyhow::Ok(())
    };
    tokio::select! {
        shown = show => shown.with_context(|| format!("replaying session {session}"))?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nreplay of session {session} interrupted");
            return Ok(ExitCode::from(130));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks `--speed` and `--max-idle`.
fn play_options(speed: f64, max_idle: f64) -> anyhow::Result<PlayOptions> {
    anyhow::ensure!(
        speed.is_finite() && speed > 0.0,
        "--speed must be a positive number, e.g. 2 for twice as fast"
    );
    anyhow::ensure!(
        max_idle >= 0.0,
        "--max-idle must be zero or more seconds (inf keeps every pause)"
    );
    Ok(PlayOptions {
        speed,
        max_idle: Duration::try_from_secs_f64(max_idle).ok(),
    })
}

/// Prints a SQL recording entry by entry (so a followed one shows statements as they come).
async fn print_timeline(reader: RecordingReader) -> anyhow::Result<()> {
    let mut timeline = SqlTimeline::new(reader);
    while let Some(entry) = timeline.next_entry().await? {
        match entry {
            TimelineEntry::Header { header, .. } => println!(
                "session {} by {} on {}, started {}",
                header.session, header.identity, header.connection, header.started
            ),
            TimelineEntry::Statement(s) => {
                println!("\n[{:>9.3}s] {}", s.t, s.sql.trim());
                if !s.columns.is_empty() {
                    println!("             {}", s.columns.join(" | "));
                }
                for row in &s.rows {
                    let cells: Vec<&str> =
                        row.iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
                    println!("             {}", cells.join(" | "));
                }
                match &s.error {
                    Some(error) => println!("             ERROR: {error}"),
                    None => println!(
                        "             ({} rows, {:.3} ms)",
                        s.row_count, s.duration_ms
                    ),
                }
            }
            TimelineEntry::Truncated { t, .. } => {
                println!("\n[{t:>9.3}s] (recording truncated here: size limit reached)");
            }
        }
    }
    Ok(())
}

async fn open(config: &warden_config::Config) -> anyhow::Result<Box<dyn RecordingStore>> {
    let store = FileRecordingStore::open(&state::data_dir(config), state::recording_limits(config))
        .await
        .context("opening the recordings")?;
    Ok(Box::new(store))
}

async fn events(
    store: &dyn Store,
    kind: &str,
    identity: Option<String>,
    connection: Option<String>,
) -> anyhow::Result<Vec<ChainedEvent>> {
    let filter = AuditFilter {
        kind: Some(kind.into()),
        identity,
        connection,
        limit: Some(MAX_EVENTS),
        ..AuditFilter::default()
    };
    Ok(warden_store::audit::search(store, &filter).await?)
}
