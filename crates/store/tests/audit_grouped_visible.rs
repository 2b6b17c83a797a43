//! Grouped appends take their place in the chain at once and reach the store within a bounded
//! time without anyone waiting for them; the stored chain verifies.

mod common;

use common::{backends, decision, open_log, stored_events, wait_stored};
use std::time::Duration;
use warden_core::pipeline::Audit;
use warden_store::audit::{self, GENESIS_HASH};

#[tokio::test]
async fn grouped_appends_are_stored_within_the_window_and_verify() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        let mut previous = GENESIS_HASH.to_owned();
        for i in 1..=40u64 {
            let event = log.record_grouped(decision(i)).await.unwrap();
            assert_eq!((event.seq, event.prev_hash.clone()), (i, previous));
            assert_eq!(audit::event_hash(&event).unwrap(), event.hash);
            previous = event.hash;
        }
        assert_eq!(log.head().await, (40, previous.clone()));
        let took = wait_stored(&backend.store, "n1", 40, Duration::from_secs(2)).await;
        eprintln!("40 grouped events stored {took:?} after the last append");

        // The pipeline's entry point works the same way.
        Audit::append_grouped(&log, decision(41)).await.unwrap();
        wait_stored(&backend.store, "n1", 41, Duration::from_secs(2)).await;

        let stored = stored_events(&backend.store, "n1").await;
        assert_eq!(
            stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=41).collect::<Vec<_>>()
        );
        assert_eq!(stored[39].hash, previous);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 41);
    }
}

#[tokio::test]
async fn a_full_batch_is_written_before_the_window_ends() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, _key) = open_log(&backend, "n1", 0).await;
        // Many windows' worth: the flusher writes them batch by batch, all in order.
        let total = 3 * audit::GROUP_SIZE as u64 + 17;
        for i in 1..=total {
            log.record_grouped(decision(i)).await.unwrap();
        }
        wait_stored(&backend.store, "n1", total, Duration::from_secs(5)).await;
        audit::verify(backend.store.as_ref(), None).await.unwrap();
    }
}
