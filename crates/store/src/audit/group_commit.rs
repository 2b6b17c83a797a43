//! The state behind [`AuditLog`](super::AuditLog): the end of the chain in memory, the events
//! chained but not yet stored, and the single writer that stores them in order of `seq`.
//!
//! Two locks, always taken in this order: `writer` (one store write at a time, so the store
//! receives events in order of `seq`), then `head` (numbering). Grouped appends take only `head`
//! and never wait for the database; durable appends hold both until their batch is stored, so
//! nothing is chained after an event that may still have to be taken back.

use super::batch::Batches;
use super::sealed::Sealed;
use super::{chain, checkpoint};
use crate::{ChainedEvent, Checkpoint, DynStore, StoreError, StoredEvent, timestamp};
use ed25519_dalek::SigningKey;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard, Notify, RwLock};
use tokio::time::Instant;
use warden_core::AuditRecord;

/// A pending batch this large is written at once instead of at the end of the window.
pub const GROUP_SIZE: usize = 2048;

/// At most this many events wait for the store. A grouped append beyond it waits for the
/// writer to catch up (up to [`BACKLOG_WAIT`]), and is refused at once while the store refuses
/// writes.
pub const UNSTORED_LIMIT: usize = 10_000;

/// Longest a grouped append waits for a healthy but slower store before it is refused.
pub const BACKLOG_WAIT: Duration = Duration::from_secs(10);

/// One node's chain: numbering in memory, writes to the store in order.
pub(super) struct Chain {
    pub(super) store: DynStore,
    pub(super) node: String,
    pub(super) signing_key: SigningKey,
    pub(super) checkpoint_every: u64,
    head: Mutex<Head>,
    writer: Mutex<Writer>,
    /// Request batches not chained yet.
    pub(super) batches: Batches,
    /// Held shared by whoever takes a batch out of `batches`, from before the take until it is
    /// chained, and exclusively by [`Self::chain_batches`]: a flush then also covers a batch that
    /// another task (a session's end, a batch that filled) was chaining at that moment.
    pub(super) batch_gate: RwLock<()>,
    /// Signalled when the pending batch goes from empty to one event, and when the first
    /// request batch opens.
    pub(super) first_pending: Notify,
    /// Signalled when the pending batch reaches [`GROUP_SIZE`].
    pub(super) batch_full: Notify,
    /// Signalled when the last [`AuditLog`](super::AuditLog) clone is dropped.
    pub(super) closing: Notify,
    /// Signalled (to every waiter) whenever events were stored.
    drained: Notify,
    closed: AtomicBool,
    /// [`Chain::has_room`], published by every unlock of `head` so that appends need no lock.
    room: AtomicBool,
}

/// The locked `head`; dropping it publishes whether a grouped append has room.
struct HeadGuard<'a> {
    head: MutexGuard<'a, Head>,
    room: &'a AtomicBool,
}

impl Deref for HeadGuard<'_> {
    type Target = Head;
    fn deref(&self) -> &Head {
        &self.head
    }
}

impl DerefMut for HeadGuard<'_> {
    fn deref_mut(&mut self) -> &mut Head {
        &mut self.head
    }
}

impl Drop for HeadGuard<'_> {
    fn drop(&mut self) {
        let room = !self.head.settle_first && self.head.unstored < UNSTORED_LIMIT;
        self.room.store(room, Ordering::Release);
    }
}

/// The end of the chain, stored or not.
struct Head {
    /// Sequence number of the last event chained (0 before the first).
    seq: u64,
    /// Its hash ([`chain::GENESIS_HASH`] before the first).
    hash: String,
    /// Events chained since the writer last took them, in order of `seq`.
    pending: Vec<StoredEvent>,
    /// Events chained but not known to be stored: `pending` plus the writer's `unstored`.
    unstored: usize,
    /// A durable event was taken back after an unclear failure: find out whether the store has
    /// it before chaining anything after the head.
    settle_first: bool,
    /// Why the last write failed, while it has not succeeded since.
    last_failure: Option<String>,
}

