//! The cluster store: a PostgreSQL database shared by every gateway node.

use crate::{StoreError, backend::impl_store};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// How long opening the store, or waiting for a pooled connection, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per gateway node.
const MAX_CONNECTIONS: u32 = 16;

/// [`Store`](crate::Store) on PostgreSQL through a bounded connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

/// Connects to `url` (`postgres://user:password@host:port/database`) and applies migrations.
/// Errors never repeat the URL, which may hold a password.
pub async fn open_postgres(url: &str) -> Result<PgStore, StoreError> {
    let unavailable = |message: String| StoreError::unavailable("postgres", message);
    let options = PgConnectOptions::from_str(url).map_err(|_| {
        unavailable(
            "the store url is not a valid postgres url (postgres://user:password@host:port/database)"
                .to_owned(),
        )
    })?;
    let options = options.application_name("warden");
    let target = describe_target(&options);
    let failed = |e: sqlx::Error| match StoreError::from_sqlx("postgres", e, String::new) {
        StoreError::Unavailable { message, .. } => {
            unavailable(format!("cannot connect to {target}: {message}"))
        }
        _ => unavailable(format!("cannot connect to {target}")),
    };
    let timed_out = || {
        unavailable(format!(
            "cannot connect to {target}: no answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))
    };
    // One direct attempt first: the pool retries refused connections until its timeout, which
    // would turn "connection refused" or a DNS error into a slow, vague timeout.
    let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
        .await
        .map_err(|_| timed_out())?
        .map_err(failed)?;
    let _ = probe.close().await;
    let connect = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options);
    let pool = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| timed_out())?
        .map_err(failed)?;
    // The migrator takes an advisory lock, so nodes starting together apply them once.
    sqlx::migrate!("migrations/postgres")
        .run(&pool)
        .await
        .map_err(|e| StoreError::Migration {
            backend: "postgres",
            message: e.to_string(),
        })?;
    Ok(PgStore { pool })
}

/// `database on host:port as user`, for messages: everything but the password.
fn describe_target(options: &PgConnectOptions) -> String {
    format!(
        "database {} on {}:{} as {}",
        options.get_database().unwrap_or("(default)"),
        options.get_host(),
        options.get_port(),
        options.get_username()
    )
}

mod sql {
    pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const SELECT_API_KEY: &str = "SELECT id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at FROM api_keys WHERE id = $1";
    pub const SELECT_API_KEYS: &str = "SELECT id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC";
    pub const REVOKE_API_KEY_BY_ID: &str = "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at";
    pub const REVOKE_API_KEY_BY_NAME: &str = "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at";
    pub const SELECT_AUDIT_HEAD: &str = "SELECT node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash FROM audit_events WHERE node = $1 ORDER BY seq DESC LIMIT 1";
    pub const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events (node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    pub const SELECT_AUDIT_EVENTS: &str = "SELECT node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash FROM audit_events WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3";
    pub const SELECT_AUDIT_NODES: &str =
        "SELECT node FROM audit_events UNION SELECT node FROM audit_checkpoints ORDER BY node";
    pub const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (node, seq, hash, time, signature, public_key) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const SELECT_CHECKPOINTS: &str = "SELECT node, seq, hash, time, signature, public_key FROM audit_checkpoints WHERE node = $1 ORDER BY seq";
}

impl_store!(PgStore, sqlx::Postgres, "postgres", sql);
