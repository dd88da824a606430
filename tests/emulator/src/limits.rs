//! athena's per-client rate limiter and auth-failure lockout, keyed on client IP + User-Agent.
//!
//! Rate limit (docs/dev/console-api.md#rate-limits): fixed 60 s windows that start when the process
//! starts, non-GETs get N per window, GETs 4N; failed requests count too. Lockout
//! (docs/dev/console-api.md#lockout): 5
//! auth failures within a rolling 2 minutes lock the client out of every route with 402; each 402
//! counts as another failure; a success (< 400) resets the count.

use std::collections::HashMap;

/// Client identity for both mechanisms.
pub type ClientKey = (String, String);

const WINDOW_MS: i64 = 60_000;
const LOCKOUT_WINDOW_MS: i64 = 120_000;
const LOCKOUT_AFTER: usize = 5;

/// Outcome of the rate limiter for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateDecision {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds at the end of the current window.
    pub reset_secs: i64,
    pub exceeded: bool,
    /// "low" for writes, "high" for GETs (`ratelimit.write-6`, `ratelimit.get-21`).
    pub volume: &'static str,
}

#[derive(Default)]
pub struct Limits {
    counts: HashMap<(ClientKey, bool), (i64, u32)>,
    failures: HashMap<ClientKey, Vec<i64>>,
}

impl Limits {
    /// Counts the request and decides whether it is over the limit.
    pub fn rate(
        &mut self,
        key: &ClientKey,
        is_get: bool,
        writes_per_min: u32,
        started_ms: i64,
        now_ms: i64,
    ) -> RateDecision {
        let limit = if is_get {
            writes_per_min.saturating_mul(4)
        } else {
            writes_per_min
        };
        let window = (now_ms - started_ms).max(0) / WINDOW_MS;
        let reset_secs = (started_ms + (window + 1) * WINDOW_MS) / 1000;
        let entry = self
            .counts
            .entry((key.clone(), is_get))
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let used = entry.1;
        RateDecision {
            limit,
            remaining: limit.saturating_sub(used),
            reset_secs,
            exceeded: used > limit,
            volume: if is_get { "high" } else { "low" },
        }
    }

    /// If the client is locked out, counts this attempt and returns the failures seen before it
    /// plus the minutes left (`auth.lockout.valid-credentials-rejected`: `"failures":5`).
    pub fn locked_out(&mut self, key: &ClientKey, now_ms: i64) -> Option<(usize, f64)> {
        let list = self.failures.entry(key.clone()).or_default();
        list.retain(|t| now_ms - t < LOCKOUT_WINDOW_MS);
        if list.len() < LOCKOUT_AFTER {
            return None;
        }
        let before = list.len();
        let newest = list.iter().copied().max().unwrap_or(now_ms);
        list.push(now_ms);
        let mins = ((newest + LOCKOUT_WINDOW_MS - now_ms).max(0) as f64) / 60_000.0;
        Some((before, mins))
    }

    /// Records a response status: 401/403 count as failures, < 400 resets (400/404 do neither).
    pub fn record_auth_outcome(&mut self, key: &ClientKey, status: u16, now_ms: i64) {
        if status == 401 || status == 403 {
            self.failures.entry(key.clone()).or_default().push(now_ms);
        } else if status < 400 {
            self.failures.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(ua: &str) -> ClientKey {
        ("127.0.0.1".into(), ua.into())
    }

    #[test]
    fn sixth_write_is_limited_gets_are_separate() {
        let mut l = Limits::default();
        for i in 1..=5 {
            let d = l.rate(&k("a"), false, 5, 0, 1000);
            assert!(!d.exceeded);
            assert_eq!(d.remaining, 5 - i);
        }
        let d = l.rate(&k("a"), false, 5, 0, 1000);
        assert!(d.exceeded);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset_secs, 60);
        assert!(!l.rate(&k("a"), true, 5, 0, 1000).exceeded);
        assert!(!l.rate(&k("b"), false, 5, 0, 1000).exceeded);
        // Next window starts fresh.
        assert!(!l.rate(&k("a"), false, 5, 0, 61_000).exceeded);
    }

    #[test]
    fn five_failures_lock_out_and_success_resets() {
        let mut l = Limits::default();
        for _ in 0..4 {
            l.record_auth_outcome(&k("x"), 401, 0);
        }
        l.record_auth_outcome(&k("x"), 200, 0);
        assert!(l.locked_out(&k("x"), 1).is_none());
        for _ in 0..5 {
            l.record_auth_outcome(&k("x"), 401, 0);
        }
        assert_eq!(l.locked_out(&k("x"), 1).map(|x| x.0), Some(5));
        assert_eq!(l.locked_out(&k("x"), 2).map(|x| x.0), Some(6));
        assert!(l.locked_out(&k("other"), 2).is_none());
        assert!(l.locked_out(&k("x"), 200_000).is_none());
    }
}
