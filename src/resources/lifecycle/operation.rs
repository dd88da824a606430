//! One operation's bounds, passed down once: the deadline the user set (a `timeouts` value)
//! and Terraform's Stop signal. Every wait of the operation draws on the same deadline, so a
//! create that spends ten minutes waiting for its id has ten fewer for readiness.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Why an operation stopped before its work was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Terraform asked the provider to stop (Ctrl-C).
    Cancelled,
    /// The user's timeout ran out.
    TimedOut,
}

/// The deadline and cancellation of one create, update or delete.
#[derive(Debug, Clone)]
pub struct Operation {
    deadline: Instant,
    timeout: Duration,
    /// The setting that bounds it, for messages: `timeouts.create`.
    setting: &'static str,
    cancel: CancellationToken,
}

impl Operation {
    /// An operation bounded by `timeout` (named `setting` in messages) from now.
    pub fn new(timeout: Duration, setting: &'static str, cancel: CancellationToken) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            timeout,
            setting,
            cancel,
        }
    }

    /// Time left (zero once the deadline has passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The configured timeout, for messages.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `timeouts.create (20m0s)`: the one figure a message names, the one the user set.
    pub fn describe_limit(&self) -> String {
        format!(
            "{} ({})",
            self.setting,
            crate::framework::format_go_duration(self.timeout)
        )
    }

    /// The Stop signal this operation watches.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Sleeps for `d` (cut short at the deadline); `Err` when stopped or out of time.
    pub async fn sleep(&self, d: Duration) -> Result<(), Stop> {
        let left = self.remaining();
        if left.is_zero() {
            return Err(Stop::TimedOut);
        }
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            _ = tokio::time::sleep(d.min(left)) => {
                if d >= left { Err(Stop::TimedOut) } else { Ok(()) }
            }
        }
    }

    /// Runs `work` within the deadline and the Stop signal.
    pub async fn bounded<T>(&self, work: impl Future<Output = T>) -> Result<T, Stop> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            r = tokio::time::timeout(self.remaining(), work) => r.map_err(|_| Stop::TimedOut),
        }
    }

    /// A sub-operation that ends at `within` from now or at this operation's deadline,
    /// whichever comes first (a bounded settling window inside a create).
    pub fn narrowed(&self, within: Duration) -> Operation {
        let deadline = self.deadline.min(Instant::now() + within);
        Operation {
            deadline,
            timeout: self.timeout,
            setting: self.setting,
            cancel: self.cancel.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sleeping_past_the_deadline_is_a_timeout() {
        let op = Operation::new(
            Duration::from_secs(5),
            "timeouts.create",
            CancellationToken::new(),
        );
        assert_eq!(op.sleep(Duration::from_secs(2)).await, Ok(()));
        assert_eq!(op.sleep(Duration::from_secs(4)).await, Err(Stop::TimedOut));
        assert!(op.remaining().is_zero());
        assert_eq!(op.sleep(Duration::from_secs(1)).await, Err(Stop::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn stop_ends_a_wait_at_once() {
        let cancel = CancellationToken::new();
        let op = Operation::new(Duration::from_secs(60), "timeouts.update", cancel.clone());
        cancel.cancel();
        assert_eq!(
            op.sleep(Duration::from_secs(30)).await,
            Err(Stop::Cancelled)
        );
        assert_eq!(
            op.bounded(std::future::pending::<()>()).await,
            Err(Stop::Cancelled)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_narrowed_window_never_outlives_its_operation() {
        let op = Operation::new(
            Duration::from_secs(10),
            "timeouts.create",
            CancellationToken::new(),
        );
        assert_eq!(
            op.narrowed(Duration::from_secs(120)).remaining(),
            Duration::from_secs(10)
        );
        assert_eq!(
            op.narrowed(Duration::from_secs(3)).remaining(),
            Duration::from_secs(3)
        );
        assert_eq!(op.describe_limit(), "timeouts.create (10s)");
    }
}
