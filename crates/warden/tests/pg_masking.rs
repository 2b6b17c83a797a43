//! Inline masking through the PostgreSQL gateway against a real PostgreSQL: a role with a
//! masking profile never receives the clear emails, card numbers or passwords — not with psql's
//! simple queries, not with the extended protocol in text or binary format, not through
//! prepared statements, not with COPY TO STDOUT (refused when it would read a rule-protected
//! column) — while a role without one sees clear data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

/// Clear values of the seed data that a masked role must never see.
const SECRETS: [&str; 9] = [
    "ada@example.com",
    "alan@example.org",
    "grace@example.net",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "3400 000000 00009",
    "hunter2",
    "enigma",
    "cobol",
];

fn assert_masked(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} leaked in {text}");
    }
}

#[tokio::test]
async fn a_masked_role_never_sees_clear_values_and_an_unmasked_one_does() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    let query = "SELECT name, email, card, password FROM customers ORDER BY id;\n";

    let (ok, masked, err) = h.psql(&support, query).await;
    assert!(ok, "{err}");
    assert_masked(&masked);
    assert!(
        masked.contains("Ada Lovelace"),
        "names are not sensitive: {masked}"
    );
    assert_eq!(masked.lines().count(), 3, "{masked}");

    let (ok, clear, err) = h.psql(&h.dba_key, query).await;
    assert!(ok, "{err}");
    for secret in SECRETS {
        assert!(clear.contains(secret), "the dba sees {secret:?}: {clear}");
    }

    // Detectors find values wherever they are, aliased or embedded in other text.
    let (ok, out, err) = h
        .psql(
            &support,
            "SELECT 'mail ' || email || ' now' AS note FROM customers;\n",
        )
        .await;
    assert!(ok, "{err}");
    assert_masked(&out);
    assert!(out.contains("mail [redacted:email] now"), "{out}");
    // A protected column keeps its rule under an alias, through a subquery, and in any
    // expression computed from it.
    for sql in [
        "SELECT password AS nickname FROM customers;\n",
        "SELECT n FROM (SELECT password AS n FROM customers) s;\n",
        "SELECT upper(password) AS p, name FROM customers;\n",
        "SELECT password || '' AS p FROM customers;\n",
    ] {
        let (ok, out, err) = h.psql(&support, sql).await;
        assert!(ok, "{sql}: {err}");
        assert_masked(&out.to_lowercase());
        assert_eq!(out.lines().count(), 3, "{sql}: {out}");
    }

    // COPY TO STDOUT goes through the detectors too.
    let (ok, out, err) = h
        .psql(
            &support,
            "COPY (SELECT id, email, card FROM customers) TO STDOUT;\n",
        )
        .await;
    assert!(ok, "{err}");
    assert_masked(&out);
    assert_eq!(out.lines().count(), 3, "{out}");
    let (ok, out, err) = h
        .psql(&support, "COPY customers (id, email) TO STDOUT;\n")
        .await;
    assert!(ok, "{err}");
    assert_masked(&out);
    assert_eq!(out.lines().count(), 3, "{out}");

    // A copy that reads a rule-protected column (a whole-table copy reads them all) is refused:
    // COPY rows carry no column names for the rule to match, and passwords hold nothing a
    // detector finds. The session goes on.
    for sql in [
        "COPY customers TO STDOUT;\n",
        "COPY (SELECT name, password FROM customers) TO STDOUT;\n",
        "COPY (SELECT c FROM customers c) TO STDOUT;\n",
    ] {
        let (_, out, err) = h.psql(&support, sql).await;
        assert!(out.is_empty(), "{sql} was allowed: {out}");
        assert!(
            err.contains("COPY TO STDOUT cannot apply masking profile"),
            "{sql}: {err}"
        );
        assert_masked(&out);
        assert_masked(&err);
    }
    let refusals = h
        .audit(warden_store::AuditFilter {
            kind: Some("decision".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(
        refusals
            .iter()
            .filter(|e| e["rule"] == "mask:pii/copy")
            .count(),
        3,
        "{refusals:#?}"
    );
}

#[tokio::test]
async fn extended_protocol_rows_are_masked_in_text_and_binary_formats() {
    let h = Harness::start().await;
    let client = h.client(&h.key("sam", &["support"]).await).await;
    // tokio-postgres asks for binary results: text columns arrive as UTF-8 bytes.
    let rows = client
        .query(
            "SELECT name, email, card, password FROM customers WHERE id = $1",
            &[&1i32],
        )
        .await
        .unwrap();
    let values: Vec<String> = (0..4).map(|i| rows[0].get::<_, String>(i)).collect();
    assert_eq!(values[0], "Ada Lovelace");
    assert_masked(&values.join(" | "));
    // A prepared statement reused many times: its rows are masked every time.
    let statement = client
        .prepare("SELECT email, password FROM customers ORDER BY id")
        .await
        .unwrap();
    for _ in 0..3 {
        let rows = client.query(&statement, &[]).await.unwrap();
        let text: Vec<String> = rows
            .iter()
            .flat_map(|r| [r.get::<_, String>(0), r.get::<_, String>(1)])
            .collect();
        assert_eq!(text.len(), 6);
        assert_masked(&text.join(" | "));
    }
    // simple_query (text format) through the same session.
    let messages = client
        .simple_query("SELECT email FROM customers")
        .await
        .unwrap();
    let text: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(text.len(), 3);
    assert_masked(&text.join(" | "));
}

#[tokio::test]
async fn sql_level_prepared_statements_keep_the_rules_of_the_columns_they_read() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    let (ok, out, err) = h
        .psql(
            &support,
            "PREPARE p AS SELECT upper(password) AS shout FROM customers;\nEXECUTE p;\n",
        )
        .await;
    assert!(ok, "{err}");
    assert_masked(&out.to_lowercase());
    assert_eq!(
        out.lines()
            .filter(|l| !l.is_empty() && *l != "PREPARE")
            .count(),
        3,
        "{out}"
    );
}

#[tokio::test]
async fn whole_row_references_do_not_carry_protected_columns_out() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    for sql in [
        "SELECT c FROM customers c;\n",
        "SELECT row_to_json(c) FROM customers c;\n",
        "SELECT customers::text FROM customers;\n",
    ] {
        let (ok, out, err) = h.psql(&support, sql).await;
        assert!(ok, "{sql}: {err}");
        assert_masked(&out);
        assert_eq!(out.lines().count(), 3, "{sql}: {out}");
    }
}

