//! The one poll loop: check a condition, back off, repeat until it holds or the operation's
//! deadline or Stop ends the wait. Runs on tokio time, so tests pause the clock.

use std::future::Future;
use std::time::Duration;

use super::operation::{Operation, Stop};

/// One look at the condition.
pub enum Check<T> {
    /// It holds: the wait is over.
    Done(T),
    /// Not yet; why, for the message if the wait runs out.
    Pending(String),
}

/// How often to look: `first`, growing by `factor` up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub factor: u32,
}

impl Backoff {
    /// A fixed interval (the console's GET budget: docs/dev/console-api.md#rate-limits).
    pub const fn every(d: Duration) -> Self {
        Self {
            first: d,
            max: d,
            factor: 1,
        }
    }
}

/// A wait that ended without the condition holding.
#[derive(Debug)]
pub enum WaitError<E> {
    /// A check failed in a way more waiting cannot fix.
    Failed(E),
    /// The operation stopped; `last` is the last reason the condition did not hold.
    Stopped { stop: Stop, last: Option<String> },
}

/// Polls `check` until it is done, fails, or `op` ends.
pub async fn wait_until<T, E, F, Fut>(
    op: &Operation,
    backoff: Backoff,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<T>, E>>,
{
    let mut interval = backoff.first;
    let mut last = None;
    loop {
        match op.bounded(check()).await {
            Ok(Ok(Check::Done(v))) => return Ok(v),
            Ok(Ok(Check::Pending(why))) => last = Some(why),
            Ok(Err(e)) => return Err(WaitError::Failed(e)),
            Err(stop) => return Err(WaitError::Stopped { stop, last }),
        }
        if let Err(stop) = op.sleep(interval).await {
            return Err(WaitError::Stopped { stop, last });
        }
        interval = (interval * backoff.factor).min(backoff.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    #[tokio::test(start_paused = true)]
    async fn polls_with_backoff_until_the_condition_holds() {
        let op = Operation::new(
            Duration::from_secs(60),
            "timeouts.create",
            CancellationToken::new(),
        );
        let start = Instant::now();
        let mut looks = Vec::new();
        let backoff = Backoff {
            first: Duration::from_millis(500),
            max: Duration::from_secs(2),
            factor: 2,
        };
        let got: Result<u32, WaitError<()>> = wait_until(&op, backoff, || {
            looks.push(start.elapsed());
            let n = looks.len();
            async move {
                Ok(if n == 5 {
                    Check::Done(7)
                } else {
                    Check::Pending("starting".into())
                })
            }
        })
        .await;
        assert_eq!(got.unwrap(), 7);
        let ms: Vec<u128> = looks.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [0, 500, 1500, 3500, 5500]);
    }

    #[tokio::test(start_paused = true)]
    async fn runs_out_at_the_deadline_with_the_last_reason() {
        let op = Operation::new(
            Duration::from_secs(10),
            "timeouts.create",
            CancellationToken::new(),
        );
        let r: Result<(), WaitError<()>> =
            wait_until(&op, Backoff::every(Duration::from_secs(2)), || async {
                Ok(Check::Pending("connection refused".into()))
            })
            .await;
        match r {
            Err(WaitError::Stopped { stop, last }) => {
                assert_eq!(stop, Stop::TimedOut);
                assert_eq!(last.as_deref(), Some("connection refused"));
            }
            _ => panic!("expected a timeout"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_check_ends_the_wait() {
        let op = Operation::new(
            Duration::from_secs(10),
            "timeouts.create",
            CancellationToken::new(),
        );
        let r: Result<(), WaitError<&str>> =
            wait_until(&op, Backoff::every(Duration::from_secs(2)), || async {
                Err("401")
            })
            .await;
        assert!(matches!(r, Err(WaitError::Failed("401"))));
    }
}
