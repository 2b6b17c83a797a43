//! A timed asciicast v2 player for the CLI.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncRead;
use tokio::time::Instant;

use crate::RecordError;
use crate::lines::JsonLines;

/// How to play a terminal recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayOptions {
    /// Playback speed factor; 2.0 plays twice as fast. Must be positive.
    pub speed: f64,
    /// Longest pause between two events (before the speed factor); `None` keeps real pauses.
    pub max_idle: Option<Duration>,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            max_idle: Some(Duration::from_secs(2)),
        }
    }
}

/// What a playback wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayStats {
    /// Output events written.
    pub events: usize,
    /// Bytes written to `out`.
    pub bytes: usize,
}

/// Writes the output events of an asciicast v2 recording to `out`, pausing between them as
/// recorded (each pause capped at `max_idle`, then divided by `speed`). Input and marker events
/// are skipped: the terminal already echoed what mattered.
///
/// Each event is due at the sum of the pauses before it, counted from when playback started, so
/// time spent waiting for `reader` (a followed live recording) counts towards the next pause
/// instead of adding to it: a live session is shown as soon as its events arrive.
pub async fn play_asciicast(
    reader: impl AsyncRead + Unpin,
    options: PlayOptions,
    mut out: impl Write,
) -> Result<PlayStats, RecordError> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(RecordError::InvalidOption(
            "speed must be a positive number",
        ));
    }
    let mut lines = JsonLines::new(reader, "terminal recording");
    let mut stats = PlayStats::default();
    let mut header = true;
    let started = Instant::now();
    let mut due = Duration::ZERO;
    let mut last_t = 0.0_f64;
    while let Some(value) = lines.next_value().await? {
        if std::mem::take(&mut header) {
            if value.get("version").and_then(Value::as_u64) != Some(2) {
                return Err(lines.malformed("not an asciicast v2 header".to_owned()));
            }
            continue;
        }
        let (t, code, data): (f64, String, String) =
            serde_json::from_value(value).map_err(|e| lines.malformed(e.to_string()))?;
        if code != "o" {
            continue;
        }
        let mut pause = seconds(t - last_t);
        if let Some(cap) = options.max_idle {
            pause = pause.min(cap);
        }
        last_t = t.max(last_t);
        due = due.saturating_add(seconds(pause.as_secs_f64() / options.speed));
        if let Some(at) = started.checked_add(due) {
            tokio::time::sleep_until(at).await;
        }
        out.write_all(data.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| RecordError::io("write playback", e))?;
        stats.events += 1;
        stats.bytes += data.len();
    }
    Ok(stats)
}

/// A non-negative number of seconds as a duration (negative is zero, too large saturates).
fn seconds(s: f64) -> Duration {
    if s > 0.0 {
        Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
    } else {
        Duration::ZERO
    }
}
