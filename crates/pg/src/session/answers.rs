//! The server's side of a session: each answer relayed to the client in order, rows masked
//! and sampled for the recording, result columns described (their names looked up for column
//! rules), COPY data masked, and each statement finished when its answer is complete.

use super::{Expect, FLUSH_AT, Relay};
use crate::PgError;
use crate::frame::Frame;
use crate::masking;
use crate::messages::{
    command_complete, error_response, parameter_description, row_description, tagged,
};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWrite;

impl<CW, SW> Relay<CW, SW>
where
    CW: AsyncWrite + Unpin,
    SW: AsyncWrite + Unpin,
{
    pub(super) async fn on_server(&mut self, frame: Frame) -> Result<(), PgError> {
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

    pub(super) async fn flush_if_full(&mut self) -> Result<(), PgError> {
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
}
