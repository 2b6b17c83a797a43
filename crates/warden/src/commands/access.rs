//! `warden access request` and `warden grants list|revoke`, through the admin API.

use crate::cli::{AccessCommand, GrantsCommand};
use crate::client::AdminClient;
use serde_json::json;
use std::process::ExitCode;

/// Runs `warden access …`.
pub async fn run_access(command: AccessCommand) -> anyhow::Result<ExitCode> {
    let AccessCommand::Request {
        server,
        connection,
        role,
        duration,
        reason,
    } = command;
    let client = AdminClient::from_args(&server)?;
    let review = client
        .post(
            "/v1/access-requests",
            &json!({ "connection": connection, "role": role, "for": duration, "reason": reason }),
        )
        .await?;
    let id = review["id"].as_str().unwrap_or("?");
    println!(
        "access review {id} is pending: {} approver(s) from {} must approve (warden review approve {id})",
        review["rules"]["quorum"], review["rules"]["approver_groups"]
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `warden grants …`.
pub async fn run_grants(command: GrantsCommand) -> anyhow::Result<ExitCode> {
    match command {
        GrantsCommand::List {
            server,
            identity,
            all,
        } => {
            let client = AdminClient::from_args(&server)?;
            let mut path = format!("/v1/grants?active={}", !all);
            if let Some(identity) = identity {
                path.push_str(&format!("&identity={identity}"));
            }
            for grant in client.get(&path).await?.as_array().into_iter().flatten() {
                println!(
                    "{}  {} has {} on {} until {}{}",
                    grant["id"].as_str().unwrap_or("?"),
                    grant["identity"].as_str().unwrap_or("?"),
                    grant["role"].as_str().unwrap_or("?"),
                    grant["connection"].as_str().unwrap_or("?"),
                    grant["expires_at"].as_str().unwrap_or("?"),
                    grant["revoked_at"]
                        .as_str()
                        .map(|at| format!(" (revoked {at})"))
                        .unwrap_or_default()
                );
            }
        }
        GrantsCommand::Revoke { server, id } => {
            let client = AdminClient::from_args(&server)?;
            let grant = client
                .post(&format!("/v1/grants/{id}/revoke"), &json!({}))
                .await?;
            println!(
                "revoked {}: {} no longer has {} on {}",
                grant["id"].as_str().unwrap_or("?"),
                grant["identity"].as_str().unwrap_or("?"),
                grant["role"].as_str().unwrap_or("?"),
                grant["connection"].as_str().unwrap_or("?")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
