//! Cancel of a running query, COPY both ways, and LISTEN/NOTIFY through the gateway.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_the_real_backend() {
    let h = Harness::start().await;
    let client = h.client(&h.agent_key).await;
    let token = client.cancel_token();
    let started = Instant::now();
    let sleeper = tokio::spawn(async move {
        let result = client.batch_execute("select pg_sleep(30)").await;
        (result, client)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let (result, client) = sleeper.await.unwrap();
    let error = result.expect_err("the sleep was cancelled");
    assert_eq!(error.as_db_error().unwrap().code().code(), "57014");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The session survives the cancel.
    client.batch_execute("select 1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_and_out() {
    let h = Harness::start().await;
    let client = h.client(&h.engineer_key).await;
    let sink = client
        .copy_in("copy orders (customer_id, amount) from stdin")
        .await
        .unwrap();
    futures::pin_mut!(sink);
    let rows: String = (0..1000)
        .map(|i| format!("{}\t{}.00\n", 1 + i % 3, i))
        .collect();
    sink.send(bytes::Bytes::from(rows)).await.unwrap();
    let copied = sink.finish().await.unwrap();
    assert_eq!(copied, 1000);
    assert_eq!(h.upstream("select count(*) from orders").await, "1004");

    let stream = client
        .copy_out("copy (select id, amount from orders order by id) to stdout")
        .await
        .unwrap();
    futures::pin_mut!(stream);
    let mut text = Vec::new();
    while let Some(chunk) = stream.next().await {
        text.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(String::from_utf8(text).unwrap().lines().count(), 1004);

    // The read-only role may copy out but not in.
    let agent = h.client(&h.agent_key).await;
    let refused = agent
        .copy_in::<_, bytes::Bytes>("copy orders from stdin")
        .await;
    assert_eq!(
        refused.err().unwrap().as_db_error().unwrap().code().code(),
        "42501"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_relayed() {
    let h = Harness::start().await;
    let (listener, mut connection) = tokio_postgres::connect(
        &format!("{} password={}", h.conninfo("pg-test/app"), h.agent_key),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                let _ = tx.send((n.channel().to_owned(), n.payload().to_owned()));
            }
        }
    });
    listener.batch_execute("listen jobs").await.unwrap();
    let sender = h.client(&h.engineer_key).await;
    sender.batch_execute("notify jobs, 'ready'").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, ("jobs".to_owned(), "ready".to_owned()));
}
