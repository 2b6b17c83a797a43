//! `warden keys create|list|revoke`.

use crate::cli::KeysCommand;
use crate::state;
use std::process::ExitCode;
use warden_core::{AuditKind, AuditRecord};

/// Manages API keys directly in the configured store; every change is audited.
pub async fn run(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Create {
            config,
            name,
            groups,
            scopes,
            expires,
        } => {
            let config = state::load_config(&config.config)?;
            let store = state::open_store(&config).await?;
            let audit = state::open_audit(&config, store.clone(), state::Writer::Cli).await?;
            let expires_at = expires
                .map(|d| chrono::Duration::from_std(*d))
                .transpose()?
                .map(|d| chrono::Utc::now() + d);
            let (record, key) =
                warden_identity::create_api_key(store.as_ref(), &name, groups, scopes, expires_at)
                    .await?;
            audit
                .record(
                    AuditRecord {
                        identity: Some(record.name.clone()),
                        ..AuditRecord::new(AuditKind::KeyCreated)
                    }
                    .with_detail(serde_json::json!({
                        "key_id": record.id,
                        "groups": record.groups,
                        "scopes": record.scopes,
                        "expires_at": record.expires_at,
                    })),
                )
                .await?;
            audit.checkpoint().await?;
            eprintln!(
                "created API key {} for {} (groups: {}; scopes: {}; expires: {})",
                record.id,
                record.name,
                record.groups.join(","),
                record.scopes.join(","),
                record.expires_at.map_or("never".into(), |t| t.to_rfc3339())
            );
            eprintln!("store it now: it is shown once and cannot be recovered");
            println!("{}", key.expose());
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::List { config } => {
            let config = state::load_config(&config.config)?;
            let store = state::open_store(&config).await?;
            let now = chrono::Utc::now();
            println!(
                "{:<18} {:<24} {:<24} {:<10} {:<25}",
                "ID", "NAME", "GROUPS", "STATE", "EXPIRES"
            );
            for key in warden_identity::list_api_keys(store.as_ref()).await? {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else if key.expires_at.is_some_and(|t| t <= now) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:<18} {:<24} {:<24} {:<10} {:<25}",
                    key.id,
                    key.name,
                    key.groups.join(","),
                    state,
                    key.expires_at.map_or("never".into(), |t| t.to_rfc3339())
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Revoke { config, key } => {
            let config = state::load_config(&config.config)?;
            let store = state::open_store(&config).await?;
            let audit = state::open_audit(&config, store.clone(), state::Writer::Cli).await?;
            let revoked = warden_identity::revoke_api_key(store.as_ref(), &key).await?;
            audit
                .record(
                    AuditRecord {
                        identity: Some(revoked.name.clone()),
                        ..AuditRecord::new(AuditKind::KeyRevoked)
                    }
                    .with_detail(serde_json::json!({ "key_id": revoked.id })),
                )
                .await?;
            audit.checkpoint().await?;
            println!("revoked API key {} of {}", revoked.id, revoked.name);
            Ok(ExitCode::SUCCESS)
        }
    }
}
