use super::*;

fn action(p: &str) -> ActionPattern {
    ActionPattern::parse(p).unwrap()
}

#[test]
fn action_patterns_match_segment_wise() {
    let table = [
        ("*", "sql:read", true),
        ("*", "autogen:model:delete", true),
        ("sql:*", "sql:read", true),
        ("sql:*", "sql:admin", true),
        ("sql:*", "sqlx:read", false),
        ("sql:*", "sql", false),
        ("sql:read", "sql:read", true),
        ("sql:read", "sql:reader", false),
        ("sql:read", "sql:write", false),
        ("sql:write", "sql:read", false),
        ("autogen:*", "autogen:model:delete", true),
        ("autogen:model", "autogen:model:delete", false),
        ("http:POST /v1/*", "http:POST /v1/files/abc", true),
        ("http:POST /v1/*", "http:POST /v2/files", false),
        ("http:POST /v1/*", "http:GET /v1/files", false),
        ("k8s:create pods/*", "k8s:create pods/exec", true),
        ("k8s:* pods/exec", "k8s:create pods/exec", true),
        ("k8s:* pods/exec", "k8s:create pods/log", false),
        ("*:read", "sql:read", true),
        ("*:read", "sql:write", false),
        ("mcp:call *", "mcp:call search", true),
        ("mcp:call *", "mcp:list", false),
    ];
    for (pattern, name, expected) in table {
        assert_eq!(
            action(pattern).matches(name),
            expected,
            "{pattern:?} against {name:?}"
        );
    }
}

#[test]
fn connection_globs() {
    let table = [
        ("pg-*", "pg-prod", true),
        ("pg-*", "pg-", true),
        ("pg-*", "mysql-prod", false),
        ("*-prod", "pg-prod", true),
        ("*-prod", "pg-staging", false),
        ("pg-prod", "pg-prod", true),
        ("pg-prod", "pg-prod2", false),
        ("*", "anything", true),
    ];
    for (pattern, name, expected) in table {
        assert_eq!(
            ConnectionPattern::parse(pattern).unwrap().matches(name),
            expected,
            "{pattern:?} against {name:?}"
        );
    }
}

#[test]
fn malformed_action_patterns_are_refused() {
    for bad in [
        "",
        " sql:read",
        "sql:read ",
        "sql",
        "SQL:read",
        ":read",
        "sql:",
        "sql::read",
        "sql:re?d",
        "sql:[rw]",
        "sql:**",
        "sql:read\n",
        "sql:\tread",
    ] {
        assert!(ActionPattern::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn malformed_connection_patterns_are_refused() {
    for bad in ["", "pg prod", "pg:prod", "pg/prod", "pg-?", "**"] {
        assert!(
            ConnectionPattern::parse(bad).is_err(),
            "{bad:?} was accepted"
        );
    }
}

/// Every text over `a`, `b` and `:` up to `len` bytes.
fn texts(len: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..len {
        last = last
            .iter()
            .flat_map(|t| ["a", "b", ":"].map(|c| format!("{t}{c}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

#[test]
fn a_pattern_without_a_star_matches_as_the_segment_matcher_does() {
    let names = texts(5);
    let patterns: Vec<ActionPattern> = names
        .iter()
        .filter_map(|p| ActionPattern::parse(p).ok())
        .collect();
    assert!(patterns.len() > 20, "{}", patterns.len());
    for pattern in &patterns {
        assert!(pattern.exact, "{pattern}");
        for name in &names {
            assert_eq!(
                pattern.matches(name),
                segment_match(pattern.as_str().as_bytes(), name.as_bytes()),
                "{pattern} against {name:?}"
            );
        }
    }
}
