//! Roles alone: selectors, connection globs, action patterns, precedence, default deny.

// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Ask, engine, human, machine};
use warden_core::Verdict::{self, Allow, Deny, Review};
use warden_policy::PolicyEngine;

const ROLES: &str = r#"
[roles.analyst]
groups = ["analysts"]
connections = ["pg-*"]
allow = ["sql:read"]
review = ["sql:write"]
deny = ["sql:ddl", "sql:admin"]
review_policy = "dba-approval"
mask = "pii"

[roles.dba]
groups = ["dba"]
connections = ["pg-prod", "pg-staging"]
allow = ["sql:*"]
deny = ["sql:unknown"]

[roles.agent]
subjects = ["agent-7"]
scopes = ["files:write"]
connections = ["openai"]
allow = ["http:POST /v1/*"]
deny = ["http:DELETE *"]

[roles.bots]
groups = ["bots"]
connections = ["autogen"]
allow = ["autogen:*"]
review = ["autogen:model:delete"]
review_policy = "dba-approval"

[roles.ci]
groups = ["ci"]
scopes = ["deploy"]
connections = ["pg-staging"]
allow = ["sql:*"]
"#;

fn roles() -> PolicyEngine {
    engine(ROLES)
}

#[test]
fn verdicts_and_deciding_rules() {
    let engine = roles();
    let analyst = human("ana", &["analysts"], &[]);
    let dba = human("dora", &["dba"], &[]);
    let both = human("bo", &["analysts", "dba"], &[]);
    let outsider = human("olga", &["marketing"], &[]);
    let agent = machine("agent-7", &[], &["files:write"]);
    let agent_no_scope = machine("agent-7", &[], &["files:read"]);
    let other_agent = machine("agent-8", &[], &["files:write"]);
    let bot = machine("bot-1", &["bots"], &[]);
    let ci = machine("ci-1", &["ci"], &["deploy"]);
    let ci_no_scope = machine("ci-2", &["ci"], &[]);
    let scope_no_group = machine("ci-3", &["builders"], &["deploy"]);

    let table: Vec<(&str, &_, &str, &str, Verdict, &str)> = vec![
        // one role: deny > review > allow, each list by index
        (
            "analyst reads",
            &analyst,
            "pg-prod",
            "sql:read",
            Allow,
            "role:analyst/allow[0]",
        ),
        (
            "analyst writes",
            &analyst,
            "pg-prod",
            "sql:write",
            Review,
            "role:analyst/review[0]",
        ),
        (
            "analyst ddl",
            &analyst,
            "pg-prod",
            "sql:ddl",
            Deny,
            "role:analyst/deny[0]",
        ),
        (
            "analyst admin",
            &analyst,
            "pg-prod",
            "sql:admin",
            Deny,
            "role:analyst/deny[1]",
        ),
        (
            "analyst unknown",
            &analyst,
            "pg-prod",
            "sql:unknown",
            Deny,
            "default-deny",
        ),
        // `sql:*` matches everything sql, but the role's deny wins
        (
            "dba writes",
            &dba,
            "pg-prod",
            "sql:write",
            Allow,
            "role:dba/allow[0]",
        ),
        (
            "dba admin",
            &dba,
            "pg-prod",
            "sql:admin",
            Allow,
            "role:dba/allow[0]",
        ),
        (
            "dba unknown",
            &dba,
            "pg-prod",
            "sql:unknown",
            Deny,
            "role:dba/deny[0]",
        ),
        (
            "dba not sql",
            &dba,
            "pg-prod",
            "ssh:shell",
            Deny,
            "default-deny",
        ),
        // review beats allow inside one role; `autogen:*` spans segments
        (
            "bot prompt",
            &bot,
            "autogen",
            "autogen:prompt",
            Allow,
            "role:bots/allow[0]",
        ),
        (
            "bot deletes",
            &bot,
            "autogen",
            "autogen:model:delete",
            Review,
            "role:bots/review[0]",
        ),
        // across two roles: the analyst's review and deny beat the dba's allow
        (
            "both write",
            &both,
            "pg-prod",
            "sql:write",
            Review,
            "role:analyst/review[0]",
        ),
        (
            "both ddl",
            &both,
            "pg-prod",
            "sql:ddl",
            Deny,
            "role:analyst/deny[0]",
        ),
        (
            "both read",
            &both,
            "pg-prod",
            "sql:read",
            Allow,
            "role:analyst/allow[0]",
        ),
        (
            "both unknown",
            &both,
            "pg-prod",
            "sql:unknown",
            Deny,
            "role:dba/deny[0]",
        ),
        // group matching
        (
            "outsider",
            &outsider,
            "pg-prod",
            "sql:read",
            Deny,
            "default-deny",
        ),
        // subject AND scope
        (
            "agent posts",
            &agent,
            "openai",
            "http:POST /v1/files/abc",
            Allow,
            "role:agent/allow[0]",
        ),
        (
            "agent posts v2",
            &agent,
            "openai",
            "http:POST /v2/files",
            Deny,
            "default-deny",
        ),
        (
            "agent gets",
            &agent,
            "openai",
            "http:GET /v1/files",
            Deny,
            "default-deny",
        ),
        (
            "agent deletes",
            &agent,
            "openai",
            "http:DELETE /v1/files/abc",
            Deny,
            "role:agent/deny[0]",
        ),
        (
            "agent lacks scope",
            &agent_no_scope,
            "openai",
            "http:POST /v1/files",
            Deny,
            "default-deny",
        ),
        (
            "other subject",
            &other_agent,
            "openai",
            "http:POST /v1/files",
            Deny,
            "default-deny",
        ),
        // group AND scope
        (
            "ci deploys",
            &ci,
            "pg-staging",
            "sql:ddl",
            Allow,
            "role:ci/allow[0]",
        ),
        (
            "ci without scope",
            &ci_no_scope,
            "pg-staging",
            "sql:ddl",
            Deny,
            "default-deny",
        ),
        (
            "scope without group",
            &scope_no_group,
            "pg-staging",
            "sql:ddl",
            Deny,
            "default-deny",
        ),
        // connection globs and lists
        (
            "analyst staging",
            &analyst,
            "pg-staging",
            "sql:read",
            Allow,
            "role:analyst/allow[0]",
        ),
        (
            "analyst off-glob",
            &analyst,
            "openai",
            "http:POST /v1/files",
            Deny,
            "default-deny",
        ),
        (
            "ci on prod",
            &ci,
            "pg-prod",
            "sql:read",
            Deny,
            "default-deny",
        ),
        // unknown connection
        (
            "unknown connection",
            &dba,
            "pg-nope",
            "sql:read",
            Deny,
            "unknown-connection",
        ),
    ];
    for (name, identity, connection, action, verdict, rule) in table {
        let decision = Ask::new(identity, connection, action).decide(&engine);
        assert_eq!(
            (decision.verdict, decision.rule.as_str()),
            (verdict, rule),
            "{name}: {}",
            decision.reason
        );
    }
}

