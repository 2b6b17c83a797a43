//! [`AuditLog`]: appends events to this node's hash chain, one at a time, and signs checkpoints.

use super::{chain, checkpoint};
use crate::{AuditFilter, ChainedEvent, Checkpoint, DynStore, StoreError, timestamp};
use async_trait::async_trait;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fmt;
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
pub struct AuditLog {
    store: DynStore,
    node: String,
    signing_key: SigningKey,
    checkpoint_every: u64,
    head: Mutex<Head>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("backend", &self.store.backend())
            .field("node", &self.node)
            .field("checkpoint_every", &self.checkpoint_every)
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
        Ok(AuditLog {
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
        })
    }

    /// The node whose chain this is.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The public key that verifies this log's checkpoints.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }

    /// Sequence number and hash of the last event appended (0 and 64 zeros before the first).
    pub async fn head(&self) -> (u64, String) {
        let head = self.head.lock().await;
        (head.seq, head.hash.clone())
    }

    /// Appends `record` (its time truncated to the microsecond) as the next event of the chain
    /// and returns it as stored. On error the event is not in the chain, the head is unchanged,
    /// and the caller must not carry out what the event describes.
    pub async fn record(&self, record: AuditRecord) -> Result<ChainedEvent, StoreError> {
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
        match self.store.insert_audit_event(&event).await {
            Ok(()) => {}
            Err(conflict @ StoreError::Conflict(_)) => return Err(conflict),
            Err(other) => {
                head.in_doubt = Some(event);
                return Err(other);
            }
        }
        head.seq = event.seq;
        head.hash.clone_from(&event.hash);
        if self.checkpoint_every > 0 && head.seq - head.checkpointed >= self.checkpoint_every {
            // The event is durable; a missing checkpoint is retried after the next event.
            if let Err(error) = self.checkpoint_locked(&mut head).await {
                tracing::warn!(node = %self.node, seq = head.seq, %error, "could not store an audit checkpoint");
            }
        }
        Ok(event)
    }

    /// Signs and stores a checkpoint of the current head (called at shutdown). Returns `None`
    /// when there is nothing new to cover.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let mut head = self.head.lock().await;
        if let Some(event) = head.in_doubt.take() {
            self.settle_in_doubt(&mut head, event).await?;
        }
        self.checkpoint_locked(&mut head).await
    }

    /// Events matching `filter`; see [`super::search`].
    pub async fn search(&self, filter: &AuditFilter) -> Result<Vec<ChainedEvent>, StoreError> {
        super::search(self.store.as_ref(), filter).await
    }

    async fn checkpoint_locked(&self, head: &mut Head) -> Result<Option<Checkpoint>, StoreError> {
        if head.seq == 0 || head.checkpointed == head.seq {
            return Ok(None);
        }
        let signed = checkpoint::sign(&self.signing_key, &self.node, head.seq, &head.hash)?;
        self.store.insert_checkpoint(&signed).await?;
        head.checkpointed = signed.seq;
        Ok(Some(signed))
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
