//! Shared fixtures: a config parsed from TOML, identities, and a one-line decision helper.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use std::net::SocketAddr;
use std::path::Path;
use warden_config::Config;
use warden_core::pipeline::DecisionRequest;
use warden_core::{Action, AuthMethod, ConnectionKind, Decision, Identity, IdentityKind};
use warden_policy::PolicyEngine;

/// Connections, review policies and masking profiles every scenario shares.
pub const BASE: &str = r#"
[gateway]
data_dir = "/nonexistent/warden-policy-tests"

[connections.pg-prod]
kind = "postgres"
upstream = "127.0.0.1:15432"
tags = { env = "prod", team = "payments" }

[connections.pg-staging]
kind = "postgres"
upstream = "127.0.0.1:15433"
tags = { env = "staging" }

[connections.openai]
kind = "http"
upstream = "https://api.openai.example"

[connections.autogen]
kind = "http"
upstream = "http://127.0.0.1:18080"

[review_policies.dba-approval]
approvers = ["dba"]

[masking.profiles.pii]
detectors = ["email"]

[masking.profiles.strict]
detectors = ["email", "card"]
"#;

/// `BASE` plus `extra`, parsed, with `base_dir` set.
pub fn config(extra: &str, base_dir: &Path) -> Config {
    let mut config: Config = toml::from_str(&format!("{BASE}\n{extra}")).unwrap();
    config.base_dir = base_dir.to_path_buf();
    config
}

/// An engine over `BASE` plus `extra`.
pub fn engine(extra: &str) -> PolicyEngine {
    PolicyEngine::from_config(&config(extra, Path::new("/nonexistent"))).unwrap()
}

/// A person logged in through OIDC.
pub fn human(subject: &str, groups: &[&str], scopes: &[&str]) -> Identity {
    Identity {
        subject: subject.into(),
        kind: IdentityKind::Human,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        issuer: "https://idp.example".into(),
        auth_method: AuthMethod::Jwt,
        expires_at: None,
    }
}

/// An agent or CI job.
pub fn machine(subject: &str, groups: &[&str], scopes: &[&str]) -> Identity {
    Identity {
        kind: IdentityKind::Machine,
        ..human(subject, groups, scopes)
    }
}

/// Wednesday 2025-03-05 14:00 UTC.
pub fn afternoon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 5, 14, 0, 0).unwrap()
}

/// One request to decide.
pub struct Ask<'a> {
    pub identity: &'a Identity,
    pub connection: &'a str,
    pub action: Action,
    pub client_addr: Option<SocketAddr>,
}

impl<'a> Ask<'a> {
    pub fn new(identity: &'a Identity, connection: &'a str, action: &str) -> Self {
        Ask {
            identity,
            connection,
            action: Action::named(action),
            client_addr: None,
        }
    }

    pub fn tables(mut self, tables: &[&str]) -> Self {
        self.action = self.action.with_tables(tables.iter().copied());
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Self {
        self.client_addr = Some(SocketAddr::new(ip.parse().unwrap(), 40000));
        self
    }

    pub fn request(&self) -> DecisionRequest<'_> {
        DecisionRequest {
            identity: self.identity,
            connection: self.connection,
            kind: ConnectionKind::Postgres,
            action: &self.action,
            client_addr: self.client_addr,
            granted_roles: &[],
        }
    }

    pub fn decide(&self, engine: &PolicyEngine) -> Decision {
        engine.decide_at(&self.request(), afternoon())
    }
}
