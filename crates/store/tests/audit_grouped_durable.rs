//! A durable append returns only once it and every grouped event before it are stored.

mod common;

use common::{backends, decision, open_log, stored_events, stored_head};
use warden_store::audit;

#[tokio::test]
async fn durable_append_stores_the_grouped_events_before_it() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 0).await;
        for i in 1..=120u64 {
            log.record_grouped(decision(i)).await.unwrap();
        }
        let durable = log.record(decision(121)).await.unwrap();
        assert_eq!(durable.seq, 121);
        // No waiting: everything up to the durable event is in the store already.
        assert_eq!(stored_head(&backend.store, "n1").await, 121);
        let stored = stored_events(&backend.store, "n1").await;
        assert_eq!(
            stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=121).collect::<Vec<_>>()
        );
        assert_eq!(stored.last(), Some(&durable));

        // Grouped after durable continues the same chain.
        let next = log.record_grouped(decision(122)).await.unwrap();
        assert_eq!((next.seq, next.prev_hash.clone()), (122, durable.hash));
        log.flush().await.unwrap();
        assert_eq!(stored_head(&backend.store, "n1").await, 122);
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 122);
    }
}
