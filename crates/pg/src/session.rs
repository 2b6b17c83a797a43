//! One client session after start-up: relays frames both ways, classifies each statement,
//! asks the pipeline for a verdict, and refuses denied statements in protocol order.
//!
//! Denials keep the session usable: a denied simple `Query` is answered with ErrorResponse and
//! ReadyForQuery; a denied `Parse` is answered with ErrorResponse once everything sent before it
//! has been answered, then the client's messages are discarded until `Sync`, which is forwarded
//! so the server reports the true transaction status.
//!
//! This file holds the relay loop and the client's side; `admission` admits or refuses
//! statements, and `answers` handles what the server sends back.

mod admission;
mod answers;
mod recorded;

use crate::PgError;
use crate::frame::{Frame, FrameReader};
use crate::masking::ResultShapes;
use crate::messages::{bind, error_response, parse, query, tagged};
use crate::params::ParamMasking;
use crate::recording::{Capture, SessionRecording};
use crate::statements::{Admitted, Statements, WHOLE_ROW};
use bytes::BytesMut;
use recorded::{ParsedText, recorded_text};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use warden_core::mask::{ColumnRef, ValueMasker};
use warden_core::pipeline::Outcome;
use warden_core::workers::Workers;
use warden_core::{Action, AuditKind, AuditRecord, Pipeline, Session};
use warden_record::FinishedRecording;

/// Bytes queued for one side after which they are sent before more messages are taken: a
/// long COPY or pipeline is passed on in pieces, never held whole.
const FLUSH_AT: usize = 64 * 1024;

/// A request awaiting its outcome, for the audit log.
struct Inflight {
    admitted: Arc<Admitted>,
    started: Instant,
    rows: u64,
    error: Option<String>,
    /// Rewrites the values of the rows it returns, when its role has a masking profile.
    masker: Option<Arc<dyn ValueMasker>>,
    /// The portal an Execute runs (its rows' columns are the portal's).
    portal: Option<String>,
    /// A rule-protected column the statement references: every value it returns may be derived
    /// from it (an alias, an expression), so every value is masked by that column's rule.
    derived_from: Option<Arc<str>>,
    /// What goes into the session recording for it.
    capture: Capture,
}

/// What the server owes us for each message forwarded to it, in order.
enum Expect {
    ParseComplete,
    BindComplete,
    CloseComplete,
    /// A Describe of a statement (`true`) or portal, by name.
    Describe(bool, String),
    Execute(Option<Box<Inflight>>),
    Sync,
    Query(Option<Box<Inflight>>),
    /// Where the client ended a COPY FROM STDIN: not a response, a position marker, because
    /// the server ignores every Sync it reads while in copy-in mode.
    CopyEnd,
}

/// Counters reported when the session ends.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    /// Statements forwarded.
    pub forwarded: u64,
    /// Statements refused.
    pub refused: u64,
}

/// The relay state of one session.
pub struct Relay<CW, SW> {
    pipeline: Pipeline,
    session: Arc<Session>,
    statements: Statements,
    client: CW,
    server: SW,
    to_client: BytesMut,
    to_server: BytesMut,
    expect: VecDeque<Expect>,
    status: u8,
    discard_until_sync: bool,
    copy_in: bool,
    totals: Totals,
    shapes: ResultShapes,
    copy_out_masker: Option<Arc<dyn ValueMasker>>,
    catalog: Option<CatalogScope>,
    recording: Option<SessionRecording>,
    /// An emptied row list of a recorded statement's capture, for the next capture to reuse.
    spare_rows: Vec<bytes::Bytes>,
    /// How the last admitted statement's rows are masked, kept for the next statement admitted
    /// as the same [`Admitted`] (a reused read admits the same one).
    masking: Option<MaskingOf>,
    /// The text of the last Parse as recorded, kept for the next Parse of the same text.
    parsed_text: Option<ParsedText>,
}

