//! An event ready to be chained: its fields, with its detail written once as RFC 8785 canonical
//! JSON. The hash covers that text and, unless it rounds an integer, the store keeps the same
//! text, so a detail is serialised once on its way into the chain.

use super::canonical;
use crate::StoreError;
use warden_core::AuditRecord;

/// An event whose detail is already canonical JSON.
pub(super) struct Sealed {
    /// The event. A request batch sealed straight from its requests has a `Null` detail here:
    /// `detail` is then its only form.
    pub(super) record: AuditRecord,
    /// The detail as canonical JSON.
    pub(super) detail: Vec<u8>,
    /// The detail as stored, when that is not `detail` (the canonical form rounded an integer
    /// beyond 2^53 to a double).
    pub(super) stored: Option<String>,
}

impl Sealed {
    /// Seals `record`, writing its detail.
    pub(super) fn record(record: AuditRecord) -> Result<Sealed, StoreError> {
        let mut detail = Vec::with_capacity(128);
        let rounded = canonical::write_value(&mut detail, &record.detail).map_err(|e| {
            StoreError::Corrupt {
                table: "audit_events",
                message: format!("an audit event's detail cannot be canonicalised: {e}"),
            }
        })?;
        let stored = rounded.then(|| record.detail.to_string());
        Ok(Sealed {
            record,
            detail,
            stored,
        })
    }

    /// The detail's JSON text as the store keeps it.
    pub(super) fn stored_detail(&mut self) -> String {
        match self.stored.take() {
            Some(stored) => stored,
            // Written from `str`s and ASCII only: always UTF-8.
            None => String::from_utf8(std::mem::take(&mut self.detail))
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }
}
