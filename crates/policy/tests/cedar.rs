//! Cedar policies combined with roles: forbids, permits, review permits, tables, source
//! address, time, and evaluation errors.

// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{TimeZone, Utc};
use common::{Ask, human, machine};
use std::path::Path;
use warden_core::Verdict::{self, Allow, Deny, Review};
use warden_policy::{PolicyEngine, RuleOrigin};

const ROLES: &str = r#"
[policy]
cedar = ["policies/warden.cedar", "policies/time.cedar"]

[roles.analyst]
groups = ["analysts"]
connections = ["pg-*"]
allow = ["sql:read"]
review = ["sql:write"]
review_policy = "dba-approval"
mask = "pii"

[roles.dba]
groups = ["dba"]
connections = ["pg-*"]
allow = ["sql:*"]
"#;

const POLICIES: &str = r#"
// Nobody writes to production through Warden.
@id("forbid-prod-writes")
forbid (principal, action == Warden::Action::"request", resource)
when {
  resource.hasTag("env") && resource.getTag("env") == "prod" &&
  context.action == "sql:write"
};

// Contractors may read staging, though no role lets them.
@id("contractors-read-staging")
@mask("strict")
permit (principal in Warden::Group::"contractors", action, resource)
when {
  resource.hasTag("env") && resource.getTag("env") == "staging" &&
  context.action == "sql:read"
};

// Contractor writes on staging need a DBA's approval.
@id("contractor-writes-need-review")
@verdict("review")
@review_policy("dba-approval")
permit (principal in Warden::Group::"contractors", action, resource)
when { resource.kind == "postgres" && context.action == "sql:write" };

// Machines never touch salaries.
@id("no-salaries-for-machines")
forbid (principal, action, resource)
when { principal.kind == "machine" && context.tables.contains("public.salaries") };

// Administration only from the office network.
@id("admin-from-office")
forbid (principal, action, resource)
when {
  context.action == "sql:admin" &&
  !(context.has_source_ip && context.source_ip.isInRange(ip("10.0.0.0/8")))
};
"#;

const TIME: &str = r#"
// No DDL at the weekend (UTC).
@id("no-weekend-ddl")
forbid (principal, action, resource)
when { context.action == "sql:ddl" && context.weekday >= 6 };

// Fails to evaluate (overflow) for `sql:unknown` after midnight, and so must deny.
@id("overflows-after-midnight")
forbid (principal, action, resource)
when { context.action == "sql:unknown" && context.hour + 9223372036854775807 < 0 };
"#;

fn engine() -> (tempfile::TempDir, PolicyEngine) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/warden.cedar"), POLICIES).unwrap();
    std::fs::write(dir.path().join("policies/time.cedar"), TIME).unwrap();
    let engine = PolicyEngine::from_config(&common::config(ROLES, dir.path())).unwrap();
    (dir, engine)
}

#[test]
fn cedar_and_roles_combine() {
    let (_dir, engine) = engine();
    let analyst = human("ana", &["analysts"], &[]);
    let dba = human("dora", &["dba"], &[]);
    let contractor = human("carl", &["contractors"], &[]);
    let analyst_bot = machine("report-bot", &["analysts"], &[]);

    let table: Vec<(&str, Ask<'_>, Verdict, &str)> = vec![
        // a forbid on the connection's tags beats a role's allow and a role's review
        (
            "dba writes prod",
            Ask::new(&dba, "pg-prod", "sql:write"),
            Deny,
            "cedar:forbid-prod-writes",
        ),
        (
            "analyst writes prod",
            Ask::new(&analyst, "pg-prod", "sql:write"),
            Deny,
            "cedar:forbid-prod-writes",
        ),
        (
            "dba writes staging",
            Ask::new(&dba, "pg-staging", "sql:write"),
            Allow,
            "role:dba/allow[0]",
        ),
        // a permit allows what no role allows, and only that
        (
            "contractor reads staging",
            Ask::new(&contractor, "pg-staging", "sql:read"),
            Allow,
            "cedar:contractors-read-staging",
        ),
        (
            "contractor reads prod",
            Ask::new(&contractor, "pg-prod", "sql:read"),
            Deny,
            "default-deny",
        ),
        // a review permit
        (
            "contractor writes staging",
            Ask::new(&contractor, "pg-staging", "sql:write"),
            Review,
            "cedar:contractor-writes-need-review",
        ),
        (
            "contractor writes prod",
            Ask::new(&contractor, "pg-prod", "sql:write"),
            Deny,
            "cedar:forbid-prod-writes",
        ),
        // tables
        (
            "bot reads orders",
            Ask::new(&analyst_bot, "pg-prod", "sql:read").tables(&["public.orders"]),
            Allow,
            "role:analyst/allow[0]",
        ),
        (
            "bot reads salaries",
            Ask::new(&analyst_bot, "pg-prod", "sql:read")
                .tables(&["public.orders", "public.salaries"]),
            Deny,
            "cedar:no-salaries-for-machines",
        ),
        (
            "person reads salaries",
            Ask::new(&analyst, "pg-prod", "sql:read").tables(&["public.salaries"]),
            Allow,
            "role:analyst/allow[0]",
        ),
        // source address
        (
            "admin from office",
            Ask::new(&dba, "pg-staging", "sql:admin").source_ip("10.20.30.40"),
            Allow,
            "role:dba/allow[0]",
        ),
        (
            "admin from office v6-mapped",
            Ask::new(&dba, "pg-staging", "sql:admin").source_ip("::ffff:10.1.1.1"),
            Allow,
            "role:dba/allow[0]",
        ),
        (
            "admin from cafe",
            Ask::new(&dba, "pg-staging", "sql:admin").source_ip("192.168.1.7"),
            Deny,
            "cedar:admin-from-office",
        ),
        (
            "admin from nowhere",
            Ask::new(&dba, "pg-staging", "sql:admin"),
            Deny,
            "cedar:admin-from-office",
        ),
        // time: the fixture's clock is a Wednesday afternoon
        (
            "weekday ddl",
            Ask::new(&dba, "pg-staging", "sql:ddl"),
            Allow,
            "role:dba/allow[0]",
        ),
    ];
    for (name, ask, verdict, rule) in table {
        let decision = ask.decide(&engine);
        assert_eq!(
            (decision.verdict, decision.rule.as_str()),
            (verdict, rule),
            "{name}: {}",
            decision.reason
        );
    }
}

