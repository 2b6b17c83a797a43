//! Request batches: the `request` events one session appends within a group window, with the
//! same identity, connection, action, verdict, rule, tables and functions, are chained as one
//! event that lists each request (its time, duration, rows, error, …). A busy session then
//! costs the chain and the store one event per window instead of one per statement, and every
//! request is still covered by the chain. [`super::search`] lists them one by one again.
//!
//! A batch that holds a single request is chained as that request's own event, unchanged.

use super::canonical::{self, CanonicalError};
use super::sealed::Sealed;
use crate::{StoreError, timestamp};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;
use warden_core::{AuditKind, AuditRecord, Exchange, RequestEvent, Verdict};

/// Most requests one batched event lists; a batch that reaches it is chained at once.
pub const BATCH_LIMIT: usize = 256;

/// Longest time between the first and the last request of one batch; `search` looks this far
/// back for batches that started before its `since`.
pub const BATCH_SPAN: Duration = Duration::from_secs(1);

/// The detail field of a batched event that lists its requests.
pub const REQUESTS: &str = "requests";

/// Detail fields every request of a batch shares; they stay at the top of the batched event.
pub(super) const SHARED: [&str; 2] = ["tables", "functions"];

/// The open batches, one per session at most.
#[derive(Default)]
pub(super) struct Batches {
    open: Mutex<HashMap<Uuid, Batch, BuildHasherDefault<SessionHasher>>>,
    /// Closed batches whose chaining failed, to be chained first next time.
    retry: Mutex<Vec<Sealed>>,
}

/// Hashes a session id with a folded multiply per eight bytes (the high and low halves of the
/// 128-bit product XORed, so every input bit reaches every output bit). Session ids are drawn
/// by the gateway, never chosen by a client, so SipHash's guard against chosen keys buys
/// nothing on this per-statement path.
#[derive(Default)]
pub(super) struct SessionHasher(u64);

impl Hasher for SessionHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    #[allow(clippy::cast_possible_truncation)] // the two halves of the product, on purpose
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            let product =
                u128::from(self.0 ^ u64::from_le_bytes(word)) * 0x9e37_79b9_7f4a_7c15_u128;
            self.0 = (product as u64) ^ ((product >> 64) as u64);
        }
    }
}

/// Requests of one session waiting to be chained together.
pub(super) struct Batch {
    /// The first request, as appended (its detail without the shared fields once a second
    /// request joins; those are in `names`).
    first: AuditRecord,
    /// The first request's [`SHARED`] fields, in that order: what every request of the batch
    /// shares, compared without looking them up.
    names: [Option<Value>; 2],
    /// Every request after the first.
    more: Vec<Entry>,
    /// The canonical JSON of the HTTP exchanges after the first, one after another, written by
    /// the thread that appended each (where its fields are still in cache): chaining the batch
    /// then copies them and frees one buffer rather than each exchange's strings.
    written: Vec<u8>,
}

/// A request after the first of its batch: what is its own.
enum Entry {
    /// Appended as a [`RequestEvent`]: kept as it came, turned into JSON when chained.
    Outcome {
        time: DateTime<Utc>,
        duration_ms: f64,
        rows: Option<u64>,
        error: Option<String>,
    },
    /// An HTTP exchange appended as a [`RequestEvent`]: its canonical JSON, at these bytes of
    /// the batch's `written`.
    Written(Range<usize>),
    /// Appended as a record: its detail without the shared fields.
    Detail {
        time: DateTime<Utc>,
        detail: Map<String, Value>,
    },
}

/// Identity, connection, action and rule of a request.
type Fields<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// What [`Batches::push`] did with a request.
pub(super) struct Pushed {
    /// A batch that must be chained now, before anything else of its session (the session's
    /// previous batch when this request cannot join it, or a batch that became full).
    pub(super) closed: Option<Batch>,
    /// This request opened the first batch: the flusher must be woken.
    pub(super) opened_first: bool,
}