#[test]
fn decisions_carry_review_policy_mask_and_pattern() {
    let engine = roles();
    let analyst = human("ana", &["analysts"], &[]);
    let dba = human("dora", &["dba"], &[]);
    let both = human("bo", &["analysts", "dba"], &[]);

    let write = Ask::new(&analyst, "pg-prod", "sql:write").decide(&engine);
    assert_eq!(write.review_policy.as_deref(), Some("dba-approval"));
    assert_eq!(write.mask_profile.as_deref(), Some("pii"));

    let read = Ask::new(&analyst, "pg-prod", "sql:read").decide(&engine);
    assert_eq!(read.review_policy, None);
    assert_eq!(read.mask_profile.as_deref(), Some("pii"));

    let ddl = Ask::new(&analyst, "pg-prod", "sql:ddl").decide(&engine);
    assert_eq!(ddl.mask_profile, None);
    assert!(ddl.reason.contains("\"sql:ddl\""), "{}", ddl.reason);
    assert!(ddl.reason.contains("analyst"), "{}", ddl.reason);

    let dba_read = Ask::new(&dba, "pg-prod", "sql:read").decide(&engine);
    assert_eq!(dba_read.mask_profile, None);
    assert!(dba_read.reason.contains("\"sql:*\""), "{}", dba_read.reason);

    // Someone in a masking role and an unmasked role is still masked.
    let both_admin = Ask::new(&both, "pg-prod", "sql:admin").decide(&engine);
    assert_eq!(both_admin.verdict, Deny);
    let both_read = Ask::new(&both, "pg-staging", "sql:read").decide(&engine);
    assert_eq!(both_read.mask_profile.as_deref(), Some("pii"));

    let nothing = Ask::new(&analyst, "pg-prod", "sql:unknown").decide(&engine);
    assert!(nothing.reason.contains("ana"), "{}", nothing.reason);
}

