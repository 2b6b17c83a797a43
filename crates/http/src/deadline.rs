//! Timeouts that cost nothing when what they wait for is already there.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use tokio::time::error::Elapsed;

/// [`tokio::time::timeout`], except that a future ready at its first poll is taken without
/// reading the clock or arming a timer: a whole body's frames and most writes are.
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let first = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => tokio::time::timeout(limit, future).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ready_future_is_taken_and_a_stalled_one_times_out() {
        // Ready at once: taken even with no time at all.
        assert_eq!(timeout(Duration::ZERO, async { 7 }).await.ok(), Some(7));
        let stalled = timeout(Duration::from_millis(50), std::future::pending::<()>()).await;
        assert!(stalled.is_err());
        // Pending at the first poll, ready later, within the limit.
        let late = timeout(Duration::from_secs(5), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            3
        });
        assert_eq!(late.await.ok(), Some(3));
    }
}
