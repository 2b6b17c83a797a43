//! An insert that reached the store but reported failure (a lost commit acknowledgement), or an
//! append whose caller gave up mid-insert, never wedges the chain with conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use common::{backends, decision};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;
use warden_core::{Grant, Review};
use warden_store::{
    ApiKeyRecord, AuditFilter, AuditLog, ChainedEvent, Checkpoint, DynStore, ReviewFilter,
    ReviewStore, Store, StoreError, StoredEvent, audit,
};

/// The real store, except that one audit insert commits and then reports an outage.
struct LostAcknowledgement {
    inner: DynStore,
    armed: AtomicBool,
}

impl LostAcknowledgement {
    /// After a committed insert: reports an outage once, if armed.
    fn lose_acknowledgement(&self) -> Result<(), StoreError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                backend: "test",
                message: "connection reset before the commit was acknowledged".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Store for LostAcknowledgement {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.inner.insert_api_key(key).await
    }
    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.api_key(id).await
    }
    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.inner.api_keys().await
    }
    async fn revoke_api_key(
        &self,
        id_or_name: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.revoke_api_key(id_or_name, at).await
    }
    async fn audit_head(&self, node: &str) -> Result<Option<ChainedEvent>, StoreError> {
        self.inner.audit_head(node).await
    }
    async fn insert_audit_event(&self, event: &ChainedEvent) -> Result<(), StoreError> {
        self.inner.insert_audit_event(event).await?;
        self.lose_acknowledgement()
    }
    async fn insert_audit_events(&self, events: &[StoredEvent]) -> Result<(), StoreError> {
        self.inner.insert_audit_events(events).await?;
        self.lose_acknowledgement()
    }
    async fn audit_events(
        &self,
        node: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ChainedEvent>, StoreError> {
        self.inner.audit_events(node, after, limit).await
    }
    async fn audit_nodes(&self) -> Result<Vec<String>, StoreError> {
        self.inner.audit_nodes().await
    }
    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<ChainedEvent>, StoreError> {
        self.inner.search_audit(filter).await
    }
    async fn insert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.inner.insert_checkpoint(checkpoint).await
    }
    async fn checkpoints(&self, node: &str) -> Result<Vec<Checkpoint>, StoreError> {
        self.inner.checkpoints(node).await
    }
}

#[async_trait]
impl ReviewStore for LostAcknowledgement {
    async fn insert_review(&self, review: &Review) -> Result<(), StoreError> {
        self.inner.insert_review(review).await
    }
    async fn review(&self, id: Uuid) -> Result<Option<Review>, StoreError> {
        self.inner.review(id).await
    }
    async fn reviews(&self, filter: &ReviewFilter) -> Result<Vec<Review>, StoreError> {
        self.inner.reviews(filter).await
    }
    async fn update_review(&self, review: &Review) -> Result<Review, StoreError> {
        self.inner.update_review(review).await
    }
    async fn take_approved_review(
        &self,
        requester: &str,
        connection: &str,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Review>, StoreError> {
        self.inner
            .take_approved_review(requester, connection, payload_hash, now)
            .await
    }
    async fn insert_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        self.inner.insert_grant(grant).await
    }
    async fn grant(&self, id: Uuid) -> Result<Option<Grant>, StoreError> {
        self.inner.grant(id).await
    }
    async fn grants(
        &self,
        identity: Option<&str>,
        active_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<Grant>, StoreError> {
        self.inner.grants(identity, active_at).await
    }
    async fn active_grants(
        &self,
        identity: &str,
        connection: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Grant>, StoreError> {
        self.inner.active_grants(identity, connection, now).await
    }
    async fn revoke_grant(
        &self,
        id: Uuid,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Grant>, StoreError> {
        self.inner.revoke_grant(id, by, at).await
    }
}

/// A log on node `n1` of `backend` whose store can be made to lose acknowledgements.
async fn flaky_log(
    backend: &common::Backend,
) -> (
    Arc<LostAcknowledgement>,
    ed25519_dalek::SigningKey,
    AuditLog,
) {
    let flaky = Arc::new(LostAcknowledgement {
        inner: backend.store.clone(),
        armed: AtomicBool::new(false),
    });
    let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
    let log = AuditLog::open(flaky.clone(), "n1".into(), key.clone(), 0)
        .await
        .unwrap();
    (flaky, key, log)
}

#[tokio::test]
async fn committed_but_unacknowledged_event_is_adopted() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (flaky, key, log) = flaky_log(&backend).await;
        for i in 1..=3 {
            log.record(decision(i)).await.unwrap();
        }
        flaky.armed.store(true, Ordering::SeqCst);
        log.record(decision(4)).await.unwrap_err();
        assert_eq!(
            log.head().await.0,
            3,
            "the head moves only on a clear success"
        );

        // Event 4 is in the store; the next append finds it and continues after it.
        let next = log.record(decision(5)).await.unwrap();
        assert_eq!(next.seq, 5);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 5);
    }
}

#[tokio::test]
async fn append_cancelled_mid_insert_does_not_wedge_the_chain() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let key = audit::load_or_create_signing_key(backend.data_dir()).unwrap();
        let log = AuditLog::open(backend.store.clone(), "n1".into(), key.clone(), 0)
            .await
            .unwrap();
        log.record(decision(1)).await.unwrap();
        // Drop appends at every point they may reach; whatever got stored, the chain goes on.
        for _ in 0..20 {
            let append = log.record(decision(2));
            let _ = tokio::time::timeout(std::time::Duration::from_micros(50), append).await;
        }
        let next = log.record(decision(3)).await.unwrap();
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, next.seq);
    }
}

#[tokio::test]
async fn committed_but_unacknowledged_batch_is_not_written_twice() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (flaky, key, log) = flaky_log(&backend).await;
        for i in 1..=10 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        flaky.armed.store(true, Ordering::SeqCst);
        let err = log.flush().await.unwrap_err();
        assert!(err.to_string().contains("acknowledged"), "{err}");
        assert_eq!(
            backend.store.audit_head("n1").await.unwrap().unwrap().seq,
            10
        );

        // The next write asks the store first, finds the batch, and goes on after it.
        log.record_grouped(decision(11)).await.unwrap();
        let durable = log.record(decision(12)).await.unwrap();
        assert_eq!(durable.seq, 12);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!((report.nodes[0].events, report.nodes[0].last_seq), (12, 12));
    }
}

#[tokio::test]
async fn unacknowledged_durable_event_is_adopted_before_grouped_ones_follow() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (flaky, key, log) = flaky_log(&backend).await;
        for i in 1..=5 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        flaky.armed.store(true, Ordering::SeqCst);
        log.record(decision(6)).await.unwrap_err();
        assert_eq!(
            log.head().await.0,
            5,
            "the head moves only on a clear success"
        );

        // Event 6 is in the store: a grouped append finds it and is numbered after it.
        let next = log.record_grouped(decision(7)).await.unwrap();
        assert_eq!(next.seq, 7);
        log.flush().await.unwrap();
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!((report.nodes[0].events, report.nodes[0].last_seq), (7, 7));
    }
}
