//! A read-only role cannot change anything by any known bypass (each tried, each checked
//! against the database afterwards), while ordinary reads still work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

const BYPASSES: &[&str] = &[
    "insert into orders (customer_id, amount) values (1, 1)",
    "update customers set name = 'x'",
    "delete from orders",
    "with d as (delete from orders returning *) select count(*) from d",
    "explain analyze delete from orders",
    "prepare p as delete from orders",
    "execute p",
    "copy orders to program 'touch /tmp/warden-pwned'",
    "copy orders to '/tmp/warden-orders.csv'",
    "copy orders from stdin",
    "set role postgres",
    "set session authorization postgres",
    "alter system set work_mem = '64MB'",
    "select pg_read_file('/etc/hostname')",
    "select pg_terminate_backend(pg_backend_pid())",
    "select lo_export(0, '/tmp/x')",
    "do $$ begin delete from orders; end $$",
    "call some_procedure()",
    "select 1; delete from orders",
    "set default_transaction_read_only = off",
    "select set_config('default_transaction_read_only', 'off', false)",
    "begin read write",
    "set session characteristics as transaction read write",
    "drop table secrets",
    "truncate orders",
    "create table pwned (id int)",
    "grant all on customers to public",
    "select nextval('orders_id_seq')",
    "select * from customers for update",
    "notify ch, 'x'",
    "select query_to_xml('delete from orders', true, true, '')",
    "this is not sql",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_role_cannot_write_by_any_bypass() {
    let h = Harness::start().await;
    let before = h
        .upstream("select (select count(*) from orders)||','||(select string_agg(name, ',' order by id) from customers)||','||(select last_value from orders_id_seq)")
        .await;
    let client = h.client(&h.agent_key).await;
    for sql in BYPASSES {
        Harness::denied(&client, sql).await;
    }
    // The same session is still usable after all those refusals.
    let row = client
        .query_one("select count(*) from customers", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 3);

    let after = h
        .upstream("select (select count(*) from orders)||','||(select string_agg(name, ',' order by id) from customers)||','||(select last_value from orders_id_seq)")
        .await;
    assert_eq!(before, after, "nothing changed upstream");
    assert_eq!(
        h.upstream("select to_regclass('pwned') is null and to_regclass('secrets') is not null")
            .await,
        "t"
    );
    assert!(!std::path::Path::new("/tmp/warden-pwned").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_reads_work_for_the_read_only_role() {
    let h = Harness::start().await;
    let client = h.client(&h.agent_key).await;
    let reads = [
        "select c.name, sum(o.amount) from customers c join orders o on o.customer_id = c.id group by c.name",
        "with big as (select * from orders where amount > 10) select count(*) from big",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5) select sum(i) from n",
        "select id, amount, rank() over (order by amount desc) from orders",
        "explain select * from orders where id = 1",
        "select * from customers where id in (select customer_id from orders)",
        "show server_version",
        "select pg_sleep(0)",
        "begin; select 1; commit",
    ];
    for sql in reads {
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql:?}: {e}"));
    }
    let rows = client
        .query("select name from customers where id = $1", &[&2i32])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, String>(0), "Alan Turing");
    // Defence in depth: the upstream session itself is read-only.
    let ro = client
        .query_one("show default_transaction_read_only", &[])
        .await
        .unwrap();
    assert_eq!(ro.get::<_, String>(0), "on");
}
