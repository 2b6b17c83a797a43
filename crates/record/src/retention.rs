//! Deleting old finished recordings by age and total size.

use std::time::{Duration, SystemTime};

use crate::{RecordError, RecordingInfo, RecordingKind, RecordingStore};

/// How long and how much to keep; `None` means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Finished recordings last written longer ago than this are deleted.
    pub max_age: Option<Duration>,
    /// Oldest finished recordings are deleted until all recordings together fit.
    pub max_total_bytes: Option<u64>,
}

/// Which limit caused a recording to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Older than `max_age`.
    Age,
    /// Needed to bring the total under `max_total_bytes`.
    Size,
}

/// A recording that retention deleted, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedRecording {
    /// The session it belonged to.
    pub session: String,
    /// Its format.
    pub kind: RecordingKind,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
    /// Which limit removed it.
    pub reason: RemovalReason,
}

/// Deletes finished recordings, oldest first, that break `retention`; never an unfinished one
/// (unfinished ones still count towards the total). Returns what it deleted.
pub async fn apply_retention(
    store: &dyn RecordingStore,
    retention: &Retention,
    now: SystemTime,
) -> Result<Vec<RemovedRecording>, RecordError> {
    let all = store.list().await?;
    let mut total: u64 = all.iter().map(|r| r.size).sum();
    let mut finished: Vec<RecordingInfo> = all.into_iter().filter(|r| r.finished).collect();
    finished.sort_by(|a, b| a.modified.cmp(&b.modified).then(a.session.cmp(&b.session)));

    let mut removed = Vec::new();
    for info in finished {
        let too_old = retention
            .max_age
            .is_some_and(|max| now.duration_since(info.modified).is_ok_and(|age| age > max));
        let too_big = retention.max_total_bytes.is_some_and(|max| total > max);
        let reason = if too_old {
            RemovalReason::Age
        } else if too_big {
            RemovalReason::Size
        } else {
            continue;
        };
        match store.remove(&info.session).await {
            Ok(()) => {}
            // Already gone (another node or an operator): nothing to report.
            Err(RecordError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        }
        total = total.saturating_sub(info.size);
        removed.push(RemovedRecording {
            session: info.session,
            kind: info.kind,
            size: info.size,
            modified: info.modified,
            reason,
        });
    }
    Ok(removed)
}