impl Batches {
    /// Whether `record` may wait in a batch: a `request` event of a session whose detail is an
    /// object (and not itself a batch).
    pub(super) fn batchable(record: &AuditRecord) -> bool {
        record.kind == AuditKind::Request
            && session_key(record).is_some()
            && record
                .detail
                .as_object()
                .is_some_and(|d| !d.contains_key(REQUESTS))
    }

    /// Adds a [`Self::batchable`] request to its session's batch.
    pub(super) fn push(&self, record: AuditRecord) -> Pushed {
        let key = session_key(&record).unwrap_or_default();
        self.add(key, |batch| match batch {
            Some(batch) => batch.join(record),
            None => Some(record),
        })
    }

    /// Adds the `request` event of `event` to its session's batch, building the record only
    /// when it opens a batch.
    pub(super) fn push_request(&self, event: &RequestEvent<'_>) -> Pushed {
        self.add(event.session.id, |batch| {
            match batch.is_some_and(|batch| batch.join_request(event)) {
                true => None,
                false => Some(event.to_record()),
            }
        })
    }

    /// Adds the `request` event of `event` to its session's batch only when that closes no
    /// batch: it joins the open one without filling it, or opens the session's first. Returns
    /// whether it opened the first batch of all (the flusher must be woken); `None` when it was
    /// not added.
    pub(super) fn try_push_request(&self, event: &RequestEvent<'_>) -> Option<bool> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        match open.get_mut(&event.session.id) {
            Some(batch) => {
                let joined = batch.len() + 1 < BATCH_LIMIT && batch.join_request(event);
                joined.then_some(false)
            }
            None => {
                let opened_first = open.is_empty();
                open.insert(event.session.id, Batch::new(event.to_record()));
                Some(opened_first)
            }
        }
    }

    /// Offers a request to the open batch of `key` (`None` when there is none): `join` hands
    /// back the record that opens the next batch when it does not join, and the batch before
    /// it is closed.
    fn add(
        &self,
        key: Uuid,
        join: impl FnOnce(Option<&mut Batch>) -> Option<AuditRecord>,
    ) -> Pushed {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let opened_first = open.is_empty();
        let joined = join(open.get_mut(&key));
        let closed = match joined {
            None => match open.get(&key).is_some_and(|b| b.len() >= BATCH_LIMIT) {
                true => open.remove(&key),
                false => None,
            },
            Some(next) => open.insert(key, Batch::new(next)),
        };
        Pushed {
            closed,
            opened_first,
        }
    }

    /// The open batch of `session`.
    pub(super) fn take(&self, session: &str) -> Option<Batch> {
        let key = Uuid::parse_str(session).ok()?;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&key)
    }

    /// Every batch to chain, sealed: those put back first, then every open one, oldest first.
    pub(super) fn take_all(&self) -> Vec<Result<Sealed, StoreError>> {
        let mut batches: Vec<Batch> = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            open.drain().map(|(_, batch)| batch).collect()
        };
        batches.sort_by_key(|batch| batch.first.time);
        let retry = {
            let mut retry = self.retry.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *retry)
        };
        let mut all: Vec<Result<Sealed, StoreError>> = retry.into_iter().map(Ok).collect();
        all.extend(batches.into_iter().map(Batch::seal));
        all
    }

    /// A batch taken by [`Self::take_all`] that could not be chained.
    pub(super) fn put_back(&self, record: Sealed) {
        let mut retry = self.retry.lock().unwrap_or_else(PoisonError::into_inner);
        retry.push(record);
    }

    /// Whether nothing waits to be chained.
    pub(super) fn is_empty(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.is_empty()
            && self
                .retry
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
    }
}

