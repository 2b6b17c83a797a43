//! Cedar files that must be refused at load, with errors naming the file, policy and line.

// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use warden_policy::{CedarProblem, PolicyEngine, PolicyError};

/// Loads `text` as `rules.cedar`; returns the error's file, problems and message.
fn refuse(text: &str) -> (String, Vec<CedarProblem>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.cedar"), text).unwrap();
    let config = common::config(
        r#"[policy]
cedar = ["rules.cedar"]"#,
        dir.path(),
    );
    match PolicyEngine::from_config(&config) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error @ PolicyError::InvalidCedar { .. }) => {
            let message = error.to_string();
            let PolicyError::InvalidCedar { file, problems } = error else {
                unreachable!()
            };
            (file.display().to_string(), problems, message)
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn an_unknown_attribute_fails_schema_validation() {
    let (file, problems, message) = refuse(
        r#"@id("fine")
permit (principal, action, resource) when { context.hour < 8 };

@id("prod-typo")
forbid (principal, action, resource)
when { resource.environment == "prod" };
"#,
    );
    assert_eq!(file, "rules.cedar");
    assert_eq!(problems.len(), 1, "{message}");
    let problem = &problems[0];
    assert_eq!(problem.policy.as_deref(), Some("prod-typo"));
    assert_eq!(problem.line, Some(6));
    assert!(
        problem.message.contains("environment"),
        "{}",
        problem.message
    );
    assert!(
        message.contains("rules.cedar:6: policy \"prod-typo\""),
        "{message}"
    );
}

#[test]
fn wrong_types_and_unknown_entity_types_fail_validation() {
    let (_, problems, message) = refuse(
        r#"@id("hour-as-text")
forbid (principal, action, resource) when { context.hour == "9" && context.tables.contains(1) };

@id("unknown-type")
permit (principal in Warden::Team::"x", action, resource);

@id("unguarded-tag")
forbid (principal, action, resource) when { resource.getTag("env") == "prod" };
"#,
    );
    let ids: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.policy.as_deref())
        .collect();
    for id in ["hour-as-text", "unknown-type", "unguarded-tag"] {
        assert!(ids.contains(&id), "{id} not reported: {message}");
    }
}

#[test]
fn ids_are_required_and_unique() {
    let (_, problems, message) = refuse(
        r#"@id("one")
permit (principal, action, resource) when { context.hour < 8 };

permit (principal, action, resource) when { context.hour > 20 };

@id("one")
forbid (principal, action, resource) when { context.hour == 3 };
"#,
    );
    assert_eq!(problems.len(), 2, "{message}");
    assert_eq!(problems[0].policy, None);
    assert_eq!(problems[0].line, Some(4));
    assert!(problems[0].message.contains("@id"), "{message}");
    assert_eq!(problems[1].policy.as_deref(), Some("one"));
    assert_eq!(problems[1].line, Some(6));
    assert!(problems[1].message.contains("already used"), "{message}");
}

#[test]
fn annotations_are_checked() {
    let cases = [
        (
            r#"@id("a") @verdict("review") forbid (principal, action, resource);"#,
            "forbid",
        ),
        (
            r#"@id("a") @verdict("maybe") permit (principal, action, resource);"#,
            "maybe",
        ),
        (
            r#"@id("a") @verdict("review") @review_policy("nobody") permit (principal, action, resource);"#,
            "nobody",
        ),
        (
            r#"@id("a") @review_policy("dba-approval") permit (principal, action, resource);"#,
            "@review_policy only applies",
        ),
        (
            r#"@id("a") @mask("nope") permit (principal, action, resource);"#,
            "nope",
        ),
    ];
    for (text, expected) in cases {
        let (_, problems, message) = refuse(text);
        assert_eq!(problems.len(), 1, "{message}");
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn syntax_errors_name_the_line() {
    let (_, problems, message) = refuse(
        r#"@id("ok")
permit (principal, action, resource);

@id("broken")
forbid (principal, action, resource) when { context.hour < };
"#,
    );
    assert!(!problems.is_empty());
    assert_eq!(problems[0].line, Some(5), "{message}");
}

#[test]
fn templates_are_refused() {
    let (_, problems, message) =
        refuse(r#"@id("t") permit (principal == ?principal, action, resource);"#);
    assert_eq!(problems.len(), 1, "{message}");
    assert!(message.contains("templates"), "{message}");
}
