//! The `warden` binary as an operator uses it: config check, keys, policy check, audit verify
//! and search, end to end on the embedded store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn warden(args: &[&str], dir: &Path) -> Output {
    warden_with(args, dir, &[])
}

/// [`warden`] with these variables added to its environment.
fn warden_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const CONFIG: &str = r#"
[gateway]
data_dir = "data"
node = "cli-node"

[gateway.audit]
checkpoint_every = 2

[connections.pg-prod]
kind = "postgres"
upstream = "127.0.0.1:5999"
tags = { env = "prod" }

[review_policies.dba]
approvers = ["dba"]

[roles.agents]
groups = ["agents"]
connections = ["pg-*"]
allow = ["sql:read"]
review = ["sql:write"]
deny = ["sql:admin"]
review_policy = "dba"

[policy]
cedar = ["rules.cedar"]
"#;

const CEDAR: &str = r#"
@id("no-pii-tables-for-machines")
forbid (principal, action, resource)
when { principal.kind == "machine" && context.tables.contains("public.cards") };
"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warden.toml"), CONFIG).unwrap();
    std::fs::write(dir.path().join("rules.cedar"), CEDAR).unwrap();
    dir
}

#[test]
fn config_check_names_line_and_key() {
    let dir = setup();
    let ok = warden(&["config", "check", "warden.toml"], dir.path());
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("ok (1 connections, 1 roles"));

    let broken = CONFIG.replace("review_policy = \"dba\"", "review_policy = \"dbas\"");
    std::fs::write(dir.path().join("broken.toml"), &broken).unwrap();
    let out = warden(&["config", "check", "broken.toml"], dir.path());
    assert!(!out.status.success());
    let line = broken.lines().position(|l| l.contains("dbas")).unwrap() + 1;
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("broken.toml:{line}:")),
        "line {line} expected: {err}"
    );
    assert!(err.contains("key `roles.agents.review_policy`"), "{err}");
}

#[test]
fn policy_check_exit_codes_and_rules() {
    let dir = setup();
    let check = |action: &str, extra: &[&str]| {
        let mut args = vec![
            "policy",
            "check",
            "--subject",
            "bot",
            "--group",
            "agents",
            "--connection",
            "pg-prod",
            "--action",
            action,
        ];
        args.extend_from_slice(extra);
        warden(&args, dir.path())
    };
    let allow = check("sql:read", &[]);
    assert_eq!(allow.status.code(), Some(0));
    assert!(text(&allow.stdout).contains("rule:    role:agents/allow[0]"));
    let review = check("sql:write", &[]);
    assert_eq!(review.status.code(), Some(2));
    let deny = check("sql:admin", &[]);
    assert_eq!(deny.status.code(), Some(1));
    assert!(text(&deny.stdout).contains("role:agents/deny[0]"));
    let nothing = check("sql:ddl", &[]);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(text(&nothing.stdout).contains("default-deny"));
    let cedar = check("sql:read", &["--machine", "--table", "public.cards"]);
    assert_eq!(cedar.status.code(), Some(1), "{}", text(&cedar.stdout));
    assert!(text(&cedar.stdout).contains("cedar:no-pii-tables-for-machines"));
}

#[test]
fn keys_lifecycle_and_audit_verify_detects_tampering() {
    let dir = setup();
    let created = warden(
        &[
            "keys",
            "create",
            "--name",
            "ci-bot",
            "--group",
            "agents",
            "--scope",
            "db:read",
            "--expires",
            "30d",
        ],
        dir.path(),
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let key = text(&created.stdout).trim().to_owned();
    assert!(key.starts_with("wdn_"), "{key}");
    assert!(text(&created.stderr).contains("shown once"));

    let list = warden(&["keys", "list"], dir.path());
    let listing = text(&list.stdout);
    assert!(
        listing.contains("ci-bot") && listing.contains("active"),
        "{listing}"
    );
    assert!(!listing.contains(&key[21..]), "the secret is never listed");

    let revoke = warden(&["keys", "revoke", "ci-bot"], dir.path());
    assert!(revoke.status.success(), "{}", text(&revoke.stderr));
    assert!(text(&warden(&["keys", "list"], dir.path()).stdout).contains("revoked"));
    let again = warden(&["keys", "revoke", "ci-bot"], dir.path());
    assert!(!again.status.success());

    // The database file never holds the key.
    let db = std::fs::read(dir.path().join("data/warden.db")).unwrap();
    assert!(
        !db.windows(key.len() - 21)
            .any(|w| w == &key.as_bytes()[21..])
    );

    let verify = warden(&["audit", "verify"], dir.path());
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains("node cli-node-cli: 2 events intact"));

    let search = warden(&["audit", "search", "--kind", "key_revoked"], dir.path());
    let events: Vec<serde_json::Value> = text(&search.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["identity"], "ci-bot");

    // Edit one event directly in the database: verify fails naming it.
    let status = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update audit_events set identity='someone-else' where seq=1\"); c.commit()")
        .arg(dir.path().join("data/warden.db"))
        .status()
        .unwrap();
    assert!(status.success());
    let tampered = warden(&["audit", "verify"], dir.path());
    assert_eq!(tampered.status.code(), Some(1));
    let err = text(&tampered.stderr);
    assert!(err.contains("FAILED") && err.contains("event 1"), "{err}");
}

#[test]
fn the_example_config_checks_as_the_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["config", "check", "examples/warden.toml"])
        .current_dir(&root)
        .env("PG_PROD_PASSWORD", "secret")
        .env("OPENAI_AUTH", "Bearer sk-test")
        .env("WARDEN_WEBHOOK_SECRET", "s")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok"), "{}", text(&out.stdout));
    // Without the webhook secret the check names the key and the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["config", "check", "examples/warden.toml"])
        .current_dir(&root)
        .env("PG_PROD_PASSWORD", "secret")
        .env("OPENAI_AUTH", "Bearer sk-test")
        .env_remove("WARDEN_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("WARDEN_WEBHOOK_SECRET"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_thread_settings_stop_warden_at_start_by_name() {
    const CHECK: &[&str] = &["config", "check", "warden.toml"];
    let dir = setup();
    let cases = [
        (
            "WARDEN_WORKERS",
            "two",
            "WARDEN_WORKERS must be a whole number above 0",
        ),
        ("WARDEN_BALANCE", "of", "WARDEN_BALANCE must be on or off"),
        (
            "TOKIO_WORKER_THREADS",
            "0",
            "TOKIO_WORKER_THREADS must be a whole number above 0",
        ),
    ];
    for (variable, value, expected) in cases {
        let out = warden_with(CHECK, dir.path(), &[(variable, value)]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{variable}={value} was accepted");
        assert!(stderr.contains(expected), "{variable}={value}: {stderr}");
        assert!(stderr.contains(&format!("{value:?}")), "{stderr}");
    }
    // Good values are taken, and the command does its work.
    let good = [
        ("WARDEN_WORKERS", "3"),
        ("WARDEN_BALANCE", "off"),
        ("TOKIO_WORKER_THREADS", "2"),
    ];
    let out = warden_with(CHECK, dir.path(), &good);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