impl Batch {
    fn new(first: AuditRecord) -> Batch {
        Batch {
            names: SHARED.map(|field| first.detail.get(field).cloned()),
            first,
            more: Vec::new(),
            written: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        1 + self.more.len()
    }

    /// Whether a request with these fields may join: same identity, connection, action,
    /// verdict and rule, within [`BATCH_SPAN`] of the first (a full batch was closed already).
    fn accepts(
        &self,
        time: DateTime<Utc>,
        (identity, connection, action, rule): Fields<'_>,
        verdict: Option<Verdict>,
    ) -> bool {
        let first = &self.first;
        first.identity.as_deref() == identity
            && first.connection.as_deref() == connection
            && first.action.as_deref() == action
            && first.rule.as_deref() == rule
            && first.verdict == verdict
            && (time - first.time)
                .to_std()
                .is_ok_and(|gap| gap <= BATCH_SPAN)
    }

    /// A second request joins: the shared fields leave the first one's detail (`names` has them).
    fn open_shared(&mut self) {
        if self.more.is_empty()
            && let Value::Object(detail) = &mut self.first.detail
        {
            remove_shared(detail);
        }
    }

    /// Adds `record` when it shares everything but its own outcome with this batch; otherwise
    /// hands it back.
    fn join(&mut self, record: AuditRecord) -> Option<AuditRecord> {
        let fields = (
            record.identity.as_deref(),
            record.connection.as_deref(),
            record.action.as_deref(),
            record.rule.as_deref(),
        );
        let joins = self.accepts(record.time, fields, record.verdict)
            && SHARED
                .iter()
                .zip(&self.names)
                .all(|(field, name)| record.detail.get(field) == name.as_ref());
        if !joins {
            return Some(record);
        }
        self.open_shared();
        let mut detail = match record.detail {
            Value::Object(detail) => detail,
            _ => Map::new(),
        };
        remove_shared(&mut detail);
        self.more.push(Entry::Detail {
            time: record.time,
            detail,
        });
        None
    }

    /// Adds `event` when it shares everything but its own outcome with this batch.
    fn join_request(&mut self, event: &RequestEvent<'_>) -> bool {
        let fields = (
            Some(event.session.identity.subject.as_str()),
            Some(event.session.connection.as_str()),
            Some(event.action.name.as_str()),
            Some(event.decision.rule.as_str()),
        );
        let [tables, functions] = &self.names;
        let same_shared = match event.exchange {
            None => {
                same_names(tables.as_ref(), &event.action.tables)
                    && same_names(functions.as_ref(), &event.action.functions)
            }
            // An exchange's event names no tables or functions.
            Some(_) => tables.is_none() && functions.is_none(),
        };
        if !(same_shared && self.accepts(event.time, fields, Some(event.decision.verdict))) {
            return false;
        }
        let entry = match event.exchange {
            None => Entry::Outcome {
                time: event.time,
                duration_ms: event.duration_ms,
                rows: event.rows,
                error: event.error.clone(),
            },
            Some(exchange) => {
                let start = self.written.len();
                // One with an integer canonical JSON would round (or that cannot be written)
                // does not join: it opens the next batch, first in it, and is stored exactly.
                if !matches!(
                    write_exchange(&mut self.written, event, exchange),
                    Ok(false)
                ) {
                    self.written.truncate(start);
                    return false;
                }
                Entry::Written(start..self.written.len())
            }
        };
        self.open_shared();
        self.more.push(entry);
        true
    }

    /// The event to chain, sealed: the request itself when it is alone, else the batched event
    /// with its detail written straight from the requests (the same text [`Self::into_record`]'s
    /// detail has as canonical JSON).
    pub(super) fn seal(self) -> Result<Sealed, StoreError> {
        if self.more.is_empty() {
            return Sealed::record(self.first);
        }
        let mut detail = Vec::with_capacity(64 + 96 * self.len());
        match self.write_detail(&mut detail) {
            Ok(false) => {
                let mut record = self.first;
                record.detail = Value::Null;
                Ok(Sealed {
                    record,
                    detail,
                    stored: None,
                })
            }
            // An integer beyond 2^53: the built detail keeps it exactly for the store.
            Ok(true) => Sealed::record(self.into_record()),
            Err(error) => Err(StoreError::Corrupt {
                table: "audit_events",
                message: format!("a request batch cannot be canonicalised: {error}"),
            }),
        }
    }

    /// Writes the batched event's detail as canonical JSON (keys `functions`, `requests`,
    /// `tables`); returns whether an integer was rounded.
    fn write_detail(&self, out: &mut Vec<u8>) -> Result<bool, CanonicalError> {
        let [tables, functions] = &self.names;
        let mut rounded = false;
        out.push(b'{');
        if let Some(functions) = functions {
            out.extend_from_slice(b"\"functions\":");
            rounded |= canonical::write_value(out, functions)?;
            out.push(b',');
        }
        out.extend_from_slice(b"\"requests\":[");
        rounded |= write_request(out, self.first.time, self.first.detail.as_object())?;
        for entry in &self.more {
            out.push(b',');
            rounded |= entry.write(out, &self.written)?;
        }
        out.push(b']');
        if let Some(tables) = tables {
            out.extend_from_slice(b",\"tables\":");
            rounded |= canonical::write_value(out, tables)?;
        }
        out.push(b'}');
        Ok(rounded)
    }

    /// The event to chain: the request itself when it is alone, else the batched event.
    pub(super) fn into_record(self) -> AuditRecord {
        if self.more.is_empty() {
            return self.first;
        }
        let mut first = self.first;
        let own = match std::mem::take(&mut first.detail) {
            Value::Object(detail) => detail,
            _ => Map::new(),
        };
        let mut requests = Vec::with_capacity(1 + self.more.len());
        requests.push(with_time(first.time, own));
        let written = &self.written;
        requests.extend(self.more.into_iter().map(|entry| entry.into_value(written)));
        let mut detail: Map<String, Value> = SHARED
            .iter()
            .zip(self.names)
            .filter_map(|(field, value)| Some(((*field).to_owned(), value?)))
            .collect();
        detail.insert(REQUESTS.to_owned(), Value::Array(requests));
        first.detail = Value::Object(detail);
        first
    }
}

impl Entry {
    /// Writes the request as listed in the batched event, as canonical JSON; returns whether
    /// an integer was rounded.
    fn write(&self, out: &mut Vec<u8>, written: &[u8]) -> Result<bool, CanonicalError> {
        match self {
            Entry::Detail { time, detail } => write_request(out, *time, Some(detail)),
            Entry::Written(range) => {
                out.extend_from_slice(&written[range.clone()]);
                Ok(false)
            }
            Entry::Outcome {
                time,
                duration_ms,
                rows,
                error,
            } => {
                write_duration(out, *duration_ms)?;
                out.extend_from_slice(b",\"error\":");
                canonical::write_optional(out, error.as_deref());
                out.extend_from_slice(b",\"rows\":");
                let rounded = match rows {
                    Some(rows) => canonical::write_u64(out, *rows)?,
                    None => {
                        out.extend_from_slice(b"null");
                        false
                    }
                };
                out.extend_from_slice(b",\"time\":");
                timestamp::write_quoted(out, time);
                out.push(b'}');
                Ok(rounded)
            }
        }
    }

