//! The session's recording: the SQL of every statement (masked when the role masks), its
//! columns, its first rows as the client received them, its row count, duration and error,
//! appended as JSON lines through the gateway's recording store.

use crate::PgError;
use crate::messages::data_row;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use warden_record::{FinishedRecording, SqlEvent, SqlRecorder};

/// Rows of each statement kept in the recording.
pub const SAMPLE_ROWS: usize = 20;

/// What one statement returned so far, for its recording entry.
#[derive(Debug, Default)]
pub struct Capture {
    /// The SQL text (masked when the role masks).
    pub sql: Option<Arc<str>>,
    /// Result column names.
    pub columns: Vec<String>,
    /// The first rows, as sent to the client.
    pub rows: Vec<Vec<Option<String>>>,
}

impl Capture {
    /// Keeps `row` (a DataRow body as sent) if fewer than [`SAMPLE_ROWS`] are kept.
    pub fn sample(&mut self, row: &[u8]) -> Result<(), PgError> {
        if self.rows.len() >= SAMPLE_ROWS {
            return Ok(());
        }
        let values = data_row::values(row)?;
        self.rows.push(
            values
                .into_iter()
                .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                .collect(),
        );
        Ok(())
    }
}

/// A session's recorder plus the SQL of its prepared statements and portals.
pub struct SessionRecording {
    recorder: SqlRecorder,
    statements: HashMap<String, Arc<str>>,
    portals: HashMap<String, Arc<str>>,
    failed: bool,
}

impl SessionRecording {
    /// Records through `recorder`.
    pub fn new(recorder: SqlRecorder) -> Self {
        SessionRecording {
            recorder,
            statements: HashMap::new(),
            portals: HashMap::new(),
            failed: false,
        }
    }

    /// A Parse of `name` with this text.
    pub fn parsed(&mut self, name: &str, sql: Arc<str>) {
        self.statements.insert(name.to_owned(), sql);
    }

    /// A Bind of `portal` from `statement`.
    pub fn bound(&mut self, portal: &str, statement: &str) {
        match self.statements.get(statement) {
            Some(sql) => {
                self.portals.insert(portal.to_owned(), sql.clone());
            }
            None => {
                self.portals.remove(portal);
            }
        }
    }

    /// The SQL a portal runs.
    pub fn portal_sql(&self, portal: &str) -> Option<Arc<str>> {
        self.portals.get(portal).cloned()
    }

    /// Appends one statement. A failed write is logged once; the session goes on (the audit
    /// log still has every statement) and the recording ends short.
    pub async fn statement(
        &mut self,
        capture: Capture,
        row_count: u64,
        duration: Duration,
        error: Option<String>,
    ) {
        if self.failed {
            return;
        }
        let event = SqlEvent {
            sql: capture.sql.as_deref().unwrap_or_default().to_owned(),
            params: Vec::new(),
            columns: capture.columns,
            rows: capture.rows,
            row_count,
            duration,
            error,
        };
        if let Err(error) = self.recorder.statement(&event).await {
            tracing::warn!(%error, "cannot append to the session recording; it ends here");
            self.failed = true;
        }
    }

    /// Closes the recording; its SHA-256 goes into the session's end event.
    pub async fn finish(self) -> Option<FinishedRecording> {
        match self.recorder.finish().await {
            Ok(finished) => Some(finished),
            Err(error) => {
                tracing::warn!(%error, "cannot finish the session recording");
                None
            }
        }
    }
}
