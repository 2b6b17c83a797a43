//! Admitting a statement: its classification and the verdict on it, a read reused as it was
//! admitted before, a hold for review, and refusals answered in protocol order.

use super::Relay;
use crate::PgError;
use crate::frame::FrameReader;
use crate::messages::{error_response, tagged};
use crate::statements::{Admitted, WHOLE_ROW};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use warden_core::mask::ColumnRef;
use warden_core::pipeline::{Admission, Reusable};
use warden_core::{Action, AuditKind, AuditRecord, Decision, GatewayError};
use warden_sql::Classification;

impl<CW, SW> Relay<CW, SW>
where
    CW: AsyncWrite + Unpin,
    SW: AsyncWrite + Unpin,
{
    /// Classifies and admits a statement's text: what it was admitted as, or `None` when it
    /// was refused (the refusal is queued for the client). An allowed read of a shape this
    /// session ran before is admitted as it was then while policy says that still holds.
    pub(super) async fn admit_statement<SR: AsyncRead + Unpin>(
        &mut self,
        sql: &str,
        server_reader: &mut FrameReader<SR>,
    ) -> Result<Option<(Arc<Classification>, Arc<Admitted>)>, PgError> {
        let (classification, mut action) = self.statements.simple_query(sql);
        if let Some((reusable, admitted)) = self.statements.kept(&classification)
            && self.pipeline.reuse(&self.session, reusable)
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
            .for_session(&self.session)
            .with_decision(action, &denied);
        if let Err(error) = self.pipeline.audit(record).await {
            return Some(error);
        }
        Some(refusal)
    }

    /// The verdict on `action`: the decision to forward under, or the refusal to answer with
    /// (`reusable` as [`warden_core::Pipeline::evaluate_keeping`] leaves it).
    /// A request held for review first waits for everything forwarded before it to be answered
    /// (so the client sees results in order), then gets a NoticeResponse naming the review, and
    /// the relay waits here until the review is decided.
    pub(super) async fn admit<SR: AsyncRead + Unpin>(
        &mut self,
        action: &Action,
        payload: &[u8],
        server_reader: &mut FrameReader<SR>,
        reusable: &mut Option<Reusable>,
    ) -> Result<Result<Decision, GatewayError>, PgError> {
        let evaluated = self
            .pipeline
            .evaluate_keeping(&self.session, action, payload, reusable)
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
            .await_review(&self.session, &review, payload)
            .await
            .map(|()| decision))
    }

    /// Waits until the server has answered everything forwarded so far, then sends the refusal.
    pub(super) async fn refuse<SR: AsyncRead + Unpin>(
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
}
