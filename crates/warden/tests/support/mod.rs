//! Helpers both test harnesses (PostgreSQL and HTTP) use on a built gateway.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use warden_app::wiring::Gateway;

/// A new API key named `name` in `groups`.
pub async fn api_key(gateway: &Gateway, name: &str, groups: &[&str]) -> String {
    let (_, key) = warden_identity::create_api_key(
        gateway.store.as_ref(),
        name,
        groups.iter().map(|g| (*g).to_owned()).collect(),
        vec![],
        None,
    )
    .await
    .unwrap();
    key.expose().clone()
}

/// The identity behind an API key, as the gateway sees it.
pub async fn identity(gateway: &Gateway, dir: &Path, key: &str) -> warden_core::Identity {
    let authenticator = warden_identity::Authenticator::new(
        &warden_config::IdentityConfig::default(),
        dir,
        gateway.store.clone(),
    )
    .unwrap();
    use warden_core::pipeline::Authenticate;
    authenticator
        .authenticate(&warden_core::Secret::new(key.to_owned()))
        .await
        .unwrap()
}

/// Audit events matching a filter, as JSON (grouped events are stored first).
pub async fn audit_events(
    gateway: &Gateway,
    filter: warden_store::AuditFilter,
) -> Vec<serde_json::Value> {
    gateway.audit.flush().await.unwrap();
    warden_store::audit::search(gateway.store.as_ref(), &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

/// Runs the `warden` binary with `args` and `--config config`: (success, stdout, stderr).
pub fn warden_cli(config: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
