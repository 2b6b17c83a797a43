//! Statement text as the recording holds it: masked when the role masks, and a Parse of the
//! text the last Parse had recorded as that one was.

use super::Relay;
use crate::statements::Admitted;
use std::sync::Arc;
use tokio::io::AsyncWrite;
use warden_core::mask::ValueMasker;

/// A Parse's text and what the recording holds for it. Drivers that run each statement as
/// the unnamed one (psycopg, pgbench's extended mode) send the same text in a Parse before
/// every execution: it is masked for the recording once, not every time.
pub(super) struct ParsedText {
    /// What the text was admitted as (its masker follows from the decision).
    admitted: Arc<Admitted>,
    /// The text as the client sent it.
    sql: Arc<str>,
    /// The text as recorded: the same allocation as `sql` when masking changed nothing.
    recorded: Arc<str>,
}

impl<CW, SW> Relay<CW, SW>
where
    CW: AsyncWrite + Unpin,
    SW: AsyncWrite + Unpin,
{
    /// The text a Parse of `sql`, admitted as `admitted`, is recorded with: masked when the
    /// role masks, the last Parse's again when it had the same text and admission.
    pub(super) fn parsed_text(&mut self, sql: &str, admitted: &Arc<Admitted>) -> Arc<str> {
        if let Some(last) = &self.parsed_text
            && Arc::ptr_eq(&last.admitted, admitted)
            && *last.sql == *sql
        {
            return last.recorded.clone();
        }
        let masker = self.pipeline.masker(&admitted.decision).ok().flatten();
        let recorded = recorded_text(sql, &masker);
        // Unmasked, the key is the recorded text itself.
        let sql = if *recorded == *sql {
            recorded.clone()
        } else {
            Arc::from(sql)
        };
        self.parsed_text = Some(ParsedText {
            admitted: admitted.clone(),
            sql,
            recorded: recorded.clone(),
        });
        recorded
    }
}

/// Statement text as it goes into the recording: masked when the role masks.
pub(super) fn recorded_text(sql: &str, masker: &Option<Arc<dyn ValueMasker>>) -> Arc<str> {
    match masker {
        Some(masker) => Arc::from(masker.mask_text(sql).as_ref()),
        None => Arc::from(sql),
    }
}
