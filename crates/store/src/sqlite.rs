//! The embedded store: SQLite file `warden.db` in the data directory.

use crate::{StoreError, backend::impl_store};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "warden.db";

/// How long a statement waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// [`Store`](crate::Store) on a SQLite file (WAL, `synchronous=NORMAL`, foreign keys on).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens (creating if needed) `data_dir/warden.db` and applies migrations.
pub async fn open_sqlite(data_dir: &Path) -> Result<SqliteStore, StoreError> {
    let unavailable = |message: String| StoreError::unavailable("sqlite", message);
    std::fs::create_dir_all(data_dir).map_err(|e| {
        unavailable(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let path = data_dir.join(SQLITE_FILE);
    create_private_file(&path)
        .map_err(|e| unavailable(format!("cannot create {}: {e}", path.display())))?;
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // 64 MiB of page cache per connection: the audit indexes' hot pages stay in memory.
        .pragma("cache_size", "-65536")
        // Checkpoint the WAL every 8,192 pages (32 MiB) instead of 1,000: the audit indexes'
        // hot pages are rewritten by every commit, so each checkpoint copies them once for
        // more commits.
        .pragma("wal_autocheckpoint", "8192")
        // Statement journals in memory: a batch of audit events inserted inside a group commit
        // otherwise spills its journal to a temporary file that is created and unlinked per
        // commit.
        .pragma("temp_store", "memory");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(BUSY_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| unavailable(format!("cannot open {}: {e}", path.display())))?;
    sqlx::migrate!("migrations/sqlite")
        .run(&pool)
        .await
        .map_err(|e| StoreError::Migration {
            backend: "sqlite",
            message: format!("{}: {e}", path.display()),
        })?;
    Ok(SqliteStore { pool, path })
}

/// Creates an empty database file readable by its owner only (SQLite gives its `-wal` and
/// `-shm` files the same mode). An existing file is left alone.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

mod sql {
    pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    pub const SELECT_API_KEY: &str = "SELECT id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at FROM api_keys WHERE id = ?";
    pub const SELECT_API_KEYS: &str = "SELECT id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC";
    pub const REVOKE_API_KEY_BY_ID: &str = "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at";
    pub const REVOKE_API_KEY_BY_NAME: &str = "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING id, name, groups, scopes, secret_hash, created_at, expires_at, revoked_at";
    pub const SELECT_AUDIT_HEAD: &str = "SELECT node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash FROM audit_events WHERE node = ? ORDER BY seq DESC LIMIT 1";
    pub const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events (node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    pub const SELECT_AUDIT_EVENTS: &str = "SELECT node, seq, time, kind, identity, connection, session, action, verdict, rule, detail, prev_hash, hash FROM audit_events WHERE node = ? AND seq > ? ORDER BY seq LIMIT ?";
    pub const SELECT_AUDIT_NODES: &str =
        "SELECT node FROM audit_events UNION SELECT node FROM audit_checkpoints ORDER BY node";
    pub const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (node, seq, hash, time, signature, public_key) VALUES (?, ?, ?, ?, ?, ?)";
    pub const SELECT_CHECKPOINTS: &str = "SELECT node, seq, hash, time, signature, public_key FROM audit_checkpoints WHERE node = ? ORDER BY seq";
}

impl_store!(SqliteStore, sqlx::Sqlite, "sqlite", sql);
