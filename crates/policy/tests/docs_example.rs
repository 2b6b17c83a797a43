//! The example config and Cedar file in docs/policy.md load and decide as its table says.

// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Ask, human, machine};
use std::path::Path;
use warden_core::Verdict::{self, Allow, Deny, Review};
use warden_policy::{CEDAR_SCHEMA, PolicyEngine};

/// The fenced blocks of `lang` in the document.
fn blocks(doc: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    doc.split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy.md");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_documented_schema_is_the_built_in_one() {
    let schema = blocks(&doc(), "cedar")
        .into_iter()
        .find(|b| b.contains("namespace Warden"))
        .unwrap();
    assert_eq!(schema.trim(), CEDAR_SCHEMA.trim());
}

#[test]
fn the_documented_example_decides_as_documented() {
    let doc = doc();
    let policies = blocks(&doc, "cedar")
        .into_iter()
        .find(|b| b.contains("@id(\"forbid-prod-writes\")"))
        .unwrap();
    let config = blocks(&doc, "toml")
        .into_iter()
        .find(|b| b.contains("[policy]") && b.contains("[connections.pg-prod]"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/warden.cedar"), policies).unwrap();
    let mut config: warden_config::Config =
        toml::from_str(&format!("[gateway]\ndata_dir = \"/nonexistent\"\n{config}")).unwrap();
    config.base_dir = dir.path().to_path_buf();
    let engine = PolicyEngine::from_config(&config).unwrap();

    let analyst = human("ana", &["analysts"], &[]);
    let dba = human("dora", &["dba"], &[]);
    let contractor = human("carl", &["contractors"], &[]);
    let bot = machine("report-bot", &["analysts"], &[]);
    let marketing = human("mo", &["marketing"], &[]);
    let table: Vec<(Ask<'_>, Verdict, &str)> = vec![
        (
            Ask::new(&analyst, "pg-prod", "sql:read"),
            Allow,
            "role:analyst/allow[0]",
        ),
        (
            Ask::new(&analyst, "pg-staging", "sql:write"),
            Review,
            "role:analyst/review[0]",
        ),
        (
            Ask::new(&analyst, "pg-prod", "sql:write"),
            Deny,
            "cedar:forbid-prod-writes",
        ),
        (
            Ask::new(&dba, "pg-prod", "sql:write"),
            Deny,
            "cedar:forbid-prod-writes",
        ),
        (
            Ask::new(&dba, "pg-staging", "sql:admin").source_ip("192.168.1.7"),
            Deny,
            "cedar:admin-from-office",
        ),
        (
            Ask::new(&dba, "pg-staging", "sql:admin").source_ip("10.20.30.40"),
            Allow,
            "role:dba/allow[0]",
        ),
        (
            Ask::new(&contractor, "pg-staging", "sql:read"),
            Allow,
            "cedar:contractors-read-staging",
        ),
        (
            Ask::new(&contractor, "pg-staging", "sql:write"),
            Review,
            "cedar:contractor-writes-need-review",
        ),
        (
            Ask::new(&bot, "pg-prod", "sql:read").tables(&["public.salaries"]),
            Deny,
            "cedar:no-salaries-for-machines",
        ),
        (
            Ask::new(&bot, "pg-prod", "sql:read").tables(&["public.orders", "orders_salaries"]),
            Allow,
            "role:analyst/allow[0]",
        ),
        // However the statement names the table.
        (
            Ask::new(&bot, "pg-prod", "sql:read").tables(&["public.orders", "salaries"]),
            Deny,
            "cedar:no-salaries-for-machines",
        ),
        (
            Ask::new(&marketing, "pg-prod", "sql:read"),
            Deny,
            "default-deny",
        ),
    ];
    for (ask, verdict, rule) in table {
        let decision = ask.decide(&engine);
        assert_eq!(
            (decision.verdict, decision.rule.as_str()),
            (verdict, rule),
            "{} {} {}: {}",
            ask.identity.subject,
            ask.connection,
            ask.action.name,
            decision.reason
        );
    }
    let read = Ask::new(&analyst, "pg-prod", "sql:read").decide(&engine);
    assert_eq!(read.mask_profile.as_deref(), Some("pii"));
}