#[test]
fn the_pipeline_trait_never_fails() {
    use warden_core::pipeline::Decide;
    let engine = roles();
    let analyst = human("ana", &["analysts"], &[]);
    let ask = Ask::new(&analyst, "pg-prod", "sql:read");
    let decision = Decide::decide(&engine, &ask.request()).unwrap();
    assert_eq!(decision.verdict, Allow);
}

#[test]
fn explain_lists_every_matching_rule() {
    let engine = roles();
    let both = human("bo", &["analysts", "dba"], &[]);
    let ask = Ask::new(&both, "pg-prod", "sql:write");
    let explanation = engine.explain(&ask.request());
    assert_eq!(explanation.decision.verdict, Review);
    assert_eq!(explanation.exit_code(), 2);
    assert_eq!(explanation.roles, ["analyst", "dba"]);
    let rules: Vec<(&str, Verdict)> = explanation
        .matches
        .iter()
        .map(|m| (m.rule.as_str(), m.verdict))
        .collect();
    assert_eq!(
        rules,
        [
            ("role:analyst/review[0]", Review),
            ("role:dba/allow[0]", Allow)
        ]
    );
}

fn load_error(roles: &str) -> String {
    let config = common::config(roles, std::path::Path::new("/nonexistent"));
    PolicyEngine::from_config(&config).unwrap_err().to_string()
}

#[test]
fn malformed_roles_are_refused_with_their_location() {
    let cases = [
        (
            r#"[roles.analyst]
groups = ["analysts"]
connections = ["pg-prod"]
allow = ["sql:read", "sql:write", "sql:"]"#,
            "roles.analyst.allow[2]",
        ),
        (
            r#"[roles.analyst]
groups = ["analysts"]
connections = ["pg-prod"]
deny = [""]"#,
            "roles.analyst.deny[0]",
        ),
        (
            r#"[roles.analyst]
groups = ["analysts"]
connections = ["pg-prod"]
review = ["sql:wr?te"]
review_policy = "dba-approval""#,
            "roles.analyst.review[0]",
        ),
        (
            r#"[roles.analyst]
groups = ["analysts"]
connections = ["pg-prod", "pg prod"]
allow = ["sql:read"]"#,
            "roles.analyst.connections[1]",
        ),
        (
            r#"[roles.analyst]
groups = ["analysts"]
connections = ["pg-prd"]
allow = ["sql:read"]"#,
            "roles.analyst.connections[0]: no connection named \"pg-prd\"",
        ),
        (
            r#"[roles.nobody]
connections = ["pg-prod"]
allow = ["sql:read"]"#,
            "roles.nobody: binds nobody",
        ),
    ];
    for (roles, expected) in cases {
        let message = load_error(roles);
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}
