//! `warden review list|show|approve|deny`, through the admin API.

use crate::cli::ReviewCommand;
use crate::client::AdminClient;
use serde_json::{Value, json};
use std::process::ExitCode;

/// Runs a review command.
pub async fn run(command: ReviewCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReviewCommand::List {
            server,
            state,
            json,
        } => {
            let client = AdminClient::from_args(&server)?;
            let path = match state {
                Some(state) => format!("/v1/reviews?state={state}"),
                None => "/v1/reviews".into(),
            };
            let reviews = client.get(&path).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&reviews)?);
            } else {
                for review in reviews.as_array().into_iter().flatten() {
                    println!("{}", summary(review));
                }
            }
        }
        ReviewCommand::Show { server, id } => {
            let client = AdminClient::from_args(&server)?;
            let review = client.get(&format!("/v1/reviews/{id}")).await?;
            println!("{}", details(&review));
        }
        ReviewCommand::Approve {
            server,
            id,
            comment,
        } => vote(&server, &id, "approve", comment).await?,
        ReviewCommand::Deny {
            server,
            id,
            comment,
        } => vote(&server, &id, "deny", comment).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Posts an approve or deny vote and prints the review after it.
async fn vote(
    server: &crate::cli::ServerArgs,
    id: &str,
    verb: &str,
    comment: Option<String>,
) -> anyhow::Result<()> {
    let client = AdminClient::from_args(server)?;
    let review = client
        .post(
            &format!("/v1/reviews/{id}/{verb}"),
            &json!({ "comment": comment }),
        )
        .await?;
    println!("{}", summary(&review));
    Ok(())
}

/// One line: id, state, approvals, requester, connection, action.
pub fn summary(review: &Value) -> String {
    let approvals = review["votes"]
        .as_array()
        .map_or(0, |v| v.iter().filter(|v| v["approve"] == true).count());
    format!(
        "{}  {:<8}  {}/{}  {} on {}: {}",
        review["id"].as_str().unwrap_or("?"),
        review["state"].as_str().unwrap_or("?"),
        approvals,
        review["rules"]["quorum"],
        review["requester"].as_str().unwrap_or("?"),
        review["connection"].as_str().unwrap_or("?"),
        review["action"].as_str().unwrap_or("?"),
    )
}

fn details(review: &Value) -> String {
    let mut out = summary(review);
    let field = |name: &str| review[name].as_str().unwrap_or("").to_owned();
    out.push_str(&format!(
        "\npolicy: {} (approvers: {})\ndeadline: {}\njustification: {}\npayload sha256: {}\n",
        review["rules"]["policy"].as_str().unwrap_or("?"),
        review["rules"]["approver_groups"],
        review["rules"]["deadline"].as_str().unwrap_or("?"),
        review["justification"].as_str().unwrap_or("-"),
        field("payload_hash"),
    ));
    if let Some(grant) = review["grant"].as_object() {
        out.push_str(&format!(
            "access: role {} for {} s\n",
            grant.get("role").and_then(Value::as_str).unwrap_or("?"),
            grant.get("duration_secs").unwrap_or(&Value::Null)
        ));
    } else {
        out.push_str(&format!("payload:\n{}\n", field("payload")));
    }
    for vote in review["votes"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "vote: {} {} at {}{}\n",
            vote["approver"].as_str().unwrap_or("?"),
            if vote["approve"] == true {
                "approved"
            } else {
                "denied"
            },
            vote["at"].as_str().unwrap_or("?"),
            vote["comment"]
                .as_str()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        ));
    }
    out
}
