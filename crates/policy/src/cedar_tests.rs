use super::request::RequestBuilder;
use super::*;
use chrono::TimeZone;
use std::net::SocketAddr;
use warden_core::{Action, AuthMethod, ConnectionKind, Identity, IdentityKind};

const CONFIG: &str = r#"
[gateway]
data_dir = "/nonexistent"

[connections.pg-prod]
kind = "postgres"
upstream = "127.0.0.1:15432"
tags = { env = "prod", "cost-center" = "42" }

[connections.bare]
kind = "ssh"
upstream = "127.0.0.1:2222"
"#;

fn identity(groups: &[&str]) -> Identity {
    Identity {
        subject: "agent \"7\"::x".into(),
        kind: IdentityKind::Machine,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        scopes: vec!["read".into(), "write".into()],
        issuer: "warden".into(),
        auth_method: AuthMethod::ApiKey,
        expires_at: None,
    }
}

#[test]
fn the_built_in_schema_loads() {
    schema().unwrap();
}

#[test]
fn requests_conform_to_the_schema() {
    let config: Config = toml::from_str(CONFIG).unwrap();
    let builder = RequestBuilder::new(&config).unwrap();
    let schema = schema().unwrap();
    let now = Utc.with_ymd_and_hms(2025, 3, 9, 23, 59, 0).unwrap();
    let action = Action::named("sql:read").with_tables(["public.orders", "public.orders"]);
    let v4: SocketAddr = "10.1.2.3:5000".parse().unwrap();
    let mapped: SocketAddr = "[::ffff:10.1.2.3]:5000".parse().unwrap();
    let v6: SocketAddr = "[2001:db8::1]:5000".parse().unwrap();
    for (connection, groups, addr) in [
        ("pg-prod", vec!["dba", "dba", "ops"], Some(v4)),
        ("bare", vec![], None),
        ("pg-prod", vec!["x"], Some(mapped)),
        ("bare", vec![], Some(v6)),
    ] {
        let identity = identity(&groups);
        let req = DecisionRequest {
            identity: &identity,
            connection,
            kind: ConnectionKind::Postgres,
            action: &action,
            client_addr: addr,
            granted_roles: &[],
        };
        let built = builder.build(&req, now, Some(&schema));
        assert!(built.is_ok(), "{connection} {addr:?}: {:?}", built.err());
    }
}

#[test]
fn an_undefined_connection_is_an_error_not_a_guess() {
    let config: Config = toml::from_str(CONFIG).unwrap();
    let builder = RequestBuilder::new(&config).unwrap();
    let identity = identity(&[]);
    let action = Action::named("sql:read");
    let req = DecisionRequest {
        identity: &identity,
        connection: "nope",
        kind: ConnectionKind::Postgres,
        action: &action,
        client_addr: None,
        granted_roles: &[],
    };
    assert!(builder.build(&req, Utc::now(), None).is_err());
}
