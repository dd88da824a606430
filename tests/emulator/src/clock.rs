//! The emulator's clock: wall time plus an offset that tests can advance, so time-based quirks
//! (30 s stale reads, 2 min caches, lockouts, rate-limit windows) are testable without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Shared, cheaply clonable clock.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicU64>,
}

impl Clock {
    /// Milliseconds since the Unix epoch, offset included.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as i64;
        wall + self.offset_ms.load(Ordering::Relaxed) as i64
    }

    /// Moves the clock forward (never backwards).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let c = Clock::default();
        let before = c.now_ms();
        c.advance(Duration::from_secs(31));
        assert!(c.now_ms() - before >= 31_000);
    }
}