    /// The request as listed in the batched event (`written`: the batch's).
    fn into_value(self, written: &[u8]) -> Value {
        match self {
            Entry::Detail { time, detail } => with_time(time, detail),
            // Written by `write_exchange` as JSON, which reads back; were it ever not to, its
            // text is kept rather than dropped.
            Entry::Written(range) => {
                let text = &written[range];
                serde_json::from_slice(text)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(text).into_owned()))
            }
            Entry::Outcome {
                time,
                duration_ms,
                rows,
                error,
            } => {
                // In canonical key order, so the chain writes it without sorting.
                let mut detail = Map::with_capacity(4);
                detail.insert("duration_ms".to_owned(), Value::from(duration_ms));
                detail.insert("error".to_owned(), Value::from(error));
                detail.insert("rows".to_owned(), Value::from(rows));
                with_time(time, detail)
            }
        }
    }
}

/// Writes the exchange of `event` as listed in a batched event, as canonical JSON (keys in
/// UTF-16 order); returns whether an integer was rounded.
fn write_exchange(
    out: &mut Vec<u8>,
    event: &RequestEvent<'_>,
    e: &Exchange,
) -> Result<bool, CanonicalError> {
    write_duration(out, event.duration_ms)?;
    out.extend_from_slice(b",\"error\":");
    canonical::write_optional(out, event.error.as_deref());
    out.extend_from_slice(b",\"method\":");
    canonical::write_str(out, &e.method);
    if let Some(model) = &event.action.model {
        out.extend_from_slice(b",\"model\":");
        canonical::write_str(out, model);
    }
    out.extend_from_slice(b",\"path\":");
    canonical::write_str(out, &e.path);
    out.extend_from_slice(b",\"request_bytes\":");
    let mut rounded = canonical::write_u64(out, e.request_bytes)?;
    out.extend_from_slice(b",\"response_bytes\":");
    rounded |= canonical::write_u64(out, e.response_bytes)?;
    out.extend_from_slice(b",\"status\":");
    rounded |= canonical::write_u64(out, u64::from(e.status))?;
    out.extend_from_slice(b",\"time\":");
    timestamp::write_quoted(out, &event.time);
    if let Some(usage) = &e.usage {
        out.extend_from_slice(b",\"usage\":");
        rounded |= canonical::write_value(out, usage)?;
    }
    out.push(b'}');
    Ok(rounded)
}

