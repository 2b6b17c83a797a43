use super::ClaimRules;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::time::Duration;
use warden_config::MachineRule;
use warden_core::{AuthMethod, IdentityKind};

const NOW: i64 = 1_800_000_000;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap()
}

fn rules() -> ClaimRules {
    ClaimRules {
        provider: "corp".into(),
        issuer: "https://idp.example".into(),
        audience: vec!["warden".into(), "api://warden".into()],
        leeway: Duration::from_secs(30),
        subject_claim: "sub".into(),
        groups_claim: "groups".into(),
        scopes_claim: "scope".into(),
        machine: Some(MachineRule {
            claim: "client_type".into(),
            equals: Some("agent".into()),
        }),
    }
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut base = json!({
        "iss": "https://idp.example",
        "sub": "alice",
        "aud": "warden",
        "exp": NOW + 300,
    });
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    match base {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

fn code(extra: Value) -> &'static str {
    rules().identity(&claims(extra), now()).unwrap_err().code()
}

#[test]
fn maps_a_human_with_array_groups_and_string_scopes() {
    let identity = rules()
        .identity(
            &claims(json!({"groups": ["dba", "eng"], "scope": "db:read  db:write"})),
            now(),
        )
        .unwrap();
    assert_eq!(identity.subject, "alice");
    assert_eq!(identity.kind, IdentityKind::Human);
    assert_eq!(identity.groups, ["dba", "eng"]);
    assert_eq!(identity.scopes, ["db:read", "db:write"]);
    assert_eq!(identity.issuer, "https://idp.example");
    assert_eq!(identity.auth_method, AuthMethod::Jwt);
    assert_eq!(identity.expires_at.unwrap().timestamp(), NOW + 300);
}

#[test]
fn machine_rule_marks_agents_and_nested_claims_resolve() {
    let mut rules = rules();
    rules.groups_claim = "realm_access.roles".into();
    let identity = rules
        .identity(
            &claims(json!({"client_type": "agent", "realm_access": {"roles": ["bots"]}})),
            now(),
        )
        .unwrap();
    assert_eq!(identity.kind, IdentityKind::Machine);
    assert_eq!(identity.groups, ["bots"]);

    let other = rules
        .identity(&claims(json!({"client_type": "person"})), now())
        .unwrap();
    assert_eq!(other.kind, IdentityKind::Human);
}

#[test]
fn machine_rule_without_value_matches_presence() {
    let mut rules = rules();
    rules.machine = Some(MachineRule {
        claim: "azp".into(),
        equals: None,
    });
    let identity = rules
        .identity(&claims(json!({"azp": "ci"})), now())
        .unwrap();
    assert_eq!(identity.kind, IdentityKind::Machine);
}

#[test]
fn any_configured_audience_in_an_array_is_enough() {
    let identity = rules()
        .identity(&claims(json!({"aud": ["other", "api://warden"]})), now())
        .unwrap();
    assert_eq!(identity.subject, "alice");
}

#[test]
fn wrong_audience_names_it_and_the_provider() {
    let error = rules()
        .identity(&claims(json!({"aud": "api://other"})), now())
        .unwrap_err();
    assert_eq!(error.code(), "wrong_audience");
    assert_eq!(
        error.to_string(),
        "audience api://other is not accepted by provider corp; accepted: warden, api://warden"
    );
}

#[test]
fn expiry_honours_leeway() {
    assert_eq!(code(json!({"exp": NOW - 31})), "token_expired");
    assert_eq!(code(json!({"exp": NOW - 30})), "token_expired");
    assert!(
        rules()
            .identity(&claims(json!({"exp": NOW - 29})), now())
            .is_ok()
    );
    let error = rules()
        .identity(&claims(json!({"exp": NOW - 100})), now())
        .unwrap_err();
    assert!(
        error.to_string().starts_with("token expired at 2027-01-15"),
        "{error}"
    );
}

#[test]
fn not_before_honours_leeway() {
    assert_eq!(code(json!({"nbf": NOW + 31})), "token_not_yet_valid");
    assert!(
        rules()
            .identity(&claims(json!({"nbf": NOW + 30})), now())
            .is_ok()
    );
}

#[test]
fn required_claims() {
    let mut no_exp = claims(json!({}));
    no_exp.remove("exp");
    let error = rules().identity(&no_exp, now()).unwrap_err();
    assert_eq!(error.code(), "missing_claim");
    assert!(error.to_string().contains("exp"));

    assert_eq!(code(json!({"exp": "tomorrow"})), "missing_claim");
    assert_eq!(code(json!({"aud": []})), "missing_claim");
    assert_eq!(code(json!({"sub": ""})), "missing_claim");
    assert_eq!(code(json!({"iss": "https://evil.example"})), "wrong_issuer");
}
