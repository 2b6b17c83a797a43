//! Terminal sessions recorded as asciicast v2.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::sql::to_line;
use crate::{FinishedRecording, RecordError, RecordingWriter};
use warden_core::elapsed::seconds;

/// The first line of an asciicast v2 file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AsciicastHeader {
    /// Terminal columns.
    pub width: u16,
    /// Terminal rows.
    pub height: u16,
    /// Session start as Unix seconds.
    pub timestamp: i64,
    /// Environment worth keeping, e.g. `SHELL` and `TERM`.
    pub env: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct HeaderLine<'a> {
    version: u32,
    #[serde(flatten)]
    header: &'a AsciicastHeader,
}

/// Writes terminal output (`"o"`) and input (`"i"`) events; callers pass already-masked bytes.
pub struct AsciicastRecorder {
    writer: Box<dyn RecordingWriter>,
    started: Instant,
    /// Bytes of an incomplete UTF-8 character at the end of the last chunk, per stream.
    pending_out: Vec<u8>,
    pending_in: Vec<u8>,
}

impl AsciicastRecorder {
    /// Writes the header line and starts the clock that event times are measured from.
    pub async fn start(
        mut writer: Box<dyn RecordingWriter>,
        header: &AsciicastHeader,
    ) -> Result<Self, RecordError> {
        writer
            .append(&to_line(&HeaderLine { version: 2, header })?)
            .await?;
        Ok(Self {
            writer,
            started: Instant::now(),
            pending_out: Vec::new(),
            pending_in: Vec::new(),
        })
    }

    /// Records bytes the terminal showed.
    pub async fn output(&mut self, data: &[u8]) -> Result<(), RecordError> {
        let t = seconds(self.started.elapsed());
        self.output_at(t, data).await
    }

    /// Records bytes the user typed.
    pub async fn input(&mut self, data: &[u8]) -> Result<(), RecordError> {
        let t = seconds(self.started.elapsed());
        self.input_at(t, data).await
    }

    /// Records output at an explicit offset in seconds (for importers and tests).
    pub async fn output_at(&mut self, t: f64, data: &[u8]) -> Result<(), RecordError> {
        let text = take_utf8(&mut self.pending_out, data);
        self.event(t, "o", text).await
    }

    /// Records input at an explicit offset in seconds (for importers and tests).
    pub async fn input_at(&mut self, t: f64, data: &[u8]) -> Result<(), RecordError> {
        let text = take_utf8(&mut self.pending_in, data);
        self.event(t, "i", text).await
    }

    async fn event(&mut self, t: f64, code: &str, text: String) -> Result<(), RecordError> {
        if text.is_empty() {
            return Ok(());
        }
        self.writer.append(&to_line(&(t, code, text))?).await
    }

    /// Pushes buffered events to storage (call from a timer while the session is idle).
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        self.writer.flush().await
    }

    /// Ends the recording (writing any dangling partial character) and returns its hash.
    pub async fn finish(mut self) -> Result<FinishedRecording, RecordError> {
        let t = seconds(self.started.elapsed());
        let out = String::from_utf8_lossy(&std::mem::take(&mut self.pending_out)).into_owned();
        self.event(t, "o", out).await?;
        let input = String::from_utf8_lossy(&std::mem::take(&mut self.pending_in)).into_owned();
        self.event(t, "i", input).await?;
        self.writer.finish().await
    }
}

/// Decodes `pending + data` as UTF-8, keeping an incomplete trailing character for the next
/// chunk so a character split across reads is not turned into replacement characters.
fn take_utf8(pending: &mut Vec<u8>, data: &[u8]) -> String {
    pending.extend_from_slice(data);
    let keep_from = match std::str::from_utf8(pending) {
        Ok(_) => pending.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => {
            // Invalid bytes inside: find the longest prefix that does not end mid-character.
            let tail = pending.len().saturating_sub(3);
            (tail..pending.len())
                .find(|&i| pending.get(i..).is_some_and(is_incomplete_prefix))
                .unwrap_or(pending.len())
        }
    };
    let rest = pending.split_off(keep_from);
    let text = String::from_utf8_lossy(pending).into_owned();
    *pending = rest;
    text
}

/// Whether `bytes` is the start of a multi-byte UTF-8 character that needs more bytes.
fn is_incomplete_prefix(bytes: &[u8]) -> bool {
    matches!(std::str::from_utf8(bytes), Err(e) if e.valid_up_to() == 0 && e.error_len().is_none())
}
