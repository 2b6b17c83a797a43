//! Extended query protocol through the gateway with a Rust driver: prepared statements,
//! pipelining, and a denial in the middle of a pipeline that leaves the session usable with
//! the true transaction status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use futures::future::join_all;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_and_pipelining() {
    let h = Harness::start().await;
    let client = h.client(&h.engineer_key).await;
    let select = client
        .prepare("select name from customers where id = $1")
        .await
        .unwrap();
    for (id, name) in [(1i32, "Ada Lovelace"), (3, "Grace Hopper")] {
        let row = client.query_one(&select, &[&id]).await.unwrap();
        assert_eq!(row.get::<_, String>(0), name);
    }
    // Pipelining: many queries in flight at once on one connection.
    let futures = (1..=20i32).map(|i| {
        let client = &client;
        async move {
            client
                .query_one("select $1::int * 2", &[&i])
                .await
                .unwrap()
                .get::<_, i32>(0)
        }
    });
    let results = join_all(futures).await;
    assert_eq!(results, (1..=20).map(|i| i * 2).collect::<Vec<_>>());

    let inserted = client
        .execute(
            "insert into orders (customer_id, amount) values ($1, $2::float8)",
            &[&1i32, &3.5f64],
        )
        .await;
    assert_eq!(inserted.unwrap(), 1);
    assert_eq!(
        h.upstream("select count(*) from orders where amount = 3.5")
            .await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denial_mid_pipeline_keeps_order_and_session() {
    let h = Harness::start().await;
    let client = h.client(&h.engineer_key).await;
    client.batch_execute("begin").await.unwrap();
    let first = client.query_one("select 41 + 1", &[]);
    let denied = client.prepare("drop table secrets");
    let after = client.query_one("select 'after'", &[]);
    let (first, denied, after) = tokio::join!(first, denied, after);
    assert_eq!(first.unwrap().get::<_, i32>(0), 42);
    let error = denied.expect_err("drop must be refused");
    assert_eq!(error.as_db_error().unwrap().code().code(), "42501");
    assert_eq!(after.unwrap().get::<_, String>(0), "after");
    // The transaction is still open on the server: commit works and the table survives.
    client.batch_execute("commit").await.unwrap();
    assert_eq!(
        h.upstream("select to_regclass('secrets') is not null")
            .await,
        "t"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_rows_and_results_stream_through() {
    let h = Harness::start().await;
    let client = h.client(&h.agent_key).await;
    // One 24 MB value: larger than any client message Warden accepts, but results stream.
    let row = client
        .query_one(
            "select length(repeat('x', 24000000)), repeat('y', 24000000)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 24_000_000);
    assert_eq!(row.get::<_, String>(1).len(), 24_000_000);
    // Many rows.
    let rows = client
        .query(
            "select i, md5(i::text) from generate_series(1, 200000) i",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 200_000);
    assert_eq!(rows[199_999].get::<_, i32>(0), 200_000);
}
