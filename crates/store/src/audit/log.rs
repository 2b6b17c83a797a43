//! [`AuditLog`]: appends events to this node's hash chain (durably, or grouped with others into
//! one transaction per [`GROUP_WINDOW`](super::GROUP_WINDOW)) and signs checkpoints.

use super::batch::{Batches, Pushed};
use super::group_commit::{Chain, Grouped};
use super::sealed::Sealed;
use super::{chain, flusher};
use crate::{AuditFilter, ChainedEvent, Checkpoint, DynStore, StoreError};
use async_trait::async_trait;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fmt;
use std::sync::Arc;
use warden_core::{AuditRecord, GatewayError, RequestEvent, pipeline::Audit};

/// The per-node, hash-chained, checkpoint-signed audit log.
///
/// Every event takes its place in the chain (its `seq` and hashes) the moment it is appended,
/// and the store receives events strictly in order of `seq`. [`Self::record`] returns once its
/// event, and every grouped event before it, is stored; [`Self::record_grouped`] returns at once
/// and a background task stores the pending batch in one transaction. The task stops, after
/// storing what is left, when the last clone is dropped.
///
/// Store writes run in their own task: a caller that gives up (a cancelled request) cannot cut
/// an insert short and leave the store and the in-memory head disagreeing.
#[derive(Clone)]
pub struct AuditLog {
    owner: Arc<Owner>,
}

/// Shared by every clone of an [`AuditLog`]; dropping the last one closes the chain.
struct Owner {
    chain: Arc<Chain>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.chain.close();
    }
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chain = &self.owner.chain;
        f.debug_struct("AuditLog")
            .field("backend", &chain.store.backend())
            .field("node", &chain.node)
            .field("checkpoint_every", &chain.checkpoint_every)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens `node`'s chain in `store`, continuing after its last stored event, and starts the
    /// task that stores grouped events (so it must be called within a Tokio runtime). A
    /// checkpoint is signed with `signing_key` every `checkpoint_every` stored events (0: only on
    /// [`Self::checkpoint`]).
    pub async fn open(
        store: DynStore,
        node: String,
        signing_key: SigningKey,
        checkpoint_every: u64,
    ) -> Result<AuditLog, StoreError> {
        let (seq, hash) = match store.audit_head(&node).await? {
            Some(event) => (event.seq, event.hash),
            None => (0, chain::GENESIS_HASH.to_owned()),
        };
        let checkpointed = store.checkpoints(&node).await?.last().map_or(0, |c| c.seq);
        if checkpointed > seq {
            // Appending would bury the deletion under new events with reused numbers.
            return Err(StoreError::Corrupt {
                table: "audit_events",
                message: format!(
                    "event {} of node {node} is missing: the chain ends at {seq} but a signed checkpoint covers events up to {checkpointed}; run `warden audit verify`, and start this gateway under a new node name to begin a new chain",
                    seq + 1
                ),
            });
        }
        let chain = Arc::new(Chain::new(
            store,
            node,
            signing_key,
            checkpoint_every,
            (seq, hash),
            checkpointed,
        ));
        tokio::spawn(flusher::run(Arc::clone(&chain)));
        Ok(AuditLog {
            owner: Arc::new(Owner { chain }),
        })
    }

    /// The node whose chain this is.
    pub fn node(&self) -> &str {
        &self.owner.chain.node
    }

    /// The public key that verifies this log's checkpoints.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.owner.chain.signing_key.verifying_key()
    }

    /// Sequence number and hash of the last event appended, stored or still pending (0 and 64
    /// zeros before the first).
    pub async fn head(&self) -> (u64, String) {
        self.owner.chain.head().await
    }

    /// Appends `record` (its time truncated to the microsecond) as the next event of the chain
    /// and returns it once it is stored, together with every grouped event before it (one
    /// transaction). On error the head is unchanged (grouped events before it stay pending) and
    /// the caller must not carry out what the event describes. (If the store committed the
    /// batch but the answer was lost, the next write finds the event and continues after it.)
    pub async fn record(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
        let chain = Arc::clone(&self.owner.chain);
        self.run(async move {
            chain_session_batch(&chain, &record).await?;
            chain.record(record).await
        })
        .await
    }

    /// Appends `record` as the next event of the chain and returns it without waiting for the
    /// store: it is stored with the pending batch within about [`GROUP_WINDOW`](super::GROUP_WINDOW),
    /// or by the next [`Self::record`], [`Self::flush`] or [`Self::checkpoint`]. Fails, without
    /// chaining the event, when [`UNSTORED_LIMIT`](super::UNSTORED_LIMIT) events already wait
    /// for a store that refuses them (or, for a store that is only slower than the gateway, still
    /// wait after [`BACKLOG_WAIT`](super::BACKLOG_WAIT)), or when an earlier unclear failure
    /// cannot be settled.
    pub async fn record_grouped(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
        self.chain_grouped(record, true).await?.ok_or_else(|| {
            StoreError::unavailable(
                self.owner.chain.store.backend(),
                "the grouped audit event was chained but not returned",
            )
        })
    }

    /// [`Self::record_grouped`], returning the event only when `copy` asks for it.
    async fn chain_grouped(
        &self,
        record: AuditRecord,
        copy: bool,
    ) -> Result<Option<ChainedEvent>, StoreError> {
        chain_session_batch(&self.owner.chain, &record).await?;
        let mut record = Sealed::record(record)?;
        loop {
            match self.owner.chain.record_grouped(record, copy).await? {
                Grouped::Chained(event) => return Ok(event),
                Grouped::SettleFirst(returned) => {
                    record = returned;
                    let chain = Arc::clone(&self.owner.chain);
                    self.run(async move { chain.settle_doubt().await }).await?;
                }
            }
        }
    }

    /// Stores every event appended so far; returns once they are stored.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let chain = Arc::clone(&self.owner.chain);
        self.run(async move { chain.flush().await }).await
    }

    /// Stores every pending event, then signs and stores a checkpoint of the last stored event
    /// (called at shutdown). Returns `None` when there is nothing new to cover. If the pending
    /// events cannot be stored, the events that are stored are still checkpointed and the error
    /// is returned.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let chain = Arc::clone(&self.owner.chain);
        self.run(async move { chain.checkpoint().await }).await
    }

    /// Events matching `filter`; see [`super::search`].
    pub async fn search(&self, filter: &AuditFilter) -> Result<Vec<ChainedEvent>, StoreError> {
        super::search(self.owner.chain.store.as_ref(), filter).await
    }

    /// Runs `work` to completion in its own task, even if the caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        tokio::spawn(work).await.map_err(|e| {
            StoreError::unavailable(
                self.owner.chain.store.backend(),
                format!(
                    "the audit append task of node {} failed: {e}",
                    self.owner.chain.node
                ),
            )
        })?
    }
}

