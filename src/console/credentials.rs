//! One wrong secret must not lock the user out.
//!
//! The console locks a client out after 5 failed logins (docs/dev/console-api.md#lockout), and
//! Terraform calls every resource of a plan in parallel: ten resources with a wrong
//! `api_secret` would send ten requests, and the right secret would then be refused for
//! minutes. So, per provider instance, requests go one at a time until the credentials have
//! been accepted once, and after the first refusal (the console's 401 or 402, or IAM refusing
//! the key) no further request is sent at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tokio::sync::{Mutex as AsyncMutex, MutexGuard};

use super::client::Answer;
use super::error::ConsoleError;

/// The credential state of one client.
#[derive(Debug, Default)]
pub(crate) struct CredentialGate {
    /// Set once an answer shows the credentials work.
    accepted: AtomicBool,
    /// The first refusal, once there was one.
    refused: Mutex<Option<String>>,
    /// Held by the one request in flight while the credentials are unproven.
    probing: AsyncMutex<()>,
}

impl CredentialGate {
    fn refusal(&self, request: &str) -> Result<(), ConsoleError> {
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match refused.as_ref() {
            Some(first) => Err(ConsoleError::CredentialsRefused {
                request: request.to_owned(),
                first: first.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Waits for this request's turn: at once when the credentials are proven, else after the
    /// request in flight; refused when the credentials were refused.
    pub(crate) async fn admit(
        &self,
        request: &str,
    ) -> Result<Option<MutexGuard<'_, ()>>, ConsoleError> {
        self.refusal(request)?;
        if self.accepted.load(Ordering::Acquire) {
            return Ok(None);
        }
        let turn = self.probing.lock().await;
        self.refusal(request)?;
        // Proven while this request waited: no need to hold the others back.
        if self.accepted.load(Ordering::Acquire) {
            return Ok(None);
        }
        Ok(Some(turn))
    }

    /// Learns from a request's outcome.
    pub(crate) fn record(&self, result: &Result<Answer, ConsoleError>) {
        match result {
            Ok(_) => self.accepted.store(true, Ordering::Release),
            Err(e) if e.is_credential_failure() => {
                let mut refused = self
                    .refused
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                refused.get_or_insert_with(|| e.to_string());
            }
            Err(e) if e.proves_authentication() => self.accepted.store(true, Ordering::Release),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{test_client, FakeServer, Reply, Seen};
    use super::*;

    #[tokio::test]
    async fn ten_parallel_requests_with_a_wrong_secret_send_one() {
        let server =
            FakeServer::start(|_: &Seen, _| Reply::Json(401, "Unauthorized".to_owned())).await;
        let c = test_client(&server);
        let calls: Vec<_> = (0..10)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move { c.read_component_fresh(&format!("ca{i}")).await })
            })
            .collect();
        let mut refused_early = 0;
        for call in calls {
            match call.await.unwrap() {
                Err(ConsoleError::Unauthorized { .. }) => {}
                Err(ConsoleError::CredentialsRefused { .. }) => refused_early += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(server.requests().len(), 1, "one failed login, not ten");
        assert_eq!(refused_early, 9);
    }

    #[tokio::test]
    async fn accepted_credentials_let_requests_run_in_parallel() {
        let server = FakeServer::start(|_: &Seen, _| {
            Reply::Json(
                404,
                r#"{"statusCode":404,"msg":"no components by this id exist","reason":"missing"}"#
                    .to_owned(),
            )
        })
        .await;
        let c = test_client(&server);
        assert!(c.read_component_fresh("a").await.unwrap().is_none());
        assert!(c.inner.credentials.accepted.load(Ordering::Acquire));
        assert!(c.inner.credentials.admit("GET /x").await.unwrap().is_none());
    }
}
