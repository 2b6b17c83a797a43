//! One client session after start-up: relays frames both ways, classifies each statement,
//! asks the pipeline for a verdict, and refuses denied statements in protocol order.
//!
//! Denials keep the session usable: a denied simple `Query` is answered with ErrorResponse and
//! ReadyForQuery; a denied `Parse` is answered with ErrorResponse once everything sent before it
//! has been answered, then the client's messages are discarded until `Sync`, which is forwarded
//! so the server reports the true transaction status.

use crate::PgError;
use crate::frame::{Frame, FrameReader};
use crate::masking::{self, ResultShapes};
use crate::messages::{
    bind, command_complete, error_response, parameter_description, parse, query, row_description,
    tagged,
};
use crate::params::ParamMasking;
use crate::recording::{Capture, SessionRecording};
use crate::statements::{Admitted, Statements, WHOLE_ROW};
use bytes::BytesMut;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use warden_core::mask::{ColumnRef, ValueMasker};
use warden_core::pipeline::{Admission, Outcome, Reusable};
use warden_core::{Action, AuditKind, AuditRecord, Decision, GatewayError, Pipeline, Session};
use warden_record::FinishedRecording;
use warden_sql::Classification;

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
pub struct Relay<'a, CW, SW> {
    pipeline: &'a Pipeline,
    session: &'a Session,
    statements: Statements<'a>,
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
}

