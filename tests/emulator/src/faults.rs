//! Fault injection for reliability tests: 429 bursts, 5xx, dropped connections, lost create
//! and write responses, latency, slow deployer creates and held deployer updates and deletes.
//! These are switches of the emulator, not behaviours of the real console.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Current fault switches (also the JSON shape of `GET /_emulator/stats` "faults").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FaultState {
    pub rate_limit_burst: u32,
    pub retry_after_secs: u64,
    pub server_errors: u32,
    pub server_error_status: u16,
    pub drop_connections: u32,
    pub lose_next_create_response: bool,
    /// The next POST, PUT or DELETE is processed, then its connection is dropped.
    pub lose_next_write_response: bool,
    /// The request-level faults (429, 5xx, drops) skip GETs and count down on writes only.
    pub writes_only: bool,
    pub latency_ms: u64,
    /// Deployer latency of creates (CAs and peers); when non-zero it replaces
    /// [`crate::EmulatorConfig::create_latency`].
    pub create_latency_ms: u64,
    /// How long every deployer update and delete is held before it is processed.
    pub write_latency_ms: u64,
}

/// What the server must do with the current request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    RateLimited { retry_after_secs: u64 },
    ServerError(u16),
    Drop,
}

/// Per-console handle to switch faults on; clones share state.
#[derive(Clone, Default)]
pub struct FaultInjector {
    state: Arc<Mutex<FaultState>>,
    /// Deployer updates and deletes being held by [`FaultInjector::write_latency`] right now.
    held_writes: Arc<AtomicUsize>,
}

/// Counts one held write while it lives.
pub(crate) struct HeldWrite(Arc<AtomicUsize>);