#[tokio::test]
async fn values_quoted_in_server_errors_are_masked_for_masked_roles() {
    let h = Harness::start().await;
    let support = h.key("sam", &["support"]).await;
    // The server quotes the offending value in its error message.
    let sql = "SELECT email::int FROM customers WHERE id = 1;\n";
    let (_, _, err) = h.psql(&support, sql).await;
    assert!(
        err.contains("invalid input syntax for type integer"),
        "{err}"
    );
    assert!(
        !err.contains("ada@example.com"),
        "a clear value in the error: {err}"
    );
    // The extended protocol: the error arrives for the Execute.
    let client = h.client(&support).await;
    let error = client
        .query("SELECT card::int FROM customers WHERE id = $1", &[&1i32])
        .await
        .unwrap_err();
    let text = format!("{error:?}");
    assert!(!text.contains("4111 1111 1111 1111"), "{text}");
    assert!(text.contains("invalid input syntax"), "{text}");
    // Neither the audit log nor the recording holds them.
    let events = h
        .audit(warden_store::AuditFilter {
            identity: Some("sam".into()),
            ..Default::default()
        })
        .await;
    let audit = serde_json::to_string(&events).unwrap();
    assert!(audit.contains("invalid input syntax"), "{audit}");
    assert!(!audit.contains("ada@example.com") && !audit.contains("4111 1111 1111 1111"));
    // An unmasked role still reads the server's message as it is.
    let (_, _, err) = h.psql(&h.dba_key, sql).await;
    assert!(err.contains("ada@example.com"), "{err}");
}
