//! Every config error names the file, the line and the key at fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use warden_config::{ConfigError, parse};

const GOOD: &str = r#"
[gateway]
data_dir = "/tmp/warden"

[[gateway.listeners]]
protocol = "postgres"
address = "127.0.0.1:6432"
allow_plaintext_loopback = true

[connections.pg-prod]
kind = "postgres"
upstream = "db.internal:5432"
tags = { env = "prod" }

[review_policies.dba]
approvers = ["dba"]
quorum = 2
timeout = "30m"

[masking.profiles.pii]
detectors = ["email", "card"]
columns = [{ match = "*.password" }]

[roles.analyst]
groups = ["analysts"]
connections = ["pg-prod"]
allow = ["sql:read"]
review = ["sql:write"]
deny = ["sql:admin"]
review_policy = "dba"
mask = "pii"
"#;

fn error(src: &str) -> ConfigError {
    parse(src, Path::new("warden.toml")).expect_err("config should be refused")
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn good_config_loads() {
    let config = parse(GOOD, Path::new("conf/warden.toml")).unwrap();
    assert_eq!(config.roles["analyst"].allow, vec!["sql:read"]);
    assert_eq!(config.review_policies["dba"].quorum, 2);
    assert_eq!(config.base_dir, Path::new("conf"));
}

#[test]
fn unknown_reference_names_line_and_key() {
    let src = GOOD.replace(
        r#"connections = ["pg-prod"]"#,
        r#"connections = ["pg-prd"]"#,
    );
    let err = error(&src);
    assert_eq!(err.key, "roles.analyst.connections[0]");
    assert_eq!(err.location.as_ref().unwrap().line, line_of(&src, "pg-prd"));
    let text = err.to_string();
    assert!(text.starts_with("warden.toml:"), "{text}");
    assert!(text.contains("no connection named \"pg-prd\""), "{text}");
}

#[test]
fn misspelt_key_is_named() {
    let src = GOOD.replace("upstream = ", "upstrem = ");
    let err = error(&src);
    assert!(err.key.starts_with("connections.pg-prod"), "{}", err.key);
    assert!(err.message.contains("upstrem"), "{}", err.message);
    assert_eq!(err.location.unwrap().line, line_of(&src, "upstrem"));
}

#[test]
fn wrong_type_names_line_and_key() {
    let src = GOOD.replace("quorum = 2", "quorum = \"two\"");
    let err = error(&src);
    assert_eq!(err.key, "review_policies.dba.quorum");
    assert_eq!(err.location.unwrap().line, line_of(&src, "quorum"));
}

#[test]
fn missing_field_is_reported() {
    let src = GOOD.replace("kind = \"postgres\"\n", "");
    let err = error(&src);
    assert!(err.key.starts_with("connections.pg-prod"), "{}", err.key);
    assert!(err.message.contains("kind"), "{}", err.message);
    assert!(err.location.is_some());
}

#[test]
fn syntax_error_has_line() {
    let src = GOOD.replace("[roles.analyst]", "[roles.analyst");
    let err = error(&src);
    assert_eq!(err.location.unwrap().line, line_of(&src, "[roles.analyst"));
}

#[test]
fn bad_values_are_explained() {
    let cases = [
        (
            "timeout = \"30m\"",
            "timeout = \"soon\"",
            "review_policies.dba.timeout",
            "invalid duration",
        ),
        (
            "\"email\", \"card\"",
            "\"email\", \"cardz\"",
            "masking.profiles.pii.detectors[1]",
            "unknown detector",
        ),
        (
            "deny = [\"sql:admin\"]",
            "deny = [\"drop table\"]",
            "roles.analyst.deny[0]",
            "protocol:action",
        ),
        (
            "mask = \"pii\"",
            "mask = \"pi\"",
            "roles.analyst.mask",
            "no masking profile",
        ),
        (
            "review_policy = \"dba\"",
            "review_policy = \"dbas\"",
            "roles.analyst.review_policy",
            "no review policy",
        ),
        (
            "upstream = \"db.internal:5432\"",
            "upstream = \"db.internal\"",
            "connections.pg-prod.upstream",
            "host:port",
        ),
        (
            "address = \"127.0.0.1:6432\"",
            "address = \"0.0.0.0:6432\"",
            "gateway.listeners[0].allow_plaintext_loopback",
            "loopback",
        ),
    ];
    for (from, to, key, words) in cases {
        let src = GOOD.replace(from, to);
        assert_ne!(src, GOOD, "{from}");
        let err = error(&src);
        assert_eq!(err.key, key, "{to}");
        assert!(err.message.contains(words), "{to}: {}", err.message);
        assert!(err.location.is_some(), "{to}");
    }
}

#[test]
fn oidc_rules() {
    let base = format!(
        "{GOOD}\n[identity.oidc.corp]\nissuer = \"https://idp.example.com\"\naudience = [\"warden\"]\n"
    );
    parse(&base, Path::new("w.toml")).unwrap();
    let none = format!("{base}algorithms = [\"RS256\", \"none\"]\n");
    assert_eq!(error(&none).key, "identity.oidc.corp.algorithms[1]");
    let hmac = format!("{base}algorithms = [\"HS256\"]\n");
    assert!(error(&hmac).message.contains("hmac_secret"));
    let secret = format!(
        "{base}algorithms = [\"HS256\"]\nhmac_secret = {{ env = \"WARDEN_TEST_SURELY_UNSET\" }}\n"
    );
    let err = error(&secret);
    assert_eq!(err.key, "identity.oidc.corp.hmac_secret.env");
    assert!(err.message.contains("WARDEN_TEST_SURELY_UNSET"));
}
