//! The Python checker printed in docs/audit.md recomputes the same hashes and signatures from a
//! SQLite `warden.db`, and catches tampering. SQLite only: Python's standard library has no
//! PostgreSQL driver.

// The helpers below are test code too: a missing doc block or python3 should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{sqlite, write_chain};
use std::path::PathBuf;
use std::process::Command;

/// The first ```python block of docs/audit.md.
fn checker_script() -> String {
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let start = text
        .find("```python\n")
        .expect("docs/audit.md has a python block")
        + 10;
    let end = start + text[start..].find("\n```").unwrap();
    text[start..end].to_owned()
}

fn run_checker(script: &std::path::Path, db: &std::path::Path, trusted: &str) -> (bool, String) {
    let output = Command::new("python3")
        .arg(script)
        .arg(db)
        .arg(trusted)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn documented_python_checker_agrees_with_warden() {
    let backend = sqlite().await;
    let (log, key) = write_chain(&backend, "n1", 120, 25).await;
    log.checkpoint().await.unwrap();
    let (n2, _) = write_chain(&backend, "n2", 3, 0).await;
    // Request batches: one stored event listing many requests, hashed like any other.
    let session = "00000000-0000-7000-8000-000000000001";
    for i in 0..40u64 {
        let mut request = warden_core::AuditRecord::new(warden_core::AuditKind::Request);
        request.session = Some(session.into());
        request.action = Some("sql:read".into());
        request.detail =
            serde_json::json!({"tables": ["t"], "duration_ms": i as f64 / 3.0, "rows": i});
        warden_core::pipeline::Audit::append_grouped(&n2, request)
            .await
            .unwrap();
    }
    n2.flush().await.unwrap();
    let stored = common::stored_events(&backend.store, "n2").await;
    assert_eq!(stored.len(), 4, "three decisions and one batch of 40");
    let trusted = hex::encode(key.verifying_key().to_bytes());
    let script = backend.data_dir().join("check_audit.py");
    std::fs::write(&script, checker_script()).unwrap();
    let db = backend.data_dir().join(warden_store::SQLITE_FILE);

    let (ok, output) = run_checker(&script, &db, &trusted);
    assert!(ok, "{output}");
    assert!(output.contains("node n1: events 1..120 intact"), "{output}");
    assert!(output.contains("node n2: events 1..4 intact"), "{output}");
    assert!(!output.contains("not checked"), "{output}");

    let other_key = hex::encode([9u8; 32]);
    let (ok, output) = run_checker(&script, &db, &other_key);
    assert!(!ok, "a foreign trusted key must fail: {output}");

    backend
        .exec("DELETE FROM audit_events WHERE node = 'n1' AND seq > 110")
        .await;
    let (ok, output) = run_checker(&script, &db, &trusted);
    assert!(!ok);
    assert!(
        output.contains("event 111 of node n1 is missing (truncated)"),
        "{output}"
    );

    backend
        .exec("UPDATE audit_events SET detail = '{}' WHERE node = 'n1' AND seq = 7")
        .await;
    let (ok, output) = run_checker(&script, &db, &trusted);
    assert!(!ok);
    assert!(output.contains("event 7 of node n1 was edited"), "{output}");
}
