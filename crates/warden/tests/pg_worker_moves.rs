//! PostgreSQL sessions moving between data-path workers between statements: prepared
//! statements, open transactions, the backend and TLS on both legs survive the move, and the
//! session is counted on the worker it moved to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;
use std::time::{Duration, Instant};
use warden_core::workers::Workers;

/// The workers are the process's: one test at a time counts sessions and moves on them.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The worker serving the one movable session, once it is on exactly one.
async fn home(workers: &Workers) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let residents = workers.residents();
        if residents.iter().sum::<u32>() == 1 {
            return residents.iter().position(|&n| n == 1).unwrap();
        }
        assert!(Instant::now() < deadline, "no single home: {residents:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The turns finished so far, once the count has settled: a session counts its turn just
/// after it flushes the answer, so a client that has its answer may read the count a moment
/// before the turn is in it. With the client idle, a count unchanged for 50 ms is complete.
async fn settled_turns(workers: &Workers) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut turns = workers.turns();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = workers.turns();
        if now == turns {
            return turns;
        }
        assert!(Instant::now() < deadline, "the turns never settled: {now}");
        turns = now;
    }
}

/// Waits until the session is served by `worker`.
async fn arrived(workers: &Workers, worker: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while workers.residents().get(worker) != Some(&1) {
        assert!(
            Instant::now() < deadline,
            "the session did not arrive on worker {worker}: {:?}",
            workers.residents()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The shared workers, with no move left asked for: a request another test left standing
/// (the pgbench test asks for moves until it stops) would move this test's session behind its
/// back. Asking for no moves also keeps the balancer from planning its own for a few seconds.
fn two_workers() -> &'static Workers {
    let workers = Workers::shared();
    assert!(
        workers.len() >= 2,
        "moves need two workers: run on a machine with two cores or set WARDEN_WORKERS=2"
    );
    for worker in 0..workers.len() {
        workers.request_move(worker, worker, 0);
    }
    workers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_moves_between_statements_and_keeps_its_state() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let h = Harness::start().await;
    let workers = two_workers();
    let client = h.client(&h.dba_key).await;
    let pid: i32 = client
        .query_one("select pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let add = client.prepare("select $1::int + 1").await.unwrap();
    let from = home(workers).await;
    let to = (from + 1) % workers.len();
    let moves = workers.moves();

    // The move happens after the next statement completes, which counts as a turn.
    let turns = settled_turns(workers).await;
    workers.request_move(from, to, 1);
    client.batch_execute("select 1").await.unwrap();
    arrived(workers, to).await;
    assert_eq!(workers.turns(), turns + 1);
    assert_eq!(workers.moves(), moves + 1);
    assert_eq!(workers.residents().iter().sum::<u32>(), 1);

    // The statement prepared before the move, the same backend after it.
    let row = client.query_one(&add, &[&41i32]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
    let after: i32 = client
        .query_one("select pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, pid, "the upstream connection moved with the session");

    // A transaction open across a move commits as one.
    client.batch_execute("begin").await.unwrap();
    client
        .execute(
            "insert into orders (customer_id, amount) values (2, 1.25)",
            &[],
        )
        .await
        .unwrap();
    workers.request_move(to, from, 1);
    let inside: i64 = client
        .query_one("select count(*) from orders where amount = 1.25", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(inside, 1);
    arrived(workers, from).await;
    assert_eq!(workers.moves(), moves + 2);
    client.batch_execute("commit").await.unwrap();
    assert_eq!(
        h.upstream("select count(*) from orders where amount = 1.25")
            .await,
        "1"
    );

    // The session's end is audited once, with every statement counted.
    drop(client);
    let deadline = Instant::now() + Duration::from_secs(5);
    let ended = loop {
        let ends = h
            .audit(warden_store::AuditFilter {
                kind: Some("session_end".into()),
                ..Default::default()
            })
            .await;
        let mine: Vec<_> = ends
            .into_iter()
            .filter(|e| e.to_string().contains("\"statements\":8"))
            .collect();
        if !mine.is_empty() || Instant::now() > deadline {
            break mine;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ended.len(), 1, "one session end with all eight statements");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_both_legs_survives_moves_both_ways() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let h = Harness::start_with(warden_testkit::PostgresOptions {
        tls: true,
        ..Default::default()
    })
    .await;
    let workers = two_workers();
    let moves = workers.moves();
    // Whichever worker the session lands on, it leaves after its first statement and comes
    // back after its second.
    workers.request_move(0, 1, 1);
    workers.request_move(1, 0, 1);
    let stdout = common::stdout_of(
        "psql over TLS",
        tokio::process::Command::new(h.pg.bin_dir().join("psql"))
            .args(["-XAt", "-v", "ON_ERROR_STOP=1"])
            .args([
                "-c",
                "select 'one', ssl from pg_stat_ssl where pid = pg_backend_pid()",
            ])
            .args(["-c", "select 'two', count(*) from customers"])
            .args([
                "-c",
                "select 'three', name from customers order by id limit 1",
            ])
            .arg(h.tls_conninfo("pg-test/app"))
            .env("PGPASSWORD", &h.dba_key),
    )
    .await;
    assert_eq!(stdout.trim(), "one|t\ntwo|3\nthree|Ada Lovelace");
    assert_eq!(workers.moves(), moves + 2, "moved out and back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_in_every_query_mode_while_sessions_keep_moving() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let h = Harness::start().await;
    let workers = two_workers();
    h.pgbench_init().await;
    let moves = workers.moves();
    let turns = workers.turns();
    // Sessions are asked to move every few milliseconds, in both directions, while the
    // TPC-B-like script (writes in transactions) runs in every query mode.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mover = {
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                workers.request_move(0, 1, 2);
                workers.request_move(1, 0, 2);
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        })
    };
    h.pgbench_every_mode(&h.dba_key, 100).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    mover.await.unwrap();
    let moved = workers.moves() - moves;
    eprintln!("{moved} moves during the runs");
    assert!(moved >= 300, "only {moved} moves");
    // Each of the script's seven statements is answered before the next is sent: a turn each.
    let turns = workers.turns() - turns;
    assert!(
        turns >= 1200 * 7,
        "only {turns} turns for 1 200 transactions"
    );
    assert_eq!(
        h.upstream("select count(*) from pgbench_history").await,
        "1200",
        "every transaction wrote through the gateway exactly once"
    );
}
