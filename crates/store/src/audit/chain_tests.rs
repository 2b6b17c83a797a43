use super::*;
use chrono::{TimeZone, Utc};
use serde_json::json;
use warden_core::{AuditKind, Verdict};

fn record() -> AuditRecord {
    AuditRecord {
        time: Utc.with_ymd_and_hms(2026, 5, 6, 7, 8, 9).unwrap()
            + chrono::Duration::microseconds(42),
        kind: AuditKind::Decision,
        identity: Some("alice".into()),
        connection: Some("prod-db".into()),
        session: None,
        action: Some("sql:read".into()),
        verdict: Some(Verdict::Allow),
        rule: Some("role:analyst".into()),
        detail: json!({"tables": ["orders"], "duration_ms": 2.0, "note": "é\n"}),
    }
}

#[test]
fn canonical_json_sorts_keys_and_formats_numbers_like_ecmascript() {
    let text = String::from_utf8(canonical_event(7, "n1", &record()).unwrap()).unwrap();
    assert_eq!(
        text,
        r#"{"action":"sql:read","connection":"prod-db","detail":{"duration_ms":2,"note":"é\n","tables":["orders"]},"identity":"alice","kind":"decision","node":"n1","rule":"role:analyst","seq":7,"session":null,"time":"2026-05-06T07:08:09.000042Z","verdict":"allow"}"#
    );
}

#[test]
fn hash_matches_the_documented_formula() {
    let canonical = canonical_event(7, "n1", &record()).unwrap();
    let mut input = GENESIS_HASH.as_bytes().to_vec();
    input.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
    input.extend_from_slice(&canonical);
    let expected = hex::encode(Sha256::digest(&input));
    assert_eq!(
        compute_hash(GENESIS_HASH, 7, "n1", &record()).unwrap(),
        expected
    );
}

#[test]
fn every_field_changes_the_hash() {
    let base = compute_hash(GENESIS_HASH, 1, "n1", &record()).unwrap();
    assert_ne!(
        compute_hash(GENESIS_HASH, 2, "n1", &record()).unwrap(),
        base
    );
    assert_ne!(
        compute_hash(GENESIS_HASH, 1, "n2", &record()).unwrap(),
        base
    );
    let other_prev = "1".repeat(64);
    assert_ne!(compute_hash(&other_prev, 1, "n1", &record()).unwrap(), base);
    let mut edited = record();
    edited.detail["tables"] = json!(["payments"]);
    assert_ne!(compute_hash(GENESIS_HASH, 1, "n1", &edited).unwrap(), base);
    let mut edited = record();
    edited.verdict = Some(Verdict::Deny);
    assert_ne!(compute_hash(GENESIS_HASH, 1, "n1", &edited).unwrap(), base);
}
