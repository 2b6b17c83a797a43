//! [`AuditLog`]: appends events to this node's hash chain, one at a time, and signs checkpoints.

use super::{chain, checkpoint};
use crate::{AuditFilter, ChainedEvent, Checkpoint, DynStore, StoreError, timestamp};
use async_trait::async_trait;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fmt;
use std::sync::Arc;
use tokio::sync::Mutex;
use warden_core::{AuditRecord, GatewayError, pipeline::Audit};

/// This node's end of the chain, guarded so appends happen one at a time.
struct Head {
    /// Sequence number of the last stored event (0 before the first).
    seq: u64,
    /// Its hash ([`chain::GENESIS_HASH`] before the first).
    hash: String,
    /// Sequence number of the last stored checkpoint.
    checkpointed: u64,
    /// An event whose insert failed without a clear answer (the store may have committed it);
    /// the next append first looks at the store to find out.
    in_doubt: Option<ChainedEvent>,
}

/// The per-node, hash-chained, checkpoint-signed audit log.
///
/// Appends run in their own task: a caller that gives up (a cancelled request) cannot cut an
/// insert short and leave the store and the in-memory head disagreeing.
#[derive(Clone)]
pub struct AuditLog {
    chain: Arc<Chain>,
}

/// The state behind [`AuditLog`].
struct Chain {
    store: DynStore,
    node: String,
    signing_key: SigningKey,
    checkpoint_every: u64,
    head: Mutex<Head>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("backend", &self.chain.store.backend())
            .field("node", &self.chain.node)
            .field("checkpoint_every", &self.chain.checkpoint_every)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens `node`'s chain in `store`, continuing after its last stored event. A checkpoint is
    /// signed with `signing_key` every `checkpoint_every` events (0: only on [`Self::checkpoint`]).
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
        let chain = Chain {
            store,
            node,
            signing_key,
            checkpoint_every,
            head: Mutex::new(Head {
                seq,
                hash,
                checkpointed,
                in_doubt: None,
            }),
        };
        Ok(AuditLog {
            chain: Arc::new(chain),
        })
    }

    /// The node whose chain this is.
    pub fn node(&self) -> &str {
        &self.chain.node
    }

    /// The public key that verifies this log's checkpoints.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.chain.signing_key.verifying_key()
    }

    /// Sequence number and hash of the last event appended (0 and 64 zeros before the first).
    pub async fn head(&self) -> (u64, String) {
        let head = self.chain.head.lock().await;
        (head.seq, head.hash.clone())
    }

    /// Appends `record` (its time truncated to the microsecond) as the next event of the chain
    /// and returns it as stored. On error the head is unchanged and the caller must not carry out
    /// what the event describes. (If the store committed the insert but the answer was lost, the
    /// next append finds the event and continues after it.)
    pub async fn record(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
        let chain = Arc::clone(&self.chain);
        self.run(async move { chain.record(record).await }).await
    }

    /// Signs and stores a checkpoint of the current head (called at shutdown). Returns `None`
    /// when there is nothing new to cover.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let chain = Arc::clone(&self.chain);
        self.run(async move { chain.checkpoint().await }).await
    }

    /// Events matching `filter`; see [`super::search`].
    pub async fn search(&self, filter: &AuditFilter) -> Result<Vec<ChainedEvent>, StoreError> {
        super::search(self.chain.store.as_ref(), filter).await
    }

    /// Runs `work` to completion in its own task, even if the caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        tokio::spawn(work).await.map_err(|e| {
            StoreError::unavailable(
                self.chain.store.backend(),
                format!(
                    "the audit append task of node {} failed: {e}",
                    self.chain.node
                ),
            )
        })?
    }
}

