//! Opening what a command needs from the config: store, audit log, pipeline phases.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use warden_config::{Config, StoreConfig};
use warden_store::{AuditLog, DynStore};

/// The data dir, resolved against the config file's directory.
pub fn data_dir(config: &Config) -> PathBuf {
    config.base_dir.join(&config.gateway.data_dir)
}

/// The recording store's settings: the defaults, stored as `[gateway.recordings]` says.
pub fn recording_limits(config: &Config) -> warden_record::RecordingLimits {
    let compression = match config.gateway.recordings.compression {
        warden_config::RecordingCompression::Zstd => warden_record::Compression::Zstd,
        warden_config::RecordingCompression::None => warden_record::Compression::None,
    };
    warden_record::RecordingLimits {
        compression,
        ..warden_record::RecordingLimits::default()
    }
}

/// This node's name: the configured one, or the host name.
pub fn node_name(config: &Config) -> String {
    config.gateway.node.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node-1".into())
    })
}

/// Loads and validates the config file.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    warden_config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Opens the configured store (SQLite in the data dir, or PostgreSQL), applying migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<DynStore> {
    let dir = data_dir(config);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    Ok(match &config.gateway.store {
        StoreConfig::Sqlite => Arc::new(warden_store::open_sqlite(&dir).await?),
        StoreConfig::Postgres { url } => {
            let url = warden_identity::resolve_secret(url, &config.base_dir)?;
            Arc::new(warden_store::open_postgres(url.expose()).await?)
        }
    })
}

/// Who writes to an audit chain: each writer process needs a chain of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// The gateway process: the chain named after the node.
    Gateway,
    /// An administrative CLI command run beside a gateway: the chain `<node>-cli`.
    Cli,
}

/// Opens the audit chain of `writer` on this node with the signing key from the data dir.
pub async fn open_audit(
    config: &Config,
    store: DynStore,
    writer: Writer,
) -> anyhow::Result<Arc<AuditLog>> {
    let key = warden_store::audit::load_or_create_signing_key(&data_dir(config))?;
    let node = match writer {
        Writer::Gateway => node_name(config),
        Writer::Cli => format!("{}-cli", node_name(config)),
    };
    let log = AuditLog::open(store, node, key, config.gateway.audit.checkpoint_every).await?;
    Ok(Arc::new(log))
}