#[async_trait]
impl Audit for AuditLog {
    async fn append(&self, record: AuditRecord) -> Result<(), GatewayError> {
        self.record(record).await.map(|_| ()).map_err(unavailable)
    }

    /// A `request` event joins its session's batch (see [`super::batch`]) while the chain has
    /// room; anything else, or a request while the store is behind, is chained at once.
    async fn append_grouped(&self, record: AuditRecord) -> Result<(), GatewayError> {
        let chain = &self.owner.chain;
        if Batches::batchable(&record) && chain.has_room() {
            let _gate = chain.batch_gate.read().await;
            return pushed(chain, chain.batches.push(record)).await;
        }
        self.chain_grouped(record, false)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Joins its session's batch without building the record, unless it opens the batch.
    async fn append_request(&self, event: RequestEvent<'_>) -> Result<(), GatewayError> {
        let chain = &self.owner.chain;
        if !chain.has_room() {
            return self.append_grouped(event.to_record()).await;
        }
        let _gate = chain.batch_gate.read().await;
        pushed(chain, chain.batches.push_request(&event)).await
    }

    /// Joins or opens its session's batch when that closes no batch (which must be chained).
    fn try_append_request(&self, event: &RequestEvent<'_>) -> Option<Result<(), GatewayError>> {
        let chain = &self.owner.chain;
        if !chain.has_room() {
            return None;
        }
        let opened_first = chain.batches.try_push_request(event)?;
        if opened_first {
            chain.first_pending.notify_one();
        }
        Some(Ok(()))
    }
}

/// After a request joined a batch: wakes the flusher for the first open batch, and chains the
/// batch the request closed. The caller holds [`Chain::batch_gate`] shared from before the push.
async fn pushed(chain: &Arc<Chain>, pushed: Pushed) -> Result<(), GatewayError> {
    if pushed.opened_first {
        chain.first_pending.notify_one();
    }
    match pushed.closed {
        Some(closed) => {
            let sealed = closed.seal().map_err(unavailable)?;
            chain.record_accepted(sealed).await.map_err(unavailable)
        }
        None => Ok(()),
    }
}

/// Chains the open request batch of `record`'s session, so that the session's events stay in
/// the order they happened.
async fn chain_session_batch(chain: &Arc<Chain>, record: &AuditRecord) -> Result<(), StoreError> {
    let _gate = chain.batch_gate.read().await;
    match record
        .session
        .as_deref()
        .and_then(|s| chain.batches.take(s))
    {
        Some(batch) => chain.record_accepted(batch.seal()?).await,
        None => Ok(()),
    }
}

/// The pipeline's refusal when the log cannot take an event.
fn unavailable(error: StoreError) -> GatewayError {
    GatewayError::gateway(
        "audit_unavailable",
        format!("refused because the audit log could not record it: {error}"),
    )
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
