//! Swapped events are reported at the first position that no longer links.

mod common;

use common::{backends, broken, write_chain};

#[tokio::test]
async fn swapped_seq_numbers_are_named() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 20, 10).await;
        // Swap the positions of events 3 and 5 (in three steps: (node, seq) is the primary key).
        for sql in [
            "UPDATE audit_events SET seq = -3 WHERE node = 'n1' AND seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE node = 'n1' AND seq = 5",
            "UPDATE audit_events SET seq = 5 WHERE node = 'n1' AND seq = -3",
        ] {
            backend.exec(sql).await;
        }
        let (node, seq, message) = broken(&backend, None).await;
        assert_eq!((node.as_str(), seq), ("n1", 3));
        assert!(
            message.starts_with("event 3 of node n1 is out of order"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn swapped_contents_are_named() {
    for backend in backends().await {
        eprintln!("backend: {}", backend.name);
        write_chain(&backend, "n1", 20, 10).await;
        // Swap everything but seq between events 8 and 9: both rows move as a whole.
        let columns = "time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash";
        backend
            .exec(&format!(
                "CREATE TABLE swap AS SELECT seq, {columns} FROM audit_events \
                 WHERE node = 'n1' AND seq IN (8, 9)"
            ))
            .await;
        let set: Vec<String> = columns
            .split(", ")
            .map(|c| format!("{c} = (SELECT {c} FROM swap WHERE swap.seq = 17 - audit_events.seq)"))
            .collect();
        backend
            .exec(&format!(
                "UPDATE audit_events SET {} WHERE node = 'n1' AND seq IN (8, 9)",
                set.join(", ")
            ))
            .await;
        let (_, seq, message) = broken(&backend, None).await;
        assert_eq!(seq, 8, "{message}");
        assert!(message.contains("out of order"), "{message}");
    }
}
