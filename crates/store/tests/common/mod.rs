//! Runs each scenario against both stores: SQLite in a temp dir and PostgreSQL in a fresh
//! database on a throwaway loopback server.

// Test support code: failing loudly is the point, and not every test binary uses every helper.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;
use std::sync::Arc;
use tempfile::TempDir;
use warden_core::{AuditKind, AuditRecord, Verdict};
use warden_store::{DynStore, PgStore, SqliteStore, StoreError, open_postgres, open_sqlite};
use warden_testkit::postgres::PostgresServer;

/// One backend under test.
pub struct Backend {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// The store as the rest of Warden sees it.
    pub store: DynStore,
    concrete: Concrete,
    data_dir: TempDir,
}

enum Concrete {
    Sqlite(SqliteStore),
    Postgres(Box<Postgres>),
}

struct Postgres {
    store: PgStore,
    url: String,
    // Keeps the server running as long as the backend; stopped on drop.
    _server: PostgresServer,
}

/// Both backends, each empty, SQLite first.
pub async fn backends() -> Vec<Backend> {
    vec![sqlite().await, postgres().await]
}

async fn postgres() -> Backend {
    let server = PostgresServer::start().await.unwrap();
    let url = server.create_database("warden_store_test").await.unwrap();
    let store = open_postgres(&url).await.unwrap();
    Backend {
        name: "postgres",
        store: Arc::new(store.clone()),
        concrete: Concrete::Postgres(Box::new(Postgres {
            store,
            url,
            _server: server,
        })),
        data_dir: tempfile::tempdir().unwrap(),
    }
}

/// The SQLite backend alone (for checks that need the database file).
pub async fn sqlite() -> Backend {
    let data_dir = tempfile::tempdir().unwrap();
    let store = open_sqlite(data_dir.path()).await.unwrap();
    Backend {
        name: "sqlite",
        store: Arc::new(store.clone()),
        concrete: Concrete::Sqlite(store),
        data_dir,
    }
}

impl Backend {
    /// A directory for keys and other files of this run.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Runs `sql` directly on the database, behind the store's back (tampering, outages).
    pub async fn exec(&self, sql: &str) {
        match &self.concrete {
            Concrete::Sqlite(store) => {
                let pool =
                    sqlx::SqlitePool::connect(&format!("sqlite://{}", store.path().display()))
                        .await
                        .unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                pool.close().await;
            }
            Concrete::Postgres(pg) => {
                let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                pool.close().await;
            }
        }
    }

    /// Makes every insert into `audit_events` fail, as an outage would.
    pub async fn break_audit_inserts(&self) {
        match &self.concrete {
            Concrete::Sqlite(_) => {
                self.exec(
                    "CREATE TRIGGER simulated_outage BEFORE INSERT ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'simulated outage'); END",
                )
                .await
            }
            Concrete::Postgres(_) => {
                self.exec(
                    "CREATE FUNCTION simulated_outage() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'simulated outage'; END $$; \
                     CREATE TRIGGER simulated_outage BEFORE INSERT ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION simulated_outage()",
                )
                .await
            }
        }
    }

    /// Undoes [`Self::break_audit_inserts`].
    pub async fn repair_audit_inserts(&self) {
        match &self.concrete {
            Concrete::Sqlite(_) => self.exec("DROP TRIGGER simulated_outage").await,
            Concrete::Postgres(_) => {
                self.exec("DROP TRIGGER simulated_outage ON audit_events")
                    .await
            }
        }
    }

    /// Closes the store's connections: every later call fails.
    pub async fn close(&self) {
        match &self.concrete {
            Concrete::Sqlite(store) => store.close().await,
            Concrete::Postgres(pg) => pg.store.close().await,
        }
    }

    /// A second, independent store on the same database.
    pub async fn reopen(&self) -> DynStore {
        match &self.concrete {
            Concrete::Sqlite(_) => Arc::new(open_sqlite(self.data_dir.path()).await.unwrap()),
            Concrete::Postgres(pg) => Arc::new(open_postgres(&pg.url).await.unwrap()),
        }
    }
}

/// A fixed instant plus `micros` microseconds, so tests control time exactly.
pub fn at(micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 6, 7, 0, 0).unwrap() + Duration::microseconds(micros)
}

