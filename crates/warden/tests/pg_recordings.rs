//! Session recordings through the PostgreSQL gateway against a real PostgreSQL: every session
//! is recorded as JSON lines (in zstd frames by default, plain when configured so), a masked
//! role's recording and audit events hold no clear value (scanned), the recording's SHA-256 is
//! in the audit chain, `warden audit verify` names a recording edited by one byte, and `warden
//! replay` prints the timeline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use std::time::Duration;
use warden_store::AuditFilter;

const SECRETS: [&str; 4] = [
    "ada@example.com",
    "4111 1111 1111 1111",
    "hunter2",
    "enigma",
];

async fn session_end(h: &Harness, identity: &str) -> serde_json::Value {
    for _ in 0..100 {
        let ends = h
            .audit(AuditFilter {
                kind: Some("session_end".into()),
                identity: Some(identity.into()),
                ..AuditFilter::default()
            })
            .await;
        if let Some(end) = ends.into_iter().last() {
            return end;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no session_end for {identity}");
}

fn warden(h: &Harness, args: &[&str]) -> (bool, String, String) {
    common::support::warden_cli(&h.config_path, args)
}

#[tokio::test]
async fn a_masked_session_is_recorded_without_clear_values_and_tampering_is_named() {
    // Stored as plain lines, so that the file itself is scanned for clear values.
    let h = Harness::start_configured(
        warden_testkit::PostgresOptions::default(),
        "[gateway.recordings]\ncompression = \"none\"\n",
        &[],
    )
    .await;
    let support = h.key("sam", &["support"]).await;
    let (ok, _, err) = h
        .psql(
            &support,
            "SELECT name, email, card, password FROM customers ORDER BY id;\n\
             SELECT count(*) FROM customers WHERE email = 'ada@example.com';\n\
             SELECT no_such_column FROM customers;\n",
        )
        .await;
    assert!(ok, "{err}");
    let end = session_end(&h, "sam").await;
    let session = end["session"].as_str().unwrap().to_owned();
    let sha = end["detail"]["recording"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sha.len(), 64);

    let path = h
        .dir
        .path()
        .join("data/recordings")
        .join(format!("{session}.jsonl"));
    assert!(!path.with_extension("jsonl.zst").exists());
    let recording = std::fs::read_to_string(&path).unwrap();
    assert!(
        recording.contains("Ada Lovelace"),
        "rows are recorded: {recording}"
    );
    assert!(
        recording.contains("no_such_column"),
        "errors are recorded: {recording}"
    );
    // Nothing of this session holds a clear value: not the recording, not its audit events.
    let events = h
        .audit(AuditFilter {
            identity: Some("sam".into()),
            ..AuditFilter::default()
        })
        .await;
    let audit_text = serde_json::to_string(&events).unwrap();
    for secret in SECRETS {
        assert!(
            !recording.contains(secret),
            "{secret} in the recording: {recording}"
        );
        assert!(!audit_text.contains(secret), "{secret} in the audit log");
    }

    let (ok, listed, err) = warden(&h, &["sessions", "list", "--identity", "sam"]);
    assert!(ok, "{err}");
    assert!(listed.contains(&session), "{listed}");
    let (ok, timeline, err) = warden(&h, &["replay", &session]);
    assert!(ok, "{err}");
    assert!(
        timeline.contains("SELECT name, email, card, password FROM customers"),
        "{timeline}"
    );
    assert!(timeline.contains("ERROR"), "{timeline}");

    // Through the admin API, for auditors only.
    let auditor = h.key("audrey", &["auditors"]).await;
    let fetched = fetch_recording(&h, &session, &auditor).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), recording);
    let refused = fetch_recording(&h, &session, &support).await;
    assert_eq!(refused.status(), 403);

    verify_names_one_changed_byte(&h, &path, &session);
    // Deleted: named as missing.
    std::fs::remove_file(&path).unwrap();
    let (ok, _, err) = warden(&h, &["audit", "verify"]);
    assert!(!ok);
    assert!(
        err.contains(&session) && err.to_lowercase().contains("missing"),
        "{err}"
    );
}

