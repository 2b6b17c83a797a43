//! `warden sessions list` and `warden replay`, from the audit log and the session recordings;
//! and the recording check `warden audit verify` runs.

use crate::cli::{ConfigArg, SessionsCommand};
use crate::state;
use anyhow::Context;
use std::process::ExitCode;
use warden_record::{
    FileRecordingStore, RecordingLimits, RecordingStore, TimelineEntry, sql_timeline,
    verify_recording,
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
        "SESSION", "IDENTITY", "CONNECTION", "STARTED", "STATEMENTS"
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
            end.map_or("open".into(), |e| e.record.detail["statements"].to_string()),
            end.and_then(|e| e.record.detail["recording"]["bytes"].as_u64())
                .map_or("-".into(), |b| format!("{b} bytes")),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `warden replay SESSION`: a SQL session as a readable timeline.
pub async fn replay(config: ConfigArg, session: String) -> anyhow::Result<ExitCode> {
    let config = state::load_config(&config.config)?;
    let recordings = open(&config).await?;
    let reader = recordings
        .open(&session)
        .await
        .with_context(|| format!("no recording of session {session}"))?;
    for entry in sql_timeline(reader).await? {
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
    Ok(ExitCode::SUCCESS)
}

async fn open(config: &warden_config::Config) -> anyhow::Result<Box<dyn RecordingStore>> {
    let store = FileRecordingStore::open(&state::data_dir(config), RecordingLimits::default())
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
