//! `warden login`: saves the admin API address, CA and a token read from stdin.

use crate::cli::LoginArgs;
use crate::client::{AdminClient, LoginFile};
use anyhow::Context;
use std::io::BufRead;
use std::process::ExitCode;
use warden_core::Secret;

/// Reads the token from stdin (so it never shows in the process list), checks it against the
/// server, and saves the login.
pub async fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    eprintln!("token (JWT or API key), then Enter:");
    let mut token = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut token)
        .context("reading the token from stdin")?;
    let token = token.trim().to_owned();
    anyhow::ensure!(!token.is_empty(), "no token given");
    let ca = args.ca.map(|p| std::path::absolute(&p).unwrap_or(p));
    let client = AdminClient::new(&args.server, Secret::new(token.clone()), ca.clone())?;
    let me = client.get("/v1/whoami").await?;
    let path = LoginFile {
        server: Some(args.server),
        ca,
        token: Some(token),
    }
    .save()?;
    println!(
        "logged in as {} (roles: {}); saved to {}",
        me["subject"].as_str().unwrap_or("?"),
        me["roles"]
            .as_array()
            .map(|r| r
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "none".into()),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