/// What the store holds, as far as this process knows.
struct Writer {
    /// Events taken from `pending` and not yet stored, in order of `seq`, following `stored_seq`.
    unstored: Vec<StoredEvent>,
    /// Sequence number of the last event known to be stored.
    stored_seq: u64,
    /// Its hash.
    stored_hash: String,
    /// Sequence number of the last stored checkpoint.
    checkpointed: u64,
    /// `(seq, hash)` of the last event of a batch whose insert failed without a clear answer
    /// (the store may have committed it); the next write first looks at the store to find out.
    in_doubt: Option<(u64, String)>,
}

/// What a grouped append did.
pub(super) enum Grouped {
    /// The event took its place in the chain and waits in the pending batch (a copy of it, when
    /// the caller asked for one).
    Chained(Option<ChainedEvent>),
    /// The chain must be settled with the store first (see [`Head::settle_first`]).
    SettleFirst(Sealed),
}

impl Chain {
    /// A chain whose stored end is event `seq` with `hash`, checkpointed up to `checkpointed`.
    pub(super) fn new(
        store: DynStore,
        node: String,
        signing_key: SigningKey,
        checkpoint_every: u64,
        (seq, hash): (u64, String),
        checkpointed: u64,
    ) -> Chain {
        Chain {
            store,
            node,
            signing_key,
            checkpoint_every,
            head: Mutex::new(Head {
                seq,
                hash: hash.clone(),
                pending: Vec::new(),
                unstored: 0,
                settle_first: false,
                last_failure: None,
            }),
            writer: Mutex::new(Writer {
                unstored: Vec::new(),
                stored_seq: seq,
                stored_hash: hash,
                checkpointed,
                in_doubt: None,
            }),
            batches: Batches::default(),
            batch_gate: RwLock::new(()),
            first_pending: Notify::new(),
            batch_full: Notify::new(),
            closing: Notify::new(),
            drained: Notify::new(),
            closed: AtomicBool::new(false),
            room: AtomicBool::new(true),
        }
    }

    /// Sequence number and hash of the last event chained, stored or not.
    pub(super) async fn head(&self) -> (u64, String) {
        let head = self.lock_head().await;
        (head.seq, head.hash.clone())
    }

    /// Whether a full batch waits for the writer.
    pub(super) async fn batch_waiting(&self) -> bool {
        self.lock_head().await.pending.len() >= GROUP_SIZE
    }

    /// Whether the flusher has something to do: events to store or a doubt to settle.
    pub(super) async fn has_work(&self) -> bool {
        let head = self.lock_head().await;
        head.unstored > 0 || head.settle_first || !self.batches.is_empty()
    }

    /// Events chained but not known to be stored.
    pub(super) async fn unstored(&self) -> usize {
        self.lock_head().await.unstored
    }