/// The masker and protected column of one [`Admitted`]: what [`Relay::inflight`] derives from
/// it, the same every time.
struct MaskingOf {
    admitted: Arc<Admitted>,
    masker: Option<Arc<dyn ValueMasker>>,
    derived_from: Option<Arc<str>>,
}

/// Where the session's column names are looked up for masking.
pub struct CatalogScope {
    /// The gateway's cache.
    pub catalogs: Arc<crate::catalog::Catalogs>,
    /// Connection name.
    pub connection: String,
    /// How to log in for lookups.
    pub target: crate::upstream::UpstreamTarget,
    /// Database of the session.
    pub database: String,
}

/// Why the relay stopped.
pub enum End {
    /// The client sent Terminate or closed its socket.
    Client,
    /// The server closed the connection.
    Server,
    /// Between statements, the worker asked the session to continue on worker `n` (see
    /// [`Workers::departure`]): nothing is owed to either side and nothing is buffered.
    Move(usize),
}

impl<CW, SW> Relay<CW, SW>
where
    CW: AsyncWrite + Unpin,
    SW: AsyncWrite + Unpin,
{
    /// A relay between a client writer and a server writer.
    pub fn new(
        pipeline: Pipeline,
        session: Arc<Session>,
        statements: Statements,
        (client, server): (CW, SW),
        catalog: Option<CatalogScope>,
    ) -> Self {
        Relay {
            pipeline,
            session,
            statements,
            client,
            server,
            to_client: BytesMut::with_capacity(64 * 1024),
            to_server: BytesMut::with_capacity(16 * 1024),
            expect: VecDeque::new(),
            status: b'I',
            discard_until_sync: false,
            copy_in: false,
            totals: Totals::default(),
            shapes: ResultShapes::default(),
            copy_out_masker: None,
            spare_rows: Vec::new(),
            masking: None,
            parsed_text: None,
            catalog,
            recording: None,
        }
    }

    /// The same relay, recording the session through `recording`.
    pub fn with_recording(mut self, recording: Option<SessionRecording>) -> Self {
        self.recording = recording;
        self
    }

    /// Ends the relay: flushes what the client is owed, audits statements still running, and
    /// closes the recording; returns the session totals and the recording.
    pub async fn finish_session(mut self) -> (Totals, Option<FinishedRecording>) {
        let _ = self.client.flush().await;
        // Statements still running when the connection ends are audited with that outcome.
        while let Some(expect) = self.expect.pop_front() {
            if let Expect::Query(Some(inflight)) | Expect::Execute(Some(inflight)) = expect {
                let mut inflight = *inflight;
                inflight.error = Some("the connection ended before the statement completed".into());
                let _ = self.finish(inflight).await;
            }
        }
        let finished = match self.recording.take() {
            Some(recording) => recording.finish().await,
            None => None,
        };
        (self.totals, finished)
    }

    /// The session it relays.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The same relay with other writers; returns the old ones. Used to move a session to
    /// another worker's runtime between statements.
    pub fn with_writers<C2, S2>(self, client: C2, server: S2) -> (Relay<C2, S2>, CW, SW) {
        let relay = Relay {
            pipeline: self.pipeline,
            session: self.session,
            statements: self.statements,
            client,
            server,
            to_client: self.to_client,
            to_server: self.to_server,
            expect: self.expect,
            status: self.status,
            discard_until_sync: self.discard_until_sync,
            copy_in: self.copy_in,
            totals: self.totals,
            shapes: self.shapes,
            copy_out_masker: self.copy_out_masker,
            catalog: self.catalog,
            recording: self.recording,
            spare_rows: self.spare_rows,
            masking: self.masking,
            parsed_text: self.parsed_text,
        };
        (relay, self.client, self.server)
    }

    /// Relays until either side ends or the session should move to another worker; returns
    /// why. After [`End::Move`] the relay can be run again, on the other worker.
    pub async fn run<CR, SR>(
        &mut self,
        client_reader: &mut FrameReader<CR>,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<End, PgError>
    where
        CR: AsyncRead + Unpin,
        SR: AsyncRead + Unpin,
    {
        loop {
            // Messages that arrived together are handled together: the rest of a batch is
            // taken from the buffer without another trip through `select!`.
            tokio::select! {
                biased;
                frame = server_reader.next() => {
                    let Some(mut frame) = frame? else { return Ok(End::Server) };
                    loop {
                        self.on_server(frame).await?;
                        match server_reader.buffered()? {
                            Some(next) => frame = next,
                            None => break,
                        }
                    }
                    if !server_reader.has_buffered() {
                        self.flush_client().await?;
                        if self.at_rest() && !client_reader.has_buffered()
                            && let Some(worker) = Workers::departure()
                        {
                            return Ok(End::Move(worker));
                        }
                    }
                }
                frame = client_reader.next() => {
                    let mut frame = match frame {
                        Ok(Some(frame)) => frame,
                        Ok(None) => return Ok(End::Client),
                        Err(error) => return Err(self.client_violation(error).await),
                    };
                    loop {
                        if frame.tag() == b'X' {
                            self.to_server.extend_from_slice(frame.bytes());
                            self.flush_server().await?;
                            return Ok(End::Client);
                        }
                        self.on_client(frame, server_reader).await?;
                        if self.to_server.len() >= FLUSH_AT {
                            self.flush_server().await?;
                        }
                        match client_reader.buffered() {
                            Ok(Some(next)) => frame = next,
                            Ok(None) => break,
                            Err(error) => return Err(self.client_violation(error).await),
                        }
                    }
                    if !client_reader.has_buffered() {
                        self.flush_server().await?;
                        // Refusals are answered by Warden itself.
                        self.flush_client().await?;
                    }
                }
            }
        }
    }

    /// Whether nothing is owed to either side and no protocol sub-state is open: the point
    /// between statements where the session may change workers.
    fn at_rest(&self) -> bool {
        self.expect.is_empty()
            && self.to_client.is_empty()
            && self.to_server.is_empty()
            && !self.copy_in
            && !self.discard_until_sync
    }

    /// Answers a malformed or oversized client message with a fatal `08P01` after what is
    /// already owed to the client, and hands the error back to end the session with.
    async fn client_violation(&mut self, error: PgError) -> PgError {
        if let Err(flush) = self.flush_client().await {
            return flush;
        }
        let fatal = error_response::fatal("08P01", &format!("warden: {error}"));
        let _ = self.client.write_all(&fatal).await;
        error
    }

    async fn on_client<SR: AsyncRead + Unpin>(
        &mut self,
        frame: Frame,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<(), PgError> {
        if self.discard_until_sync {
            if frame.tag() == b'S' {
                self.discard_until_sync = false;
                self.forward(frame, Expect::Sync);
            }
            return Ok(());
        }
        match frame.tag() {
            b'Q' => {
                let sql = query::decode(frame.body())?;
                let Some((classification, admitted)) =
                    self.admit_statement(sql, server_reader).await?
                else {
                    self.to_client
                        .extend_from_slice(&tagged(b'Z', &[self.status]));
                    return Ok(());
                };
                self.statements.commit(&classification);
                let mut inflight = self.inflight(admitted);
                if self.recording.is_some() {
                    inflight.capture.sql = Some(recorded_text(sql, &inflight.masker));
                }
                self.forward(frame, Expect::Query(Some(inflight)));
            }
            b'P' => {
                let (name, sql) = parse::decode(frame.body())?;
                let Some((classification, admitted)) =
                    self.admit_statement(sql, server_reader).await?
                else {
                    self.discard_until_sync = true;
                    return Ok(());
                };
                if self.recording.is_some() {
                    let text = self.parsed_text(sql, &admitted);
                    let types = parse::param_types(frame.body()).unwrap_or_default();
                    if let Some(recording) = &mut self.recording {
                        recording.parsed(name, text, types);
                    }
                }
                self.statements.parsed(name, &classification, admitted);
                self.forward(frame, Expect::ParseComplete);
            }
            b'B' => {
                let (portal, statement) = bind::names(frame.body())?;
                self.statements.bound(portal, statement);
                let formats = bind::result_formats(frame.body())?;
                self.shapes.bound(portal, statement, formats);
                if let Some(recording) = &mut self.recording {
                    recording.bound(portal, statement, frame.bytes().slice(5..));
                }
                self.forward(frame, Expect::BindComplete);
            }
            b'N' => {
                // Notices (RAISE NOTICE, warnings) can quote values too.
                let masker = self.pending_masker();
                if let Some(masked) = masker
                    .as_deref()
                    .and_then(|m| error_response::masked(b'N', frame.body(), m))
                {
                    self.to_client.extend_from_slice(&masked);
                    return self.flush_if_full().await;
                }
            }
            b'E' => {
                let portal = crate::messages::cstr(frame.body())
                    .map(|(p, _)| p)
                    .ok_or_else(|| PgError::Malformed("execute portal name".into()))?;
                let inflight = self.statements.portal(portal).map(|admitted| {
                    let mut inflight = self.inflight(admitted);
                    inflight.portal = Some(portal.to_owned());
                    if let Some(recording) = &self.recording {
                        inflight.capture = recording.executed(portal);
                    }
                    inflight
                });
                self.forward(frame, Expect::Execute(inflight));
            }
            b'D' => {
                let body = frame.body();
                let statement = body.first() == Some(&b'S');
                let name = body
                    .get(1..)
                    .and_then(crate::messages::cstr)
                    .map(|(n, _)| n.to_owned())
                    .ok_or_else(|| PgError::Malformed("describe name".into()))?;
                self.forward(frame, Expect::Describe(statement, name));
            }
            b'C' => {
                let kind = frame.body().first().copied();
                if let Some((name, _)) = frame.body().get(1..).and_then(crate::messages::cstr) {
                    self.statements.closed(kind == Some(b'S'), name);
                    self.shapes.closed(kind == Some(b'S'), name);
                    if let Some(recording) = &mut self.recording {
                        recording.closed(kind == Some(b'S'), name);
                    }
                }
                self.forward(frame, Expect::CloseComplete);
            }
            b'S' if self.copy_in => self.to_server.extend_from_slice(frame.bytes()),
            b'S' => self.forward(frame, Expect::Sync),
            b'c' | b'f' if self.copy_in => {
                self.copy_in = false;
                self.to_server.extend_from_slice(frame.bytes());
            }
            b'c' | b'f' => self.forward(frame, Expect::CopyEnd),
            b'H' | b'd' => self.to_server.extend_from_slice(frame.bytes()),
            b'F' => {
                // FunctionCall names a function by OID: it can call anything.
                let action = Arc::new(Action::named("sql:unknown"));
                match self
                    .admit(&action, frame.body(), server_reader, &mut None)
                    .await?
                {
                    Ok(decision) => {
                        let inflight = self.inflight(Admitted { action, decision }.into());
                        self.forward(frame, Expect::Query(Some(inflight)));
                    }
                    Err(refusal) => {
                        self.refuse(&refusal, server_reader).await?;
                        self.to_client
                            .extend_from_slice(&tagged(b'Z', &[self.status]));
                    }
                }
            }
            other => {
                return Err(PgError::Malformed(format!(
                    "unexpected message type {:?} from the client",
                    other as char
                )));
            }
        }
        Ok(())
    }

    fn forward(&mut self, frame: Frame, expect: Expect) {
        self.to_server.extend_from_slice(frame.bytes());
        self.expect.push_back(expect);
    }

    // Never inlined: `scripts/bench/callgrind_summary.py` counts statements by its calls.
    #[inline(never)]
    fn inflight(&mut self, admitted: Arc<Admitted>) -> Box<Inflight> {
        self.totals.forwarded += 1;
        let known = matches!(&self.masking, Some(memo) if Arc::ptr_eq(&memo.admitted, &admitted));
        if !known {
            let (masker, derived_from) = self.masking_of(&admitted);
            self.masking = Some(MaskingOf {
                admitted: admitted.clone(),
                masker,
                derived_from,
            });
        }
        let (masker, derived_from) = self
            .masking
            .as_ref()
            .map(|memo| (memo.masker.clone(), memo.derived_from.clone()))
            .unwrap_or_default();
        Box::new(Inflight {
            admitted,
            started: Instant::now(),
            rows: 0,
            error: None,
            masker,
            portal: None,
            derived_from,
            capture: Capture {
                rows: std::mem::take(&mut self.spare_rows),
                ..Capture::default()
            },
        })
    }

    /// The masker of `admitted`'s role and the rule-protected column its statement references.
    fn masking_of(&self, admitted: &Admitted) -> (Option<Arc<dyn ValueMasker>>, Option<Arc<str>>) {
        // Checked when the statement was admitted: a missing profile was refused there.
        let masker = self.pipeline.masker(&admitted.decision).ok().flatten();
        let action = &admitted.action;
        let derived_from = masker.as_ref().and_then(|masker| {
            // A whole row used as a value carries every column, protected ones included.
            if masker.has_column_rules() && action.columns.iter().any(|c| c == WHOLE_ROW) {
                return Some(Arc::from(WHOLE_ROW));
            }
            action
                .columns
                .iter()
                .find(|column| masker.column_rule(ColumnRef::name(column)))
                .map(|column| Arc::from(column.as_str()))
        });
        (masker, derived_from)
    }

    /// The masker of the statement the server is answering now (a Parse or Bind error belongs
    /// to the Execute queued behind it).
    fn pending_masker(&self) -> Option<Arc<dyn ValueMasker>> {
        self.expect
            .iter()
            .take_while(|e| !matches!(e, Expect::Sync))
            .find_map(|e| match e {
                Expect::Query(Some(inflight)) | Expect::Execute(Some(inflight)) => {
                    Some(inflight.masker.clone())
                }
                _ => None,
            })
            .flatten()
    }

    async fn finish(&mut self, inflight: Inflight) -> Result<(), PgError> {
        let ended = Instant::now();
        let outcome = Outcome {
            duration: ended.saturating_duration_since(inflight.started),
            rows: Some(inflight.rows),
            error: inflight.error,
        };
        self.pipeline
            .finish(
                &self.session,
                &inflight.admitted.action,
                &inflight.admitted.decision,
                &outcome,
            )
            .await
            .map_err(|e| PgError::Upstream(format!("audit: {e}")))?;
        if let Some(recording) = &mut self.recording {
            let masking = inflight.masker.as_deref().map(|masker| ParamMasking {
                masker,
                protected: inflight.derived_from.as_deref().filter(|c| *c != WHOLE_ROW),
            });
            self.spare_rows = recording
                .statement(
                    inflight.capture,
                    masking,
                    inflight.rows,
                    (ended, outcome.duration),
                    outcome.error,
                )
                .await;
        }
        Ok(())
    }

    async fn flush_client(&mut self) -> Result<(), PgError> {
        if !self.to_client.is_empty() {
            self.client.write_all(&self.to_client).await?;
            self.to_client.clear();
        }
        Ok(())
    }

    async fn flush_server(&mut self) -> Result<(), PgError> {
        if !self.to_server.is_empty() {
            self.server.write_all(&self.to_server).await?;
            self.to_server.clear();
        }
        Ok(())
    }
}

/// Audits a protocol violation by the client before the connection is closed.
pub async fn audit_protocol_error(pipeline: &Pipeline, session: Option<&Session>, error: &PgError) {
    let mut record = AuditRecord::new(AuditKind::ProtocolError)
        .with_detail(serde_json::json!({ "protocol": "postgres", "error": error.to_string() }));
    if let Some(session) = session {
        record = record.for_session(session);
    }
    if let Err(e) = pipeline.audit(record).await {
        tracing::error!(error = %e, "cannot audit a protocol error");
    }
}
