//! The session's recording: the SQL of every statement (masked when the role masks), its
//! parameters (decoded and masked only when its line is written), its columns, its first rows
//! as the client received them, its row count, duration and error, appended as JSON lines
//! through the gateway's recording store.

use crate::PgError;
use crate::messages::data_row;
use crate::named::Named;
use crate::params::{BoundParams, ParamMasking};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use warden_record::{FinishedRecording, SqlEvent, SqlRecorder};

/// Rows of each statement kept in the recording.
pub const SAMPLE_ROWS: usize = 20;

/// What one statement returned so far, for its recording entry.
#[derive(Debug, Default)]
pub struct Capture {
    /// The SQL text (masked when the role masks).
    pub sql: Option<Arc<str>>,
    /// The Bind parameters of an Execute, undecoded.
    pub params: Option<BoundParams>,
    /// Result column names (shared while a session's results keep one shape).
    pub columns: Arc<[String]>,
    /// The first rows, as sent to the client: DataRow bodies, decoded when the line is written.
    pub rows: Vec<Bytes>,
}

impl Capture {
    /// Keeps `row` (a DataRow body as sent) if fewer than [`SAMPLE_ROWS`] are kept.
    pub fn sample(&mut self, row: Bytes) -> Result<(), PgError> {
        if self.rows.len() >= SAMPLE_ROWS {
            return Ok(());
        }
        data_row::check(&row)?;
        self.rows.push(row);
        Ok(())
    }
}

/// A prepared statement as recorded: its text and its parameter types (0: unknown).
struct Prepared {
    sql: Arc<str>,
    types: Arc<[u32]>,
}

/// A portal as recorded: the statement text and the parameters bound to it.
struct Portal {
    sql: Arc<str>,
    params: BoundParams,
}

/// A session's recorder plus the SQL and parameters of its prepared statements and portals.
pub struct SessionRecording {
    recorder: SqlRecorder,
    statements: Named<Prepared>,
    portals: Named<Portal>,
    failed: bool,
}

impl SessionRecording {
    /// Records through `recorder`.
    pub fn new(recorder: SqlRecorder) -> Self {
        SessionRecording {
            recorder,
            statements: Named::default(),
            portals: Named::default(),
            failed: false,
        }
    }

    /// A Parse of `name` with this text and the parameter types it names.
    pub fn parsed(&mut self, name: &str, sql: Arc<str>, types: Vec<u32>) {
        let types = Arc::from(types);
        self.statements.insert(name, Prepared { sql, types });
    }

    /// The server described statement `name`'s parameter types.
    pub fn described(&mut self, name: &str, types: Vec<u32>) {
        if let Some(statement) = self.statements.get_mut(name) {
            statement.types = Arc::from(types);
        }
    }

    /// A Bind of `portal` from `statement` with this Bind body (kept as it is: a shared slice
    /// of the frame, decoded only if the portal runs).
    pub fn bound(&mut self, portal: &str, statement: &str, body: Bytes) {
        match self.statements.get(statement) {
            Some(prepared) => {
                let params = BoundParams::new(body, prepared.types.clone());
                let sql = prepared.sql.clone();
                self.portals.insert(portal, Portal { sql, params });
            }
            None => {
                self.portals.remove(portal);
            }
        }
    }

    /// A Close of a statement (`is_statement`) or portal.
    pub fn closed(&mut self, is_statement: bool, name: &str) {
        if is_statement {
            self.statements.remove(name);
        } else {
            self.portals.remove(name);
        }
    }

    /// What goes into the recording for an Execute of `portal`: its SQL and parameters.
    pub fn executed(&self, portal: &str) -> Capture {
        let portal = self.portals.get(portal);
        Capture {
            sql: portal.map(|p| p.sql.clone()),
            params: portal.map(|p| p.params.clone()),
            ..Capture::default()
        }
    }

    /// Appends one statement. A failed write is logged once; the session goes on (the audit
    /// log still has every statement) and the recording ends short.
    /// Parameters are decoded here, masked by `masking` when the role masks. Hands back the
    /// capture's row list, emptied, for the next statement's capture to reuse.
    pub async fn statement(
        &mut self,
        capture: Capture,
        masking: Option<ParamMasking<'_>>,
        row_count: u64,
        (ended, duration): (Instant, Duration),
        error: Option<String>,
    ) -> Vec<Bytes> {
        let mut rows = capture.rows;
        if self.failed {
            rows.clear();
            return rows;
        }
        let event = SqlEvent {
            sql: capture.sql.unwrap_or_else(|| Arc::from("")),
            params: capture
                .params
                .map(|p| p.render(masking))
                .unwrap_or_default(),
            columns: capture.columns,
            rows: Vec::new(),
            row_count,
            duration,
            error,
        };
        let written = self
            .recorder
            .statement_with_rows(ended, &event, |writer| {
                for row in &rows {
                    // Checked when it was kept.
                    if let Ok(values) = data_row::iter(row) {
                        writer.row(values)?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(error) = written {
            tracing::warn!(%error, "cannot append to the session recording; it ends here");
            self.failed = true;
        }
        rows.clear();
        rows
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
