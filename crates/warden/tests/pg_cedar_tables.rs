//! A Cedar rule about a table or function holds however a statement names it: `secrets`,
//! `public.secrets`, `"public"."secrets"`, `PUBLIC.SECRETS`, in a join or a CTE; `pg_sleep` and
//! `pg_catalog.pg_sleep`. Driven with tokio-postgres through the gateway against a real
//! PostgreSQL; the other statements of the session still run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

const RULES: &str = r#"
@id("no-secrets")
forbid (principal, action, resource)
when { context.table_names.contains("secrets") };

@id("no-sleeping")
forbid (principal, action, resource)
when { context.function_names.contains("pg_sleep") };
"#;

const REFUSED: &[(&str, &str)] = &[
    ("select * from secrets", "no-secrets"),
    ("select * from public.secrets", "no-secrets"),
    ("select * from \"public\".\"secrets\"", "no-secrets"),
    ("SELECT * FROM PUBLIC.SECRETS", "no-secrets"),
    (
        "select count(*) from orders join public.secrets s on s.id = orders.id",
        "no-secrets",
    ),
    (
        "with s as (select * from app_schema_free.secrets) select 1",
        "no-secrets",
    ),
    ("select pg_sleep(0)", "no-sleeping"),
    ("select pg_catalog.pg_sleep(0)", "no-sleeping"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_rule_holds_however_the_statement_names_the_table() {
    let h = Harness::start_configured(
        warden_testkit::PostgresOptions::default(),
        "[policy]\ncedar = [\"rules.cedar\"]\n",
        &[("rules.cedar", RULES)],
    )
    .await;
    let client = h.client(&h.agent_key).await;
    for (sql, rule) in REFUSED {
        let db = Harness::denied(&client, sql).await;
        assert!(
            db.message().contains(&format!("cedar:{rule}")),
            "{sql:?}: {}",
            db.message()
        );
    }
    // Other tables, and names that only contain the word, still run in the same session.
    let row = client
        .query_one("select count(*) from public.orders", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 4);
    let row = client
        .query_one(
            "select count(*) from customers where name <> 'secrets'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 3);

    // Each refusal is audited under its rule.
    let decisions = h
        .audit(warden_store::AuditFilter {
            kind: Some("decision".into()),
            ..Default::default()
        })
        .await;
    let refused = decisions
        .iter()
        .filter(|e| e["rule"].as_str().is_some_and(|r| r.starts_with("cedar:")))
        .count();
    assert_eq!(refused, REFUSED.len(), "{decisions:#?}");
}