impl<'a, CW, SW> Relay<'a, CW, SW>
where
    CW: AsyncWrite + Unpin,
    SW: AsyncWrite + Unpin,
{
    /// A relay between a client writer and a server writer.
    pub fn new(
        pipeline: &'a Pipeline,
        session: &'a Session,
        statements: Statements<'a>,
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
            catalog,
            recording: None,
        }
    }

    /// The same relay, recording the session through `recording`.
    pub fn with_recording(mut self, recording: Option<SessionRecording>) -> Self {
        self.recording = recording;
        self
    }

    /// Runs until either side ends; returns why, with the session totals.
    pub async fn run<CR, SR>(
        mut self,
        client_reader: &mut FrameReader<CR>,
        server_reader: &mut FrameReader<SR>,
    ) -> (Result<End, PgError>, Totals, Option<FinishedRecording>)
    where
        CR: AsyncRead + Unpin,
        SR: AsyncRead + Unpin,
    {
        let result = self.pump(client_reader, server_reader).await;
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
        (result, self.totals, finished)
    }

    async fn pump<CR, SR>(
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
                    let masker = self.pipeline.masker(&admitted.decision).ok().flatten();
                    let text = recorded_text(sql, &masker);
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

    async fn on_server(&mut self, frame: Frame) -> Result<(), PgError> {
        while matches!(self.expect.front(), Some(Expect::CopyEnd)) {
            self.expect.pop_front();
        }
        match frame.tag() {
            b'G' => self.copy_in_started(),
            b'1' | b'2' | b'3' => {
                self.expect.pop_front();
            }
            b't' => {
                // A statement's parameter types, for decoding its binary parameters.
                if let (Some(recording), Some(Expect::Describe(true, name))) =
                    (&mut self.recording, self.expect.front())
                    && let Ok(types) = parameter_description::decode(frame.body())
                {
                    recording.described(name, types);
                }
            }
            b'n' => {
                if matches!(self.expect.front(), Some(Expect::Describe(..))) {
                    self.expect.pop_front();
                }
            }
            b'T' => match self.expect.front() {
                Some(Expect::Describe(statement, name)) => {
                    let (statement, name) = (*statement, name.clone());
                    let fields = self.describe(&frame).await?;
                    self.shapes.described(statement, &name, fields);
                    self.expect.pop_front();
                }
                Some(Expect::Query(Some(inflight))) if inflight.masker.is_some() => {
                    let fields = self.describe(&frame).await?;
                    let columns = self.shapes.column_names(frame.body())?;
                    if let Some(Expect::Query(Some(inflight))) = self.expect.front_mut() {
                        inflight.capture.columns = columns;
                    }
                    self.shapes.current = Some(fields);
                }
                Some(Expect::Query(Some(_))) if self.recording.is_some() => {
                    let columns = self.shapes.column_names(frame.body())?;
                    if let Some(Expect::Query(Some(inflight))) = self.expect.front_mut() {
                        inflight.capture.columns = columns;
                    }
                }
                _ => {}
            },
            b'H' => {
                // COPY TO STDOUT of a masked statement: rows are masked as text (detectors);
                // binary copies are not passed at all.
                self.copy_out_masker = match self.expect.front() {
                    Some(Expect::Query(Some(i)) | Expect::Execute(Some(i))) => i.masker.clone(),
                    _ => None,
                };
            }
            b'd' if self.copy_out_masker.is_some() => {
                let masked = self.mask_copy_data(frame.body());
                self.to_client.extend_from_slice(&tagged(b'd', &masked));
                return self.flush_if_full().await;
            }
            b'c' => self.copy_out_masker = None,
            b'D' => {
                let masked = self.mask_row(&frame)?;
                if self.recording.is_some() {
                    let sent = masked.as_ref().unwrap_or(frame.bytes()).slice(5..);
                    self.sample_row(sent)?;
                }
                if let Some(masked) = masked {
                    self.to_client.extend_from_slice(&masked);
                    return self.flush_if_full().await;
                }
            }
            b'C' | b'I' | b's' => {
                let rows = if frame.tag() == b'C' {
                    command_complete::rows(frame.body())
                } else {
                    None
                };
                match self.expect.front_mut() {
                    Some(Expect::Query(Some(inflight))) => {
                        inflight.rows += rows.unwrap_or(0);
                    }
                    Some(Expect::Execute(_)) => {
                        if let Some(Expect::Execute(inflight)) = self.expect.pop_front()
                            && let Some(mut inflight) = inflight
                        {
                            inflight.rows += rows.unwrap_or(0);
                            self.finish(*inflight).await?;
                        }
                    }
                    _ => {}
                }
            }
            b'E' => {
                // Errors quote values: a masked role reads them masked, and so do the audit
                // event and the recording.
                let masker = self.pending_masker();
                let masked = masker
                    .as_deref()
                    .and_then(|m| error_response::masked(b'E', frame.body(), m));
                let message = error_response::message(
                    masked
                        .as_ref()
                        .map_or(frame.body(), |m| m.get(5..).unwrap_or_default()),
                );
                match self.expect.front_mut() {
                    Some(Expect::Query(inflight)) => {
                        if let Some(inflight) = inflight
                            && inflight.error.is_none()
                        {
                            inflight.error = message;
                        }
                    }
                    Some(_) => {
                        // The server skips everything up to the next Sync.
                        let mut first = true;
                        while let Some(front) = self.expect.front() {
                            if matches!(front, Expect::Sync) {
                                break;
                            }
                            if let Some(Expect::Execute(Some(mut inflight))) =
                                self.expect.pop_front()
                            {
                                inflight.error = Some(if first {
                                    message.clone().unwrap_or_default()
                                } else {
                                    "not executed: an earlier message of the batch failed".into()
                                });
                                self.finish(*inflight).await?;
                            }
                            first = false;
                        }
                    }
                    None => {}
                }
                if let Some(masked) = masked {
                    self.to_client.extend_from_slice(&masked);
                    return self.flush_if_full().await;
                }
            }
            b'Z' => {
                self.status = frame.body().first().copied().unwrap_or(b'I');
                self.shapes.current = None;
                self.copy_out_masker = None;
                match self.expect.pop_front() {
                    Some(Expect::Query(Some(inflight))) => self.finish(*inflight).await?,
                    Some(Expect::Sync) | Some(Expect::Query(None)) | None => {}
                    Some(_) => {
                        return Err(PgError::Upstream(
                            "ReadyForQuery arrived before the batch was answered".into(),
                        ));
                    }
                }
            }
            _ => {}
        }
        self.to_client.extend_from_slice(frame.bytes());
        self.flush_if_full().await
    }

    async fn flush_if_full(&mut self) -> Result<(), PgError> {
        if self.to_client.len() >= FLUSH_AT {
            self.flush_client().await?;
        }
        Ok(())
    }

    /// The columns of a RowDescription, with the real names of table columns looked up when
    /// masking is configured. A failed lookup leaves them unknown (masked the cautious way).
    async fn describe(&mut self, frame: &Frame) -> Result<Arc<[row_description::Field]>, PgError> {
        let Some(scope) = &self.catalog else {
            return self.shapes.decoded(frame.body());
        };
        if let Some(fields) = self.shapes.resolved(frame.body(), Instant::now()) {
            return Ok(fields);
        }
        let decoded = self.shapes.decoded(frame.body())?;
        let keys: Vec<(u32, i16)> = decoded
            .iter()
            .filter(|f| f.table_oid != 0 && f.column > 0)
            .map(|f| (f.table_oid, f.column))
            .collect();
        if keys.is_empty() {
            // No table columns: nothing to look up.
            return Ok(decoded);
        }
        let mut fields = decoded.to_vec();
        let mut cached = scope
            .catalogs
            .cached(&scope.connection, &scope.database, &keys);
        if cached.names.iter().any(Option::is_none) {
            if let Err(error) = scope
                .catalogs
                .resolve(&scope.connection, &scope.target, &scope.database, &keys)
                .await
            {
                tracing::warn!(%error, "cannot look up column names for masking");
            }
            cached = scope
                .catalogs
                .cached(&scope.connection, &scope.database, &keys);
        }
        let complete = cached.names.iter().all(Option::is_some);
        let mut names = cached.names.into_iter();
        for field in fields
            .iter_mut()
            .filter(|f| f.table_oid != 0 && f.column > 0)
        {
            field.origin = names.next().flatten();
        }
        let fields: Arc<[row_description::Field]> = fields.into();
        // Only a shape with every name known is reused: an unknown one is looked up again.
        if complete && let Some(until) = cached.trusted_until {
            self.shapes
                .keep_resolved(frame.body(), fields.clone(), until);
        }
        Ok(fields)
    }

    /// One COPY TO row with sensitive values masked; anything not UTF-8 text is withheld.
    fn mask_copy_data(&self, data: &[u8]) -> Vec<u8> {
        let (Some(masker), Ok(text)) = (&self.copy_out_masker, std::str::from_utf8(data)) else {
            return Vec::new();
        };
        masker.mask_text(text).into_owned().into_bytes()
    }

    /// Keeps a row, as sent, for the recording of the statement whose rows are arriving.
    fn sample_row(&mut self, sent: bytes::Bytes) -> Result<(), PgError> {
        let portal = match self.expect.front() {
            Some(Expect::Execute(Some(inflight))) if inflight.capture.columns.is_empty() => {
                inflight.portal.clone()
            }
            _ => None,
        };
        let columns = portal.and_then(|p| self.shapes.portal_names(&p));
        match self.expect.front_mut() {
            Some(Expect::Query(Some(inflight)) | Expect::Execute(Some(inflight))) => {
                if let Some(columns) = columns {
                    inflight.capture.columns = columns;
                }
                inflight.capture.sample(sent)
            }
            _ => Ok(()),
        }
    }

    /// The DataRow masked for the statement whose rows are arriving, if its role masks and a
    /// value changed.
    fn mask_row(&mut self, frame: &Frame) -> Result<Option<bytes::Bytes>, PgError> {
        let (masker, fields, derived_from) = match self.expect.front() {
            Some(Expect::Query(Some(inflight))) => match (&inflight.masker, &self.shapes.current) {
                (Some(masker), Some(fields)) => (
                    masker.clone(),
                    fields.clone(),
                    inflight.derived_from.clone(),
                ),
                _ => return Ok(None),
            },
            Some(Expect::Execute(Some(inflight))) => {
                let Some(masker) = inflight.masker.clone() else {
                    return Ok(None);
                };
                let derived_from = inflight.derived_from.clone();
                let portal = inflight.portal.clone().unwrap_or_default();
                // Rows whose columns were never described cannot be matched to column rules;
                // detectors still apply to every value, as text.
                let fields = self
                    .shapes
                    .portal(&portal)
                    .unwrap_or_else(|| Arc::from(Vec::new()));
                (masker, fields, derived_from)
            }
            _ => return Ok(None),
        };
        masking::mask_row(
            frame.body(),
            &fields,
            masker.as_ref(),
            derived_from.as_deref(),
        )
    }

    /// The server entered copy-in mode: Syncs the client sent since are ignored by the server
    /// until the copy ends, so they are not waited for.
    fn copy_in_started(&mut self) {
        let mut index = 1;
        while index < self.expect.len() {
            match self.expect.get(index) {
                Some(Expect::Sync) => {
                    self.expect.remove(index);
                }
                Some(Expect::CopyEnd) => {
                    self.expect.remove(index);
                    return;
                }
                _ => index += 1,
            }
        }
        self.copy_in = true;
    }

    /// Classifies and admits a statement's text: what it was admitted as, or `None` when it
    /// was refused (the refusal is queued for the client). An allowed read of a shape this
    /// session ran before is admitted as it was then while policy says that still holds.
    async fn admit_statement<SR: AsyncRead + Unpin>(
        &mut self,
        sql: &str,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<Option<(Arc<Classification>, Arc<Admitted>)>, PgError> {
        let (classification, mut action) = self.statements.simple_query(sql);
        if let Some((reusable, admitted)) = self.statements.kept(&classification)
            && self.pipeline.reuse(self.session, reusable)
        {
            let admitted = admitted.clone();
            return Ok(Some((classification, admitted)));
        }
        let mut reusable = None;
        match self
            .admit(&action, sql.as_bytes(), server_reader, &mut reusable)
            .await?
        {
            Ok(decision) => {
                if classification.copies_out
                    && let Some(refusal) = self
                        .unmaskable_copy(&classification, &action, &decision)
                        .await
                {
                    self.refuse(&refusal, server_reader).await?;
                    return Ok(None);
                }
                if decision.mask_profile.is_some() {
                    // Which values may derive from a protected column.
                    Arc::make_mut(&mut action).columns =
                        self.statements.referenced_columns(&classification);
                }
                let admitted = Arc::new(Admitted { action, decision });
                if let Some(reusable) = reusable {
                    self.statements
                        .keep(&classification, reusable, admitted.clone());
                }
                Ok(Some((classification, admitted)))
            }
            Err(refusal) => {
                self.refuse(&refusal, server_reader).await?;
                Ok(None)
            }
        }
    }

    /// The refusal (audited) of a `COPY … TO STDOUT` whose rows a column rule of the role's
    /// masking profile would rewrite: COPY rows carry no column names, so only the detectors
    /// could run on them and a protected column (a whole-table copy reads every column) would
    /// pass in clear. `None` when the copy may run.
    async fn unmaskable_copy(
        &mut self,
        classification: &Classification,
        action: &Action,
        decision: &Decision,
    ) -> Option<GatewayError> {
        let masker = self.pipeline.masker(decision).ok().flatten()?;
        if !masker.has_column_rules() {
            return None;
        }
        let columns = self.statements.referenced_columns(classification);
        let protected = columns.iter().find(|column| {
            matches!(column.as_str(), "*" | WHOLE_ROW)
                || masker.column_rule(ColumnRef::name(column))
        })?;
        let profile = decision.mask_profile.as_deref().unwrap_or_default();
        let reads = match protected.as_str() {
            "*" => "every column of a table".to_owned(),
            WHOLE_ROW => "whole rows".to_owned(),
            column => format!("column {column:?}"),
        };
        let message = format!(
            "COPY TO STDOUT cannot apply masking profile {profile:?}: its column rules need column names, which COPY rows do not carry, and the copy reads {reads}; read these rows with SELECT"
        );
        let refusal = GatewayError::client("copy_not_maskable", message.clone());
        let denied = Decision::deny(format!("mask:{profile}/copy"), message);
        let record = AuditRecord::new(AuditKind::Decision)
            .for_session(self.session)
            .with_decision(action, &denied);
        if let Err(error) = self.pipeline.audit(record).await {
            return Some(error);
        }
        Some(refusal)
    }

    /// The verdict on `action`: the decision to forward under, or the refusal to answer with
    /// (`reusable` as [`Pipeline::evaluate_keeping`] leaves it).
    /// A request held for review first waits for everything forwarded before it to be answered
    /// (so the client sees results in order), then gets a NoticeResponse naming the review, and
    /// the relay waits here until the review is decided.
    async fn admit<SR: AsyncRead + Unpin>(
        &mut self,
        action: &Action,
        payload: &[u8],
        server_reader: &mut FrameReader<SR>,
        reusable: &mut Option<Reusable>,
    ) -> Result<Result<Decision, GatewayError>, PgError> {
        let evaluated = self
            .pipeline
            .evaluate_keeping(self.session, action, payload, reusable)
            .await;
        let (decision, review) = match evaluated {
            Ok(Admission::Forward(decision)) => {
                return Ok(self.pipeline.masker(&decision).map(|_| decision));
            }
            Ok(Admission::Held(decision, review)) => (decision, review),
            Err(refusal) => return Ok(Err(refusal)),
        };
        self.drain(server_reader).await?;
        let notice = error_response::Notice {
            severity: "NOTICE",
            code: "01000",
            message: &review.notice,
            detail: None,
            hint: None,
        };
        self.to_client.extend_from_slice(&notice.notice());
        self.flush_client().await?;
        Ok(self
            .pipeline
            .await_review(self.session, &review, payload)
            .await
            .map(|()| decision))
    }

    fn forward(&mut self, frame: Frame, expect: Expect) {
        self.to_server.extend_from_slice(frame.bytes());
        self.expect.push_back(expect);
    }

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

    /// Waits until the server has answered everything forwarded so far, then sends the refusal.
    async fn refuse<SR: AsyncRead + Unpin>(
        &mut self,
        refusal: &GatewayError,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<(), PgError> {
        self.totals.refused += 1;
        self.drain(server_reader).await?;
        let code = match refusal.fault {
            warden_core::Fault::Client => "42501",
            _ => "58000",
        };
        self.to_client
            .extend_from_slice(&error_response::error(code, &refusal.message));
        Ok(())
    }

    /// Flushes what was forwarded and reads the server's answers until nothing is owed.
    async fn drain<SR: AsyncRead + Unpin>(
        &mut self,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<(), PgError> {
        if !self.expect.is_empty() {
            self.to_server.extend_from_slice(&tagged(b'H', &[]));
            self.flush_server().await?;
            while !self.expect.is_empty() {
                let Some(frame) = server_reader.next().await? else {
                    return Err(PgError::Upstream("the server closed the connection".into()));
                };
                self.on_server(frame).await?;
            }
        }
        Ok(())
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
                self.session,
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

/// Statement text as it goes into the recording: masked when the role masks.
fn recorded_text(sql: &str, masker: &Option<Arc<dyn ValueMasker>>) -> Arc<str> {
    match masker {
        Some(masker) => Arc::from(masker.mask_text(sql).as_ref()),
        None => Arc::from(sql),
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
