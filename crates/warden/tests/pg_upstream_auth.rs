//! The upstream leg logs in with the connection's credentials by every method PostgreSQL asks
//! for — SCRAM-SHA-256, MD5, cleartext — and over verified TLS; the client only ever shows its
//! Warden key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use warden_testkit::{PgAuth, PostgresOptions};

async fn works(options: PostgresOptions, expect_ssl: bool) {
    let h = Harness::start_with(options).await;
    let client = h.client(&h.agent_key).await;
    let row = client
        .query_one(
            "select current_user::text, coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "postgres");
    assert_eq!(row.get::<_, bool>(1), expect_ssl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_upstream() {
    works(
        PostgresOptions {
            auth: PgAuth::Md5,
            tls: false,
        },
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_upstream() {
    works(
        PostgresOptions {
            auth: PgAuth::Password,
            tls: false,
        },
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_over_verified_tls_upstream() {
    works(
        PostgresOptions {
            auth: PgAuth::Scram,
            tls: true,
        },
        true,
    )
    .await;
}
