//! JSON lines of a recording read back one at a time.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::RecordError;

/// Reads a recording's lines as JSON values, skipping empty lines.
///
/// A last line without its newline that does not parse is dropped as an event cut off mid-write
/// (a recording still being written, or left by a crash); any other bad line is an error.
pub(crate) struct JsonLines<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
    line: usize,
    what: &'static str,
}

impl<R: AsyncRead + Unpin> JsonLines<R> {
    /// Wraps `reader`; `what` names the recording in I/O errors.
    pub(crate) fn new(reader: R, what: &'static str) -> Self {
        Self {
            reader: BufReader::new(reader),
            buf: Vec::new(),
            line: 0,
            what,
        }
    }

    /// The next non-empty line as JSON, or `None` at the end.
    pub(crate) async fn next_value(&mut self) -> Result<Option<Value>, RecordError> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .await
                .map_err(|e| RecordError::io(format!("read {}", self.what), e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return match serde_json::from_slice(&self.buf) {
                Ok(value) => Ok(Some(value)),
                Err(_) if !self.buf.ends_with(b"\n") => Ok(None),
                Err(e) => Err(self.malformed(e.to_string())),
            };
        }
    }

    /// An error naming the line last returned.
    pub(crate) fn malformed(&self, reason: String) -> RecordError {
        RecordError::Malformed {
            line: self.line,
            reason,
        }
    }
}
