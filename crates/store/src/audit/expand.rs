//! Search lists a stored request batch as one event per request: each has the batch's `seq`,
//! hashes and shared fields, its own time and detail, and `part` saying which request it is.

use super::batch::REQUESTS;
use crate::{BatchPart, ChainedEvent, timestamp};
use serde_json::{Map, Value};
use warden_core::AuditKind;

/// Whether `event` is a stored request batch.
pub(super) fn is_batch(event: &ChainedEvent) -> bool {
    event.record.kind == AuditKind::Request
        && matches!(event.record.detail.get(REQUESTS), Some(Value::Array(_)))
}

/// Appends `event` to `out`, or one event per request when it is a batch.
pub(super) fn expand(event: ChainedEvent, out: &mut Vec<ChainedEvent>) {
    if !is_batch(&event) {
        out.push(event);
        return;
    }
    let mut batch = event;
    let mut shared = match std::mem::take(&mut batch.record.detail) {
        Value::Object(detail) => detail,
        _ => Map::new(),
    };
    let requests = match shared.remove(REQUESTS) {
        Some(Value::Array(requests)) => requests,
        _ => Vec::new(),
    };
    let count = u32::try_from(requests.len()).unwrap_or(u32::MAX);
    for (index, request) in requests.into_iter().enumerate() {
        let mut own = match request {
            Value::Object(own) => own,
            other => Map::from_iter([("request".to_owned(), other)]),
        };
        let time = own
            .remove("time")
            .and_then(|t| t.as_str().and_then(|t| timestamp::parse(t).ok()))
            .unwrap_or(batch.record.time);
        let mut detail = shared.clone();
        detail.extend(own);
        let mut event = batch.clone();
        event.record.time = time;
        event.record.detail = Value::Object(detail);
        event.part = Some(BatchPart {
            index: u32::try_from(index + 1).unwrap_or(u32::MAX),
            count,
        });
        out.push(event);
    }
}
