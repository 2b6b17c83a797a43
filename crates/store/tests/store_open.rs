//! Opening the stores: SQLite settings and file mode; PostgreSQL errors that never show the URL.

use std::os::unix::fs::PermissionsExt;
use warden_store::{StoreError, open_postgres, open_sqlite};
use warden_testkit::postgres::PostgresServer;

#[tokio::test]
async fn sqlite_file_is_private_in_wal_mode_with_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("state");
    let store = open_sqlite(&nested).await.unwrap();
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // Opening again (migrations already applied) works.
    drop(store);
    open_sqlite(&nested).await.unwrap();

    let url = format!("sqlite://{}", nested.join("warden.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        vec![
            "api_keys",
            "audit_checkpoints",
            "audit_events",
            "grants",
            "review_votes",
            "reviews"
        ]
    );
}

#[tokio::test]
async fn postgres_errors_never_show_the_password() {
    let server = PostgresServer::start().await.unwrap();
    let url = server.create_database("warden").await.unwrap();
    open_postgres(&url).await.unwrap();
    // Migrations run once; a second node opening the same database is fine.
    open_postgres(&url).await.unwrap();

    let wrong = format!(
        "postgres://postgres:hunter2-very-secret@127.0.0.1:{}/warden",
        server.port()
    );
    let err = open_postgres(&wrong).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("database warden on 127.0.0.1"),
        "{message}"
    );

    let garbled = "postgres://postgres:hunter2-very-secret@127.0.0.1:notaport/warden";
    let message = open_postgres(garbled).await.unwrap_err().to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("not a valid postgres url"), "{message}");

    let closed_port = warden_testkit::free_port().unwrap();
    let unreachable =
        format!("postgres://postgres:hunter2-very-secret@127.0.0.1:{closed_port}/warden");
    let message = open_postgres(&unreachable).await.unwrap_err().to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("cannot connect"), "{message}");
}