impl Drop for HeldWrite {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FaultInjector {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The next `n` requests get a 429 with `Retry-After: retry_after_secs` (athena's body and headers).
    pub fn rate_limit_burst(&self, n: u32, retry_after_secs: u64) -> &Self {
        self.with(|s| {
            s.rate_limit_burst = n;
            s.retry_after_secs = retry_after_secs;
        });
        self
    }

    /// The next `n` requests get `status` (a 5xx).
    pub fn server_errors(&self, n: u32, status: u16) -> &Self {
        self.with(|s| {
            s.server_errors = n;
            s.server_error_status = status;
        });
        self
    }

    /// The next `n` requests have their connection closed without a response.
    pub fn drop_connections(&self, n: u32) -> &Self {
        self.with(|s| s.drop_connections = n);
        self
    }

    /// `true`: the request-level faults (429 bursts, 5xx, drops) leave GETs alone and hit the
    /// next POST, PUT or DELETE requests, so a test can aim them at a create, an update or a
    /// delete past the reads before it.
    pub fn writes_only(&self, on: bool) -> &Self {
        self.with(|s| s.writes_only = on);
        self
    }

    /// The next create (POST import or deployer create) is processed, then its connection is dropped.
    pub fn lose_next_create_response(&self) -> &Self {
        self.with(|s| s.lose_next_create_response = true);
        self
    }

    /// The next POST, PUT or DELETE (a create, an edit, a deployer update or a delete) is
    /// processed, then its connection is dropped: the client cannot tell whether it happened.
    pub fn lose_next_write_response(&self) -> &Self {
        self.with(|s| s.lose_next_write_response = true);
        self
    }

    /// Extra latency before every request is handled.
    pub fn latency(&self, d: Duration) -> &Self {
        self.with(|s| s.latency_ms = d.as_millis() as u64);
        self
    }

    /// Holds every valid deployer create for `d` before answering (the deployer reconciling the
    /// CR); zero falls back to the configured `create_latency`. See `console::deployer::create`.
    pub fn create_latency(&self, d: Duration) -> &Self {
        self.with(|s| s.create_latency_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Holds every deployer update and delete (`PUT`/`DELETE /kubernetes/components/...`) for
    /// `d` before it is processed, as a deployer reconciling the change would; a client that
    /// hangs up meanwhile does not stop it (routes run detached, `server.rs`). Zero: no hold.
    pub fn write_latency(&self, d: Duration) -> &Self {
        self.with(|s| s.write_latency_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Deployer updates and deletes held by [`FaultInjector::write_latency`] right now.
    pub fn writes_held(&self) -> usize {
        self.held_writes.load(Ordering::SeqCst)
    }

    /// Switches every fault off.
    pub fn clear(&self) -> &Self {
        self.with(|s| *s = FaultState::default());
        self
    }

    /// A copy of the switches.
    pub fn snapshot(&self) -> FaultState {
        self.with(|s| s.clone())
    }

    /// Replaces the switches (the HTTP admin route).
    pub fn set(&self, state: FaultState) {
        self.with(|s| *s = state);
    }

    pub(crate) fn latency_value(&self) -> Duration {
        Duration::from_millis(self.with(|s| s.latency_ms))
    }

    /// The create latency switch, `None` when off.
    pub(crate) fn create_latency_value(&self) -> Option<Duration> {
        let ms = self.with(|s| s.create_latency_ms);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// The write hold switch, `None` when off.
    pub(crate) fn write_latency_value(&self) -> Option<Duration> {
        let ms = self.with(|s| s.write_latency_ms);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// Marks one write as held until the guard is dropped.
    pub(crate) fn hold_write(&self) -> HeldWrite {
        self.held_writes.fetch_add(1, Ordering::SeqCst);
        HeldWrite(self.held_writes.clone())
    }

    /// Consumes one pending request-level fault, in a fixed order: drop, 429, 5xx. With
    /// `writes_only` set, a GET (`is_write` false) consumes nothing.
    pub(crate) fn take_request_fault(&self, is_write: bool) -> Option<Fault> {
        self.with(|s| {
            if s.writes_only && !is_write {
                return None;
            }
            if s.drop_connections > 0 {
                s.drop_connections -= 1;
                return Some(Fault::Drop);
            }
            if s.rate_limit_burst > 0 {
                s.rate_limit_burst -= 1;
                return Some(Fault::RateLimited {
                    retry_after_secs: s.retry_after_secs,
                });
            }
            if s.server_errors > 0 {
                s.server_errors -= 1;
                return Some(Fault::ServerError(s.server_error_status));
            }
            None
        })
    }

    /// Consumes the lost-create switch.
    pub(crate) fn take_lose_create(&self) -> bool {
        self.with(|s| std::mem::take(&mut s.lose_next_create_response))
    }

    /// Consumes the lost-write switch.
    pub(crate) fn take_lose_write(&self) -> bool {
        self.with(|s| std::mem::take(&mut s.lose_next_write_response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_and_cleared() {
        let f = FaultInjector::default();
        f.drop_connections(1)
            .rate_limit_burst(1, 7)
            .server_errors(1, 503);
        assert_eq!(f.take_request_fault(true), Some(Fault::Drop));
        assert_eq!(
            f.take_request_fault(true),
            Some(Fault::RateLimited {
                retry_after_secs: 7
            })
        );
        assert_eq!(f.take_request_fault(true), Some(Fault::ServerError(503)));
        assert_eq!(f.take_request_fault(true), None);
        f.lose_next_create_response()
            .latency(Duration::from_millis(5));
        assert!(f.take_lose_create());
        assert!(!f.take_lose_create());
        assert_eq!(f.create_latency_value(), None);
        f.create_latency(Duration::from_millis(1500));
        assert_eq!(f.create_latency_value(), Some(Duration::from_millis(1500)));
        assert_eq!(f.snapshot().create_latency_ms, 1500);
        f.clear();
        assert_eq!(f.snapshot(), FaultState::default());
    }

    #[test]
    fn writes_only_faults_let_reads_through_and_hit_the_next_write() {
        let f = FaultInjector::default();
        f.writes_only(true).server_errors(1, 503);
        assert_eq!(f.take_request_fault(false), None);
        assert_eq!(f.take_request_fault(false), None);
        assert_eq!(f.take_request_fault(true), Some(Fault::ServerError(503)));
        assert_eq!(f.take_request_fault(true), None);
        f.writes_only(false).drop_connections(1);
        assert_eq!(f.take_request_fault(false), Some(Fault::Drop));
    }

    #[test]
    fn lost_write_and_write_hold_switches() {
        let f = FaultInjector::default();
        f.lose_next_write_response();
        assert!(!f.take_lose_create(), "the two switches are separate");
        assert!(f.take_lose_write());
        assert!(!f.take_lose_write());
        assert_eq!(f.write_latency_value(), None);
        f.write_latency(Duration::from_millis(700));
        assert_eq!(f.write_latency_value(), Some(Duration::from_millis(700)));
        assert_eq!(f.writes_held(), 0);
        let (a, b) = (f.hold_write(), f.clone().hold_write());
        assert_eq!(f.writes_held(), 2);
        drop(a);
        assert_eq!(f.writes_held(), 1);
        drop(b);
        assert_eq!(f.writes_held(), 0);
        f.clear();
        assert_eq!(f.write_latency_value(), None);
    }
}