#[tokio::test]
async fn retention_deletes_old_recordings_audits_it_and_verify_expects_them_gone() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    let (ok, _, err) = h.psql(&support, "SELECT 1;\n").await;
    assert!(ok, "{err}");
    let end = session_end(&h, "sam").await;
    let session = end["session"].as_str().unwrap().to_owned();
    let path = h
        .dir
        .path()
        .join("data/recordings")
        .join(format!("{session}.jsonl.zst"));
    assert!(path.exists());

    let rules = warden_record::Retention {
        max_age: None,
        max_total_bytes: Some(0),
    };
    let removed =
        warden_app::retention::apply_once(h.gateway.recordings.as_ref(), &h.gateway.audit, &rules)
            .await
            .unwrap();
    assert!(removed >= 1);
    assert!(!path.exists(), "deleted");
    let events = h
        .audit(AuditFilter {
            kind: Some("admin_change".into()),
            ..AuditFilter::default()
        })
        .await;
    assert!(
        events
            .iter()
            .any(|e| e["session"] == session.as_str()
                && e["detail"]["change"] == "recording_deleted"),
        "{events:?}"
    );
    let (ok, out, err) = warden(&h, &["audit", "verify"]);
    assert!(
        ok,
        "a recording deleted by retention is not a failure: {out}{err}"
    );
}

#[tokio::test]
async fn recordings_are_stored_as_zstd_by_default_and_replay_verify_and_serve_as_text() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    let mut sql = String::new();
    for id in [1, 2, 1, 2, 1, 2] {
        sql.push_str(&format!("SELECT name FROM customers WHERE id = {id};\n"));
    }
    let (ok, _, err) = h.psql(&support, &sql).await;
    assert!(ok, "{err}");
    let end = session_end(&h, "sam").await;
    let session = end["session"].as_str().unwrap().to_owned();
    let dir = h.dir.path().join("data/recordings");
    let path = dir.join(format!("{session}.jsonl.zst"));
    assert!(!dir.join(format!("{session}.jsonl")).exists());
    let stored = std::fs::read(&path).unwrap();
    assert_eq!(stored[..4], [0x28, 0xb5, 0x2f, 0xfd], "zstd frames");
    assert_eq!(end["detail"]["recording"]["bytes"], stored.len() as u64);
    let events = warden_record::read_recording_file(&path).await.unwrap();
    let text = String::from_utf8(events).unwrap();
    assert!(
        stored.len() < text.len(),
        "{} of {}",
        stored.len(),
        text.len()
    );
    let first = text.lines().next().unwrap();
    assert!(first.contains("\"type\":\"header\""), "{first}");
    assert_eq!(text.matches("Ada Lovelace").count(), 3, "{text}");

    let (ok, timeline, err) = warden(&h, &["replay", &session]);
    assert!(ok, "{err}");
    assert!(timeline.contains("Ada Lovelace"), "{timeline}");
    let auditor = h.key("audrey", &["auditors"]).await;
    let fetched = fetch_recording(&h, &session, &auditor).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), text);

    verify_names_one_changed_byte(&h, &path, &session);
}

