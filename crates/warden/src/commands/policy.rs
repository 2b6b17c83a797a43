//! `warden policy check`: may X do Y on Z, and why?

use crate::cli::{PolicyCommand, PolicyQuery};
use crate::state;
use std::net::SocketAddr;
use std::process::ExitCode;
use warden_core::pipeline::DecisionRequest;
use warden_core::{Action, AuthMethod, Identity, IdentityKind};
use warden_policy::PolicyEngine;

/// Prints the verdict, the deciding rule and every matching rule; exit 0 allow, 1 deny, 2 review.
pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let PolicyCommand::Check(query) = command;
    let config = state::load_config(&query.config.config)?;
    let engine = PolicyEngine::from_config(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let explanation = explain(&engine, &config, &query);
    if query.json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        let decision = &explanation.decision;
        println!("verdict: {}", decision.verdict);
        println!("rule:    {}", decision.rule);
        println!("reason:  {}", decision.reason);
        if let Some(policy) = &decision.review_policy {
            println!("review:  {policy}");
        }
        if let Some(profile) = &decision.mask_profile {
            println!("mask:    {profile}");
        }
        if explanation.roles.is_empty() {
            println!("roles:   none bind this identity to {}", query.connection);
        } else {
            println!("roles:   {}", explanation.roles.join(", "));
        }
        for matched in &explanation.matches {
            println!(
                "  matched {} -> {} ({})",
                matched.rule, matched.verdict, matched.reason
            );
        }
    }
    Ok(ExitCode::from(explanation.exit_code() as u8))
}

fn explain(
    engine: &PolicyEngine,
    config: &warden_config::Config,
    query: &PolicyQuery,
) -> warden_policy::Explanation {
    let identity = Identity {
        subject: query.subject.clone(),
        kind: if query.machine {
            IdentityKind::Machine
        } else {
            IdentityKind::Human
        },
        groups: query.groups.clone(),
        scopes: query.scopes.clone(),
        issuer: "warden policy check".into(),
        auth_method: AuthMethod::ApiKey,
        expires_at: None,
    };
    let action = Action::named(&query.action).with_tables(query.tables.iter().cloned());
    let kind = config
        .connections
        .get(&query.connection)
        .map_or(warden_core::ConnectionKind::Postgres, |c| c.kind);
    let request = DecisionRequest {
        identity: &identity,
        connection: &query.connection,
        kind,
        action: &action,
        client_addr: query.source_ip.map(|ip| SocketAddr::new(ip, 0)),
        granted_roles: &[],
    };
    engine.explain(&request)
}