impl Chain {
    /// See [`AuditLog::record`].
    async fn record(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
        let mut head = self.head.lock().await;
        if let Some(event) = head.in_doubt.take() {
            self.settle_in_doubt(&mut head, event).await?;
        }
        let seq = head.seq.checked_add(1).ok_or_else(|| StoreError::Corrupt {
            table: "audit_events",
            message: format!("the chain of node {} is full", self.node),
        })?;
        let record = AuditRecord {
            time: timestamp::truncate(record.time),
            ..record
        };
        let hash = chain::compute_hash(&head.hash, seq, &self.node, &record)?;
        let event = ChainedEvent {
            seq,
            node: self.node.clone(),
            record,
            prev_hash: head.hash.clone(),
            hash,
        };
        // Marked in doubt before the insert, so that if this future is dropped mid-insert (a
        // cancelled request), the next append checks the store instead of reusing the number.
        head.in_doubt = Some(event.clone());
        let inserted = self.store.insert_audit_event(&event).await;
        match inserted {
            Ok(()) => head.in_doubt = None,
            Err(conflict @ StoreError::Conflict(_)) => {
                head.in_doubt = None;
                return Err(conflict);
            }
            Err(other) => return Err(other),
        }
        head.seq = event.seq;
        head.hash.clone_from(&event.hash);
        if self.checkpoint_every > 0
            && head.seq.saturating_sub(head.checkpointed) >= self.checkpoint_every
        {
            // The event is durable; a missing checkpoint is retried after the next event.
            if let Err(error) = self.checkpoint_locked(&mut head).await {
                tracing::warn!(node = %self.node, seq = head.seq, %error, "could not store an audit checkpoint");
            }
        }
        Ok(event)
    }

    /// See [`AuditLog::checkpoint`].
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let mut head = self.head.lock().await;
        if let Some(event) = head.in_doubt.take() {
            self.settle_in_doubt(&mut head, event).await?;
        }
        self.checkpoint_locked(&mut head).await
    }

    async fn checkpoint_locked(&self, head: &mut Head) -> Result<Option<Checkpoint>, StoreError> {
        if head.seq == 0 || head.checkpointed == head.seq {
            return Ok(None);
        }
        let signed = checkpoint::sign(&self.signing_key, &self.node, head.seq, &head.hash)?;
        match self.store.insert_checkpoint(&signed).await {
            Ok(()) => {
                head.checkpointed = signed.seq;
                Ok(Some(signed))
            }
            // An earlier attempt at this event was stored after all (its answer was lost).
            Err(StoreError::Conflict(_)) => {
                head.checkpointed = signed.seq;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Finds out whether `event`, whose insert failed ambiguously, reached the store: adopts it
    /// if it did, carries on if the store still ends at our head, and refuses if someone else
    /// moved the chain.
    async fn settle_in_doubt(
        &self,
        head: &mut Head,
        event: ChainedEvent,
    ) -> Result<(), StoreError> {
        let stored = match self.store.audit_head(&self.node).await {
            Ok(stored) => stored,
            Err(error) => {
                head.in_doubt = Some(event);
                return Err(error);
            }
        };
        match stored {
            Some(s) if s.seq == event.seq && s.hash == event.hash => {
                head.seq = s.seq;
                head.hash = s.hash;
                Ok(())
            }
            Some(s) if s.seq == head.seq && s.hash == head.hash => Ok(()),
            None if head.seq == 0 => Ok(()),
            stored => Err(StoreError::Conflict(format!(
                "the audit chain of node {} changed underneath this gateway (the store ends at event {}, this gateway at {}): another process is writing it; give every gateway node its own name",
                self.node,
                stored.map_or(0, |s| s.seq),
                head.seq
            ))),
        }
    }
}

#[async_trait]
impl Audit for AuditLog {
    async fn append(&self, record: AuditRecord) -> Result<(), GatewayError> {
        self.record(record).await.map(|_| ()).map_err(|error| {
            GatewayError::gateway(
                "audit_unavailable",
                format!("refused because the audit log could not record it: {error}"),
            )
        })
    }
}
