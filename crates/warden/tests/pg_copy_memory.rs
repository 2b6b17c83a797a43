//! A long `COPY … FROM STDIN` is passed to the server in pieces as it arrives: the gateway never
//! holds the whole stream. A test binary of its own, so the process's peak memory is this
//! test's alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Harness;

/// Rows copied in, 1 KiB each: far more than the gateway may hold at once.
const ROWS: usize = 128 * 1024;
/// How much the process's peak memory may grow while the copy runs.
const GROWTH_LIMIT_KIB: u64 = 48 * 1024;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} not in /proc/self/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `psql` sends a file line by line from an 8 KiB buffer, so message boundaries rarely fall
/// where the gateway's reads of the socket end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_copy_in_is_streamed_with_bounded_memory() {
    let h = Harness::start().await;
    let file = h.dir.path().join("rows.txt");
    std::fs::write(&file, format!("{}\n", "n".repeat(1023)).repeat(ROWS)).unwrap();

    // "5" resets the peak (VmHWM) to the present resident size.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let start = status_kib("VmRSS:");
    let (ok, out, err) = h
        .psql(
            &h.engineer_key,
            &format!("\\copy customers (name) from '{}'", file.display()),
        )
        .await;
    let grown = status_kib("VmHWM:").saturating_sub(start);

    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("COPY {ROWS}"), "{err}");
    assert_eq!(
        h.upstream("select count(*) from customers where length(name) = 1023")
            .await,
        ROWS.to_string()
    );
    assert!(
        grown < GROWTH_LIMIT_KIB,
        "peak memory grew by {grown} KiB while {} MiB were copied in",
        ROWS >> 10
    );
}
