#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Column rules: which columns are masked whole, matched by name, table and schema.

use warden_mask::{
    ColumnMatcher, ColumnPlan, ColumnRef, ColumnRule, MaskError, MaskProfile, MaskStrategy,
    MaskedValue, Masker,
};

fn rule(pattern: &str, strategy: MaskStrategy) -> ColumnRule {
    ColumnRule {
        pattern: pattern.into(),
        strategy,
    }
}

fn matcher(patterns: &[&str]) -> ColumnMatcher {
    let rules: Vec<ColumnRule> = patterns
        .iter()
        .map(|p| rule(p, MaskStrategy::Redact))
        .collect();
    ColumnMatcher::new(&rules).unwrap()
}

#[test]
fn qualified_patterns_match_their_parts() {
    let m = matcher(&["public.users.email"]);
    assert_eq!(
        m.position(ColumnRef::qualified("public", "users", "email")),
        Some(0)
    );
    assert_eq!(
        m.position(ColumnRef::qualified("PUBLIC", "Users", "EMAIL")),
        Some(0)
    );
    assert_eq!(
        m.position(ColumnRef::qualified("audit", "users", "email")),
        None
    );
    assert_eq!(
        m.position(ColumnRef::qualified("public", "orders", "email")),
        None
    );
    assert_eq!(
        m.position(ColumnRef::qualified("public", "users", "name")),
        None
    );

    let m = matcher(&["users.ssn"]);
    assert_eq!(
        m.position(ColumnRef::qualified("any", "users", "ssn")),
        Some(0)
    );
    assert_eq!(m.position(ColumnRef::table("users", "ssn")), Some(0));
    assert_eq!(m.position(ColumnRef::table("orders", "ssn")), None);
}

#[test]
fn globs_match_column_names() {
    let m = matcher(&[
        "*.password",
        "*ssn*",
        "card_?",
        "api_*",
        "*_token",
        "t*.s*t",
    ]);
    assert_eq!(m.position(ColumnRef::table("users", "password")), Some(0));
    assert_eq!(m.position(ColumnRef::name("Password")), Some(0));
    assert_eq!(m.position(ColumnRef::name("password_hash")), None);
    assert_eq!(m.position(ColumnRef::name("customer_ssn_last4")), Some(1));
    assert_eq!(m.position(ColumnRef::name("SSN")), Some(1));
    assert_eq!(m.position(ColumnRef::name("card_1")), Some(2));
    assert_eq!(m.position(ColumnRef::name("card_12")), None);
    assert_eq!(m.position(ColumnRef::name("API_KEY")), Some(3));
    assert_eq!(m.position(ColumnRef::name("refresh_token")), Some(4));
    assert_eq!(m.position(ColumnRef::table("tickets", "secret")), Some(5));
    assert_eq!(m.position(ColumnRef::table("orders", "secret")), None);
    assert_eq!(m.position(ColumnRef::name("email")), None);
}

#[test]
fn unknown_qualifiers_err_towards_masking() {
    let m = matcher(&["public.users.email"]);
    assert_eq!(m.position(ColumnRef::name("email")), Some(0));
    assert_eq!(m.position(ColumnRef::table("users", "email")), Some(0));
    assert_eq!(m.position(ColumnRef::name("name")), None);
}

#[test]
fn the_first_matching_rule_wins() {
    let rules = [
        rule("users.email", MaskStrategy::Partial { keep: 4 }),
        rule("*.email", MaskStrategy::Null),
    ];
    let m = ColumnMatcher::new(&rules).unwrap();
    assert_eq!(
        m.strategy_for(ColumnRef::table("users", "email")),
        Some(&MaskStrategy::Partial { keep: 4 })
    );
    assert_eq!(
        m.strategy_for(ColumnRef::table("orders", "email")),
        Some(&MaskStrategy::Null)
    );
}

#[test]
fn bad_patterns_are_refused() {
    for bad in ["", "a..b", ".email", "a.b.c.d", "users."] {
        let err = ColumnMatcher::new(&[rule(bad, MaskStrategy::Redact)]).unwrap_err();
        assert!(
            matches!(err, MaskError::ColumnPattern { .. }),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn column_rules_come_before_detectors() {
    let profile = MaskProfile {
        detectors: vec!["email".into(), "card".into()],
        strategy: MaskStrategy::Redact,
        columns: vec![
            rule("*.password", MaskStrategy::Redact),
            rule("users.email", MaskStrategy::Hash),
            rule("*.deleted_reason", MaskStrategy::Null),
            rule("*.card", MaskStrategy::Partial { keep: 4 }),
        ],
    };
    let m = Masker::new(&profile, b"secret").unwrap();
    let users = |c| ColumnRef::qualified("public", "users", c);
    assert_eq!(
        m.mask_value(users("password"), b"hunter2"),
        MaskedValue::Replaced(b"[redacted]".to_vec())
    );
    let MaskedValue::Replaced(h) = m.mask_value(users("email"), b"a@example.com") else {
        panic!("hashed");
    };
    assert!(h.starts_with(b"h_") && h.len() == 18);
    assert_eq!(
        m.mask_value(users("email"), b"a@example.com"),
        MaskedValue::Replaced(h)
    );
    assert_eq!(
        m.mask_value(users("deleted_reason"), b"x"),
        MaskedValue::Null
    );
    assert_eq!(
        m.mask_value(users("card"), b"4111 1111 1111 1111"),
        MaskedValue::Replaced(b"**** **** **** 1111".to_vec())
    );
    // Not covered by a rule: the detectors decide.
    assert_eq!(
        m.mask_value(users("notes"), b"mail b@example.com"),
        MaskedValue::Replaced(b"mail [redacted:email]".to_vec())
    );
    assert_eq!(
        m.mask_value(users("notes"), b"nothing"),
        MaskedValue::Unchanged
    );
    assert_eq!(m.plan(users("password")), ColumnPlan::Rule(0));
    assert_eq!(m.plan(users("notes")), ColumnPlan::Detect);
}

#[test]
fn without_detectors_unmatched_columns_pass() {
    let profile = MaskProfile {
        detectors: Vec::new(),
        strategy: MaskStrategy::Redact,
        columns: vec![rule("*.ssn", MaskStrategy::Redact)],
    };
    let m = Masker::new(&profile, b"").unwrap();
    assert_eq!(m.plan(ColumnRef::name("notes")), ColumnPlan::Pass);
    assert_eq!(
        m.mask_value(ColumnRef::name("notes"), b"a@example.com"),
        MaskedValue::Unchanged
    );
    assert_eq!(m.mask_text("a@example.com"), "a@example.com");
}