/// A decision event with varied fields: floats, unicode, nested detail, nulls.
pub fn decision(i: u64) -> AuditRecord {
    let verdicts = [Verdict::Allow, Verdict::Review, Verdict::Deny];
    let actions = ["sql:read", "sql:write", "ssh:exec", "http:get"];
    AuditRecord {
        time: at(i as i64 * 1_000 + 7) + Duration::nanoseconds(123),
        kind: AuditKind::Decision,
        identity: Some(format!("user-{}", i % 3)),
        connection: if i.is_multiple_of(5) {
            None
        } else {
            Some("prod-db".into())
        },
        session: Some(format!("s-{}", i / 10)),
        action: Some(actions[(i % 4) as usize].into()),
        verdict: Some(verdicts[(i % 3) as usize]),
        rule: Some(format!("role:r{i}")),
        detail: serde_json::json!({
            "i": i,
            "duration_ms": i as f64 / 7.0,
            "whole": 2.0,
            "tiny": 1e-7,
            "huge": 1e21 * i as f64,
            "negative_small": -(i as f64) * 1.5e-9,
            "big": 9_007_199_254_740_993u64,
            "text": format!("ünïcødé \u{1F600} \"quoted\" \\ line\nbreak {i}"),
            "nested": {"b": [1, 2.5, null, true], "a": {}},
        }),
    }
}

/// The error message of a store result that must have failed.
pub fn error_of<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    result.expect_err("expected an error").to_string()
}

/// Writes `events` decision events to `node`'s chain, signing a checkpoint every
/// `checkpoint_every`; returns the log and its key.
pub async fn write_chain(
    backend: &Backend,
    node: &str,
    events: u64,
    checkpoint_every: u64,
) -> (warden_store::AuditLog, ed25519_dalek::SigningKey) {
    let key = warden_store::audit::load_or_create_signing_key(backend.data_dir()).unwrap();
    let log = warden_store::AuditLog::open(
        backend.store.clone(),
        node.to_owned(),
        key.clone(),
        checkpoint_every,
    )
    .await
    .unwrap();
    for i in 1..=events {
        log.record(decision(i)).await.unwrap();
    }
    (log, key)
}

/// Verifies, expecting a broken chain; returns (node, seq, message).
pub async fn broken(
    backend: &Backend,
    trusted: Option<&ed25519_dalek::VerifyingKey>,
) -> (String, u64, String) {
    match warden_store::audit::verify(backend.store.as_ref(), trusted).await {
        Ok(report) => panic!("{}: tampering went unnoticed: {report:?}", backend.name),
        Err(failure) => {
            let (node, seq) = failure
                .location()
                .unwrap_or_else(|| panic!("{}: not a broken chain: {failure}", backend.name));
            (node.to_owned(), seq, failure.to_string())
        }
    }
}

/// Opens `node`'s chain in the backend's store with the backend's signing key.
pub async fn open_log(
    backend: &Backend,
    node: &str,
    checkpoint_every: u64,
) -> (warden_store::AuditLog, ed25519_dalek::SigningKey) {
    let key = warden_store::audit::load_or_create_signing_key(backend.data_dir()).unwrap();
    let log = warden_store::AuditLog::open(
        backend.store.clone(),
        node.to_owned(),
        key.clone(),
        checkpoint_every,
    )
    .await
    .unwrap();
    (log, key)
}

/// Sequence number of the last stored event of `node` (0 if none).
pub async fn stored_head(store: &DynStore, node: &str) -> u64 {
    store.audit_head(node).await.unwrap().map_or(0, |e| e.seq)
}

/// Waits until `node`'s stored chain reaches `seq`; returns how long that took. Panics after
/// `limit`.
pub async fn wait_stored(
    store: &DynStore,
    node: &str,
    seq: u64,
    limit: std::time::Duration,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    loop {
        let stored = stored_head(store, node).await;
        if stored >= seq {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "event {seq} of node {node} not stored after {limit:?} (the store ends at {stored})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// Every stored event of `node`, in order of `seq`.
pub async fn stored_events(store: &DynStore, node: &str) -> Vec<warden_store::ChainedEvent> {
    store.audit_events(node, 0, 1_000_000).await.unwrap()
}
