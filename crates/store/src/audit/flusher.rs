//! The background task that stores grouped events: the pending batch is written in one
//! transaction [`GROUP_WINDOW`] after its first event, or as soon as it holds
//! [`GROUP_SIZE`](super::GROUP_SIZE) events.

use super::group_commit::Chain;
use std::sync::Arc;
use std::time::Duration;

/// Longest a grouped event waits in memory before the flusher starts writing it.
pub const GROUP_WINDOW: Duration = Duration::from_millis(50);

/// Longest pause between attempts while the store refuses batches.
const MAX_RETRY_DELAY: Duration = Duration::from_millis(250);

/// Runs until the chain is closed (the last [`AuditLog`](super::AuditLog) clone is dropped),
/// then stores what is left once and returns.
pub(super) async fn run(chain: Arc<Chain>) {
    let mut delay = GROUP_WINDOW;
    while !chain.is_closed() {
        if !chain.has_work().await {
            tokio::select! {
                () = chain.first_pending.notified() => {}
                () = chain.closing.notified() => {}
            }
            continue;
        }
        let failing = delay > GROUP_WINDOW;
        // A writer that fell behind goes on at once while a full batch waits.
        let behind = !failing && chain.batch_waiting().await;
        tokio::select! {
            () = std::future::ready(()), if behind => {}
            () = tokio::time::sleep(delay) => {}
            // While the store refuses batches, retry on the clock rather than at every full batch.
            () = chain.batch_full.notified(), if !failing => {}
            () = chain.closing.notified() => {}
        }
        match chain.flush().await {
            Ok(()) => {
                if failing {
                    tracing::info!(node = %chain.node, "audit events are being stored again");
                }
                delay = GROUP_WINDOW;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(node = %chain.node, %error, "could not store grouped audit events; they stay in memory and are retried");
                }
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
        }
    }
    if let Err(error) = chain.flush().await {
        let lost = chain.unstored().await;
        tracing::warn!(node = %chain.node, lost, %error, "the audit log closed with events the store did not accept; the stored chain ends before them");
    }
}