    /// Tells the flusher to store what is left and stop.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.closing.notify_one();
    }

    /// Whether [`Self::close`] was called.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// See [`AuditLog::record`](super::AuditLog::record): stores every pending event, then
    /// `record`, in one transaction. On error the head is unchanged.
    pub(super) async fn record(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
        let sealed = Sealed::record(record)?;
        let mut writer = self.writer.lock().await;
        if let Err(error) = self.settle(&mut writer).await {
            self.lock_head().await.last_failure = Some(error.to_string());
            return Err(error);
        }
        let mut head = self.lock_head().await;
        // Settled above: nothing is in doubt.
        head.settle_first = false;
        self.chain_next(&mut head, sealed)?;
        writer.unstored.append(&mut head.pending);
        let Some(event) = writer.unstored.last().map(|stored| stored.event.clone()) else {
            return Err(StoreError::Corrupt {
                table: "audit_events",
                message: format!("the event just chained on node {} went missing", self.node),
            });
        };
        match self.write_unstored(&mut writer).await {
            Ok(written) => {
                head.unstored = head.unstored.saturating_sub(written);
                head.last_failure = None;
                self.drained.notify_waiters();
            }
            Err(error) => {
                // Nothing was chained after this event (the head lock is held), so it can be
                // taken back; the grouped events before it stay for the next write.
                writer.unstored.pop();
                head.seq = event.seq.saturating_sub(1);
                head.hash.clone_from(&event.prev_hash);
                head.unstored = head.unstored.saturating_sub(1);
                // Unclear whether the batch reached the store: it may hold this event, so the
                // next number must wait until the store has been asked.
                head.settle_first = writer.in_doubt.is_some();
                head.last_failure = Some(error.to_string());
                return Err(error);
            }
        }
        drop(head);
        self.checkpoint_if_due(&mut writer).await;
        Ok(event)
    }

    /// See [`AuditLog::record_grouped`](super::AuditLog::record_grouped).
    /// `copy` asks for a copy of the chained event (callers that only need it stored skip the clone).
    pub(super) async fn record_grouped(
        &self,
        record: Sealed,
        copy: bool,
    ) -> Result<Grouped, StoreError> {
        self.grouped(record, copy, true).await
    }

    /// Chains a closed request batch: its requests were accepted while there was room
    /// ([`Self::has_room`]), so it is chained even past [`UNSTORED_LIMIT`].
    pub(super) async fn record_accepted(
        self: &Arc<Self>,
        record: Sealed,
    ) -> Result<(), StoreError> {
        self.chain_accepted(record)
            .await
            .map_err(|(error, _)| error)
    }

    /// [`Self::record_accepted`], handing the batch back when it could not be chained because
    /// an earlier unclear failure could not be settled.
    async fn chain_accepted(
        self: &Arc<Self>,
        record: Sealed,
    ) -> Result<(), (StoreError, Option<Sealed>)> {
        let mut record = record;
        loop {
            match self.grouped(record, false, false).await {
                Ok(Grouped::Chained(_)) => return Ok(()),
                Ok(Grouped::SettleFirst(returned)) => {
                    record = returned;
                    // In its own task: a caller that gives up cannot cut the store query short.
                    let chain = Arc::clone(self);
                    let settled = match tokio::spawn(async move { chain.settle_doubt().await })
                        .await
                    {
                        Ok(settled) => settled,
                        Err(e) => Err(StoreError::unavailable(
                            self.store.backend(),
                            format!("settling the audit chain of node {} failed: {e}", self.node),
                        )),
                    };
                    if let Err(error) = settled {
                        return Err((error, Some(record)));
                    }
                }
                Err(error) => return Err((error, None)),
            }
        }
    }

    /// Whether a grouped append would be chained at once (nothing to settle first, and fewer
    /// than [`UNSTORED_LIMIT`] events wait for the store), as of the last unlock of `head`.
    pub(super) fn has_room(&self) -> bool {
        self.room.load(Ordering::Acquire)
    }

    /// `head`, locked until the guard is dropped.
    async fn lock_head(&self) -> HeadGuard<'_> {
        HeadGuard {
            head: self.head.lock().await,
            room: &self.room,
        }
    }

    /// Chains every open request batch (before a flush, so they are stored with it). A batch
    /// that cannot be chained (an unclear failure that cannot be settled) waits for the next try.
    pub(super) async fn chain_batches(self: &Arc<Self>) {
        let _gate = self.batch_gate.write().await;
        for sealed in self.batches.take_all() {
            let record = match sealed {
                Ok(record) => record,
                Err(error) => {
                    tracing::error!(node = %self.node, %error, "a request batch cannot be chained");
                    continue;
                }
            };
            match self.chain_accepted(record).await {
                Ok(()) => {}
                Err((error, Some(record))) => {
                    tracing::warn!(node = %self.node, %error, "cannot chain a request batch yet; it is retried");
                    self.batches.put_back(record);
                }
                Err((error, None)) => {
                    tracing::error!(node = %self.node, %error, "a request batch cannot be chained");
                }
            }
        }
    }

    async fn grouped(
        &self,
        record: Sealed,
        copy: bool,
        limit: bool,
    ) -> Result<Grouped, StoreError> {
        let deadline = Instant::now() + BACKLOG_WAIT;
        loop {
            // Registered before looking, so a write finishing in between is not missed.
            let drained = self.drained.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            {
                let mut head = self.lock_head().await;
                if head.settle_first {
                    return Ok(Grouped::SettleFirst(record));
                }
                if !limit || head.unstored < UNSTORED_LIMIT {
                    self.chain_next(&mut head, record)?;
                    let event = if copy {
                        head.pending.last().map(|stored| stored.event.clone())
                    } else {
                        None
                    };
                    match head.pending.len() {
                        1 => self.first_pending.notify_one(),
                        GROUP_SIZE => self.batch_full.notify_one(),
                        _ => {}
                    }
                    return Ok(Grouped::Chained(event));
                }
                if head.last_failure.is_some() || Instant::now() >= deadline {
                    return Err(StoreError::unavailable(
                        self.store.backend(),
                        format!(
                            "{} audit events of node {} are waiting for the store ({}); requests are refused until the store accepts them again",
                            head.unstored,
                            self.node,
                            head.last_failure
                                .as_deref()
                                .unwrap_or("it has not caught up within the backlog wait")
                        ),
                    ));
                }
            }
            // The store is healthy but behind: wait for the writer, within the deadline.
            let _ = tokio::time::timeout_at(deadline, drained).await;
        }
    }

    /// Finds out whether a batch whose insert failed without a clear answer reached the store.
    pub(super) async fn settle_doubt(&self) -> Result<(), StoreError> {
        let mut writer = self.writer.lock().await;
        let settled = self.settle(&mut writer).await;
        let mut head = self.lock_head().await;
        match &settled {
            // Nothing is in doubt any more (whoever settled it first), so numbering can go on.
            Ok(()) => head.settle_first = false,
            Err(error) => head.last_failure = Some(error.to_string()),
        }
        settled
    }

    /// Stores every event chained so far. Signs a checkpoint when one is due.
    pub(super) async fn flush(self: &Arc<Self>) -> Result<(), StoreError> {
        self.chain_batches().await;
        let mut writer = self.writer.lock().await;
        if self.flush_locked(&mut writer).await? > 0 {
            self.checkpoint_if_due(&mut writer).await;
        }
        Ok(())
    }

    /// See [`AuditLog::checkpoint`](super::AuditLog::checkpoint).
    pub(super) async fn checkpoint(self: &Arc<Self>) -> Result<Option<Checkpoint>, StoreError> {
        self.chain_batches().await;
        let mut writer = self.writer.lock().await;
        match self.flush_locked(&mut writer).await {
            Ok(_) => self.checkpoint_locked(&mut writer).await,
            Err(error) => {
                // What is stored is still worth protecting against being cut off unnoticed.
                if let Err(failed) = self.checkpoint_locked(&mut writer).await {
                    tracing::warn!(node = %self.node, seq = writer.stored_seq, error = %failed, "could not store an audit checkpoint");
                }
                Err(error)
            }
        }
    }

    /// Assigns `record` the next number after the head, chains it, and appends it to the pending
    /// batch.
    fn chain_next(&self, head: &mut Head, sealed: Sealed) -> Result<(), StoreError> {
        let seq = head.seq.checked_add(1).ok_or_else(|| StoreError::Corrupt {
            table: "audit_events",
            message: format!("the chain of node {} is full", self.node),
        })?;
        let mut sealed = sealed;
        sealed.record.time = timestamp::truncate(sealed.record.time);
        let hash = chain::sealed_hash(&head.hash, seq, &self.node, &sealed)?;
        let detail = sealed.stored_detail();
        let event = ChainedEvent {
            seq,
            node: self.node.clone(),
            record: sealed.record,
            prev_hash: std::mem::replace(&mut head.hash, hash.clone()),
            hash,
            part: None,
        };
        head.seq = seq;
        head.unstored += 1;
        head.pending.push(StoredEvent { event, detail });
        Ok(())
    }

    /// Settles any doubt, then stores the writer's and the pending events in one transaction.
    /// Returns how many were stored.
    async fn flush_locked(&self, writer: &mut Writer) -> Result<usize, StoreError> {
        let written = match self.settle(writer).await {
            Ok(()) => {
                let mut head = self.lock_head().await;
                writer.unstored.append(&mut head.pending);
                drop(head);
                self.write_unstored(writer).await
            }
            Err(error) => Err(error),
        };
        let mut head = self.lock_head().await;
        match &written {
            Ok(written) => {
                head.unstored = head.unstored.saturating_sub(*written);
                head.last_failure = None;
                self.drained.notify_waiters();
            }
            Err(error) => head.last_failure = Some(error.to_string()),
        }
        written
    }

    /// Stores the writer's unstored events in one transaction; returns how many. On failure
    /// they stay, in order, for the next attempt.
    async fn write_unstored(&self, writer: &mut Writer) -> Result<usize, StoreError> {
        let Some(last) = writer.unstored.last() else {
            return Ok(0);
        };
        let last = (last.event.seq, last.event.hash.clone());
        // Marked in doubt before the insert, so that if this future is dropped mid-insert, the
        // next write checks the store instead of writing the batch twice.
        writer.in_doubt = Some(last.clone());
        match self.store.insert_audit_events(&writer.unstored).await {
            Ok(()) => {
                writer.in_doubt = None;
                (writer.stored_seq, writer.stored_hash) = last;
                let written = writer.unstored.len();
                writer.unstored.clear();
                Ok(written)
            }
            // A clear refusal: nothing of the batch was stored.
            Err(conflict @ StoreError::Conflict(_)) => {
                writer.in_doubt = None;
                Err(conflict)
            }
            Err(other) => Err(other),
        }
    }

    /// Finds out whether the batch whose insert failed without a clear answer reached the store:
    /// adopts it if it did, keeps its events for the next write if the store still ends where it
    /// did, and refuses if someone else moved the chain.
    async fn settle(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let Some((seq, hash)) = writer.in_doubt.clone() else {
            return Ok(());
        };
        let stored = self.store.audit_head(&self.node).await?;
        let committed = match &stored {
            Some(s) if s.seq == seq && s.hash == hash => true,
            Some(s) if s.seq == writer.stored_seq && s.hash == writer.stored_hash => false,
            None if writer.stored_seq == 0 => false,
            stored => {
                return Err(StoreError::Conflict(format!(
                    "the audit chain of node {} changed underneath this gateway (the store ends at event {}, this gateway at {}): another process is writing it; give every gateway node its own name",
                    self.node,
                    stored.as_ref().map_or(0, |s| s.seq),
                    writer.stored_seq
                )));
            }
        };
        writer.in_doubt = None;
        let mut head = self.lock_head().await;
        if committed {
            let written = writer
                .unstored
                .iter()
                .take_while(|stored| stored.event.seq <= seq)
                .count();
            writer.unstored.drain(..written);
            head.unstored = head.unstored.saturating_sub(written);
            self.drained.notify_waiters();
            if head.seq < seq {
                // The durable event that was taken back is in the store after all.
                head.seq = seq;
                head.hash.clone_from(&hash);
            }
            (writer.stored_seq, writer.stored_hash) = (seq, hash);
        }
        head.settle_first = false;
        Ok(())
    }

    /// Signs a checkpoint when `checkpoint_every` events have been stored since the last one.
    /// The events are stored either way; a missing checkpoint is retried after the next write.
    async fn checkpoint_if_due(&self, writer: &mut Writer) {
        let due = self.checkpoint_every > 0
            && writer.stored_seq.saturating_sub(writer.checkpointed) >= self.checkpoint_every;
        if due && let Err(error) = self.checkpoint_locked(writer).await {
            tracing::warn!(node = %self.node, seq = writer.stored_seq, %error, "could not store an audit checkpoint");
        }
    }

    /// Signs and stores a checkpoint of the last stored event, if it is not checkpointed yet.
    async fn checkpoint_locked(
        &self,
        writer: &mut Writer,
    ) -> Result<Option<Checkpoint>, StoreError> {
        if writer.stored_seq == 0 || writer.checkpointed == writer.stored_seq {
            return Ok(None);
        }
        let signed = checkpoint::sign(
            &self.signing_key,
            &self.node,
            writer.stored_seq,
            &writer.stored_hash,
        )?;
        match self.store.insert_checkpoint(&signed).await {
            Ok(()) => {
                writer.checkpointed = signed.seq;
                Ok(Some(signed))
            }
            // An earlier attempt at this event was stored after all (its answer was lost).
            Err(StoreError::Conflict(_)) => {
                writer.checkpointed = signed.seq;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}
