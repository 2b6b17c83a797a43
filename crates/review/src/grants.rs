//! [`GrantIndex`]: the grants in force, in memory, consulted on every request. It is refreshed
//! from the store every [`REFRESH_INTERVAL`] (so a grant or revocation made on another node
//! applies within that delay) and updated at once by changes made on this node; expiry is
//! checked against the clock on every lookup.

use chrono::Utc;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use warden_core::Grant;
use warden_core::pipeline::Grants;
use warden_store::{DynStore, StoreError};

/// How often grants made or revoked elsewhere are picked up.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Active grants by identity subject.
#[derive(Debug, Default)]
pub struct GrantIndex {
    by_identity: RwLock<HashMap<String, Vec<Grant>>>,
    /// Whether any grant is held at all: the common case costs one atomic load.
    any: AtomicBool,
}

impl GrantIndex {
    /// Replaces the index with the store's grants in force now. On failure the index is
    /// emptied: access that cannot be confirmed is not granted.
    pub async fn refresh(&self, store: &DynStore) -> Result<(), StoreError> {
        match store.grants(None, Some(Utc::now())).await {
            Ok(grants) => {
                let mut by_identity: HashMap<String, Vec<Grant>> = HashMap::new();
                for grant in grants {
                    by_identity
                        .entry(grant.identity.clone())
                        .or_default()
                        .push(grant);
                }
                self.replace(by_identity);
                Ok(())
            }
            Err(error) => {
                self.replace(HashMap::new());
                Err(error)
            }
        }
    }

    /// Adds a grant made on this node.
    pub fn insert(&self, grant: Grant) {
        let mut map = self.write();
        map.entry(grant.identity.clone()).or_default().push(grant);
        self.any.store(true, Ordering::Release);
    }

    /// Drops a grant revoked on this node.
    pub fn remove(&self, id: uuid::Uuid) {
        let mut map = self.write();
        for grants in map.values_mut() {
            grants.retain(|g| g.id != id);
        }
        map.retain(|_, grants| !grants.is_empty());
        self.any.store(!map.is_empty(), Ordering::Release);
    }

    /// Refreshes every [`REFRESH_INTERVAL`] until the task is aborted.
    pub async fn run(self: std::sync::Arc<Self>, store: DynStore) {
        let mut ticker = tokio::time::interval(REFRESH_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.refresh(&store).await {
                tracing::warn!(%error, "cannot load grants; elevated access is suspended until the store answers");
            }
        }
    }

    fn replace(&self, by_identity: HashMap<String, Vec<Grant>>) {
        let any = !by_identity.is_empty();
        *self.write() = by_identity;
        self.any.store(any, Ordering::Release);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Vec<Grant>>> {
        self.by_identity
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Grants for GrantIndex {
    fn active_roles(&self, subject: &str, connection: &str) -> Vec<String> {
        if !self.any.load(Ordering::Acquire) {
            return Vec::new();
        }
        let map = self
            .by_identity
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(grants) = map.get(subject) else {
            return Vec::new();
        };
        let now = Utc::now();
        grants
            .iter()
            .filter(|g| g.connection == connection && g.is_active(now))
            .map(|g| g.role.clone())
            .collect()
    }
}
