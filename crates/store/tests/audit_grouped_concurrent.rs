//! Thousands of grouped appends from concurrent tasks, mixed with durable ones, make one chain
//! with contiguous numbers, periodic checkpoints at batch ends, and nothing lost.

mod common;

use common::{backends, decision, open_log, stored_events};
use std::sync::Arc;
use warden_store::audit;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_grouped_appends_make_one_contiguous_chain() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        let (log, key) = open_log(&backend, "n1", 500).await;
        let log = Arc::new(log);
        let tasks: Vec<_> = (0..16u64)
            .map(|task| {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..125u64 {
                        let record = decision(task * 1000 + i);
                        // Every 50th append of a task is durable, as a write would be.
                        let event = if i % 50 == 49 {
                            log.record(record).await.unwrap()
                        } else {
                            log.record_grouped(record).await.unwrap()
                        };
                        seqs.push(event.seq);
                    }
                    seqs
                })
            })
            .collect();
        let mut seqs = Vec::new();
        for task in tasks {
            let mine = task.await.unwrap();
            assert!(
                mine.is_sorted(),
                "one task's events are chained in its order"
            );
            seqs.extend(mine);
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=2000).collect::<Vec<_>>());

        log.flush().await.unwrap();
        let stored = stored_events(&backend.store, "n1").await;
        assert_eq!(
            stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=2000).collect::<Vec<_>>()
        );
        let report = audit::verify(backend.store.as_ref(), Some(&key.verifying_key()))
            .await
            .unwrap();
        assert_eq!(report.nodes[0].last_seq, 2000);
        // A checkpoint is due every 500 stored events; batches end where they end.
        let checkpoints = backend.store.checkpoints("n1").await.unwrap();
        let seqs: Vec<u64> = checkpoints.iter().map(|c| c.seq).collect();
        assert!(!seqs.is_empty() && seqs[0] >= 500, "{seqs:?}");
        assert!(seqs.windows(2).all(|w| w[1] - w[0] >= 500), "{seqs:?}");
        assert_eq!(report.nodes[0].checkpoints, seqs.len() as u64);
    }
}
