//! `warden audit verify|search`.

use crate::cli::{AuditCommand, AuditQuery};
use crate::state;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::process::ExitCode;
use warden_store::AuditFilter;

/// Verifies the chains (exit 0 intact, 1 broken) or prints matching events as JSON lines.
pub async fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { config, keys } => {
            let config = state::load_config(&config.config)?;
            let store = state::open_store(&config).await?;
            let mut trusted = Vec::new();
            for key in &keys {
                trusted.push(warden_store::audit::load_verifying_key(key)?);
            }
            let own = state::data_dir(&config).join(warden_store::audit::VERIFYING_KEY_FILE);
            if keys.is_empty() && own.is_file() {
                trusted.push(warden_store::audit::load_verifying_key(&own)?);
            }
            let recordings = super::sessions::verify_recordings(&config, store.as_ref()).await?;
            match warden_store::audit::verify_with_keys(store.as_ref(), &trusted).await {
                Ok(_) if !recordings.failures.is_empty() => {
                    for failure in &recordings.failures {
                        eprintln!("audit log verification FAILED: {failure}");
                    }
                    Ok(ExitCode::FAILURE)
                }
                Ok(report) => {
                    println!(
                        "{} session recordings match the SHA-256 in the audit log",
                        recordings.checked
                    );
                    for node in &report.nodes {
                        println!(
                            "node {}: {} events intact, last seq {}, {} signed checkpoints verified",
                            node.node, node.events, node.last_seq, node.checkpoints
                        );
                    }
                    if report.nodes.is_empty() {
                        println!("the audit log is empty");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(failure) => {
                    eprintln!("audit log verification FAILED: {failure}");
                    if keys.is_empty() && failure.to_string().contains("not a trusted audit key") {
                        eprintln!(
                            "hint: only this node's key ({}) is trusted by default; in a cluster pass every node's audit-signing.pub with --key",
                            own.display()
                        );
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::Search(query) => search(query).await,
    }
}

async fn search(query: AuditQuery) -> anyhow::Result<ExitCode> {
    let config = state::load_config(&query.config.config)?;
    let store = state::open_store(&config).await?;
    let filter = AuditFilter {
        identity: query.identity,
        connection: query.connection,
        action: query.action,
        verdict: query.verdict,
        kind: query.kind,
        since: query.since.as_deref().map(when).transpose()?,
        until: query.until.as_deref().map(when).transpose()?,
        limit: Some(query.limit),
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for event in warden_store::audit::search(store.as_ref(), &filter).await? {
        let line = serde_json::to_string(&event)?;
        match writeln!(out, "{line}") {
            Ok(()) => {}
            // The reader went away (`| head`): stop quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An RFC 3339 time, or a duration meaning that long ago (`90m`, `2d`).
fn when(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let ago = humantime::parse_duration(text)
        .with_context(|| format!("{text:?} is neither an RFC 3339 time nor a duration like 1h"))?;
    Ok(Utc::now() - chrono::Duration::from_std(ago)?)
}