#[test]
fn cedar_decisions_carry_annotations() {
    let (_dir, engine) = engine();
    let contractor = human("carl", &["contractors"], &[]);
    let write = Ask::new(&contractor, "pg-staging", "sql:write").decide(&engine);
    assert_eq!(write.review_policy.as_deref(), Some("dba-approval"));
    assert!(
        write.reason.contains("policies/warden.cedar"),
        "{}",
        write.reason
    );
    let read = Ask::new(&contractor, "pg-staging", "sql:read").decide(&engine);
    assert_eq!(read.mask_profile.as_deref(), Some("strict"));
}

#[test]
fn time_rules_see_the_utc_clock() {
    let (_dir, engine) = engine();
    let dba = human("dora", &["dba"], &[]);
    let ask = Ask::new(&dba, "pg-staging", "sql:ddl");
    let saturday = Utc.with_ymd_and_hms(2025, 3, 8, 10, 0, 0).unwrap();
    let decision = engine.decide_at(&ask.request(), saturday);
    assert_eq!(
        (decision.verdict, decision.rule.as_str()),
        (Deny, "cedar:no-weekend-ddl")
    );
}

#[test]
fn a_policy_that_fails_to_evaluate_denies() {
    let (_dir, engine) = engine();
    let dba = human("dora", &["dba"], &[]);
    let ask = Ask::new(&dba, "pg-staging", "sql:unknown");

    let midnight = Utc.with_ymd_and_hms(2025, 3, 5, 0, 30, 0).unwrap();
    let decision = engine.decide_at(&ask.request(), midnight);
    assert_eq!(
        (decision.verdict, decision.rule.as_str()),
        (Allow, "role:dba/allow[0]")
    );

    let decision = ask.decide(&engine);
    assert_eq!(
        (decision.verdict, decision.rule.as_str()),
        (Deny, "cedar:overflows-after-midnight")
    );
    assert!(
        decision.reason.contains("failed to evaluate"),
        "{}",
        decision.reason
    );
    assert!(decision.reason.contains("overflow"), "{}", decision.reason);
}

#[test]
fn explain_shows_permits_overridden_by_a_forbid() {
    let (_dir, engine) = engine();
    let both = human("bo", &["dba", "contractors"], &[]);
    let ask = Ask::new(&both, "pg-prod", "sql:write");
    let explanation = engine.explain_at(&ask.request(), common::afternoon());
    assert_eq!(explanation.decision.verdict, Deny);
    assert_eq!(explanation.decision.rule, "cedar:forbid-prod-writes");
    assert_eq!(explanation.exit_code(), 1);
    assert_eq!(explanation.roles, ["dba"]);
    let matches: Vec<(&str, RuleOrigin, Verdict)> = explanation
        .matches
        .iter()
        .map(|m| (m.rule.as_str(), m.origin, m.verdict))
        .collect();
    assert_eq!(
        matches,
        [
            ("role:dba/allow[0]", RuleOrigin::Role, Allow),
            ("cedar:forbid-prod-writes", RuleOrigin::Cedar, Deny),
            (
                "cedar:contractor-writes-need-review",
                RuleOrigin::Cedar,
                Review
            ),
        ]
    );
    assert_eq!(
        explanation.matches[2].review_policy.as_deref(),
        Some("dba-approval")
    );
}

#[test]
fn decide_and_explain_agree() {
    let (_dir, engine) = engine();
    let people = [
        human("ana", &["analysts"], &[]),
        human("dora", &["dba"], &[]),
        human("carl", &["contractors"], &[]),
        machine("bot", &["analysts", "contractors"], &[]),
    ];
    for identity in &people {
        for connection in ["pg-prod", "pg-staging", "openai", "missing"] {
            for action in [
                "sql:read",
                "sql:write",
                "sql:admin",
                "sql:ddl",
                "sql:unknown",
            ] {
                let ask = Ask::new(identity, connection, action).tables(&["public.salaries"]);
                let decision = ask.decide(&engine);
                let explanation = engine.explain_at(&ask.request(), common::afternoon());
                assert_eq!(
                    decision, explanation.decision,
                    "{} {connection} {action}",
                    identity.subject
                );
            }
        }
    }
}

#[test]
fn policy_files_resolve_against_the_config_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(ROLES, &dir.path().join("elsewhere"));
    let error = PolicyEngine::from_config(&config).unwrap_err().to_string();
    assert!(error.contains("cannot read cedar policy file"), "{error}");
    assert!(
        error.contains(
            &Path::new("elsewhere")
                .join("policies/warden.cedar")
                .display()
                .to_string()
        ),
        "{error}"
    );
}