/// Opens a request's object with its duration (`Value::from` makes a non-finite one `null`).
fn write_duration(out: &mut Vec<u8>, duration_ms: f64) -> Result<(), CanonicalError> {
    out.extend_from_slice(b"{\"duration_ms\":");
    match duration_ms.is_finite() {
        true => canonical::write_millis(out, duration_ms),
        false => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// Whether `value` is the JSON array of exactly `names`.
fn same_names(value: Option<&Value>, names: &[String]) -> bool {
    match value {
        Some(Value::Array(values)) => {
            values.len() == names.len()
                && values
                    .iter()
                    .zip(names)
                    .all(|(v, n)| v.as_str() == Some(n.as_str()))
        }
        _ => false,
    }
}

/// The session id of `record`, when it has one.
fn session_key(record: &AuditRecord) -> Option<Uuid> {
    record
        .session
        .as_deref()
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Removes the shared fields from `detail`.
fn remove_shared(detail: &mut Map<String, Value>) {
    for field in SHARED {
        detail.remove(field);
    }
}

/// Writes one request of a batched event, its own detail fields and its time, as canonical
/// JSON; returns whether an integer was rounded.
fn write_request(
    out: &mut Vec<u8>,
    time: DateTime<Utc>,
    own: Option<&Map<String, Value>>,
) -> Result<bool, CanonicalError> {
    let time = timestamp::format(&time);
    let mut members: Vec<(&str, Option<&Value>)> = own
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != "time")
        .map(|(key, value)| (key.as_str(), Some(value)))
        .collect();
    members.push(("time", None));
    members.sort_unstable_by(|a, b| canonical::utf16_cmp(a.0, b.0));
    let mut rounded = false;
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical::write_str(out, key);
        out.push(b':');
        match value {
            Some(value) => rounded |= canonical::write_value(out, value)?,
            None => canonical::write_str(out, &time),
        }
    }
    out.push(b'}');
    Ok(rounded)
}

/// One request of a batched event: its own detail fields and its time.
fn with_time(time: DateTime<Utc>, mut detail: Map<String, Value>) -> Value {
    detail.insert("time".to_owned(), Value::String(timestamp::format(&time)));
    Value::Object(detail)
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