/// The recording of `session` as the admin API answers the holder of `key`.
async fn fetch_recording(h: &Harness, session: &str, key: &str) -> reqwest::Response {
    let url = format!("http://{}/v1/sessions/{session}/recording", h.admin);
    reqwest::Client::new()
        .get(&url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// `warden audit verify` passes, then fails naming `session` once one byte of the recording
/// file at `path` is changed.
fn verify_names_one_changed_byte(h: &Harness, path: &std::path::Path, session: &str) {
    let (ok, out, err) = warden(h, &["audit", "verify"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("session recordings match"), "{out}");
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(path, &bytes).unwrap();
    let (ok, _, err) = warden(h, &["audit", "verify"]);
    assert!(!ok);
    assert!(err.contains(session), "{err}");
}

/// The statement lines of `identity`'s last recorded session.
async fn statement_lines(h: &Harness, identity: &str) -> (String, Vec<serde_json::Value>) {
    let end = session_end(h, identity).await;
    let session = end["session"].as_str().unwrap();
    let path = h
        .dir
        .path()
        .join("data/recordings")
        .join(format!("{session}.jsonl.zst"));
    let text = String::from_utf8(warden_record::read_recording_file(&path).await.unwrap()).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "statement")
        .collect();
    (text, lines)
}

#[tokio::test]
async fn extended_protocol_parameters_are_recorded_masked_for_a_masked_role_and_clear_otherwise() {
    let h = Harness::start().await;
    let query = "SELECT name FROM customers WHERE (email = $1 OR card = $2) AND id = $3 AND name IS DISTINCT FROM $4";
    let run = |key: String| {
        let h = &h;
        async move {
            let client = h.client(&key).await;
            let rows = client
                .query(
                    query,
                    &[
                        &"ada@example.com",
                        &"4111 1111 1111 1111",
                        &1i32,
                        &None::<&str>,
                    ],
                )
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].get::<_, &str>(0), "Ada Lovelace");
        }
    };
    run(h.key("sam", &["support"]).await).await;
    run(h.key("ed", &["agents"]).await).await;

    let statement = |lines: &[serde_json::Value]| {
        lines
            .iter()
            .find(|l| l["sql"] == query)
            .unwrap_or_else(|| panic!("no statement line for the query: {lines:?}"))
            .clone()
    };
    // The masked role: parameters masked, nothing clear anywhere in the recording.
    let (text, lines) = statement_lines(&h, "sam").await;
    let masked = statement(&lines);
    let params = masked["params"].as_array().unwrap();
    assert_eq!(params.len(), 4, "{masked}");
    for (i, secret) in ["ada@example.com", "4111 1111 1111 1111"]
        .iter()
        .enumerate()
    {
        let shown = params[i].as_str().unwrap();
        assert!(!shown.is_empty() && shown != *secret, "{masked}");
        assert!(!text.contains(secret), "{secret} in the recording: {text}");
    }
    assert_eq!(params[2], "1", "an int4 binary parameter is decoded");
    assert!(params[3].is_null(), "NULL is null: {masked}");

    // An unmasked role: the parameters exactly as bound.
    let (_, lines) = statement_lines(&h, "ed").await;
    let clear = statement(&lines);
    assert_eq!(
        clear["params"],
        serde_json::json!(["ada@example.com", "4111 1111 1111 1111", "1", null]),
        "{clear}"
    );
    assert_eq!(clear["row_count"], 1);
}

#[tokio::test]
async fn a_statement_text_parsed_again_is_recorded_masked_every_time() {
    let h = Harness::start().await;
    let first = "SELECT name FROM customers WHERE email = 'ada@example.com' AND id = $1";
    let second = "SELECT name FROM customers WHERE email = 'grace@example.com' OR id = $1";
    let client = h.client(&h.key("sam", &["support"]).await).await;
    // tokio-postgres parses a statement for every `query` with a text: the same text arrives
    // in three Parses, with another in between.
    for sql in [first, first, second, first] {
        let rows = client.query(sql, &[&1i32]).await.unwrap();
        assert_eq!(rows.len(), 1, "{sql}");
    }
    drop(client);

    let (text, lines) = statement_lines(&h, "sam").await;
    for secret in ["ada@example.com", "grace@example.com"] {
        assert!(!text.contains(secret), "{secret} in the recording: {text}");
    }
    let recorded: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["sql"].as_str())
        .filter(|sql| sql.starts_with("SELECT name FROM customers WHERE email = "))
        .collect();
    assert_eq!(recorded.len(), 4, "{lines:?}");
    assert_eq!(recorded[0], recorded[1]);
    assert_eq!(recorded[0], recorded[3]);
    assert_ne!(
        recorded[0], recorded[2],
        "the second text is recorded as itself"
    );
    assert!(recorded[2].ends_with(" OR id = $1"), "{}", recorded[2]);
    assert!(recorded[0].ends_with(" AND id = $1"), "{}", recorded[0]);
}
