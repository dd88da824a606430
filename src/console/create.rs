//! Creating a component, of any type, without ever making a duplicate or losing track of one.
//!
//! Creates always carry an explicit `id`. When the answer is lost or a 5xx arrives, the client
//! reads `GET /components/{id}?cache=skip`: a component with that id, type and display name is
//! adopted; a 404 makes a resend safe; a 409 on a resend is resolved the same way. What is left
//! is classified here, once, as [`CreateError`]: nothing was created (the id was taken, or the
//! console refused), or the outcome is uncertain (the caller must settle it by reading back).

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use serde::Serialize;
use thiserror::Error;

use super::client::{label, ConsoleClient, RetryMode};
use super::error::ConsoleError;
use super::models::{Component, GetOptions};

/// What a create is expected to produce: how its lost answer is recognised.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The explicit id sent in the body.
    pub id: &'a str,
    pub display_name: &'a str,
    /// The console's component type, e.g. `fabric-ca` or `fabric-peer`.
    pub component_type: &'a str,
}

impl Expected<'_> {
    /// Same type and display name: the component our request created.
    pub fn matches(&self, c: &Component) -> bool {
        c.display_name == self.display_name
            && c.component_type.as_deref() == Some(self.component_type)
    }
}

/// A create that did not return the component.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum CreateError {
    /// Another component holds the id: nothing was created; another id may be tried.
    #[error("{0}")]
    IdTaken(ConsoleError),
    /// The console refused the request before creating anything.
    #[error("{0}")]
    Refused(ConsoleError),
    /// The console may or may not have created it (lost answer, timeout, interruption).
    #[error("{0}")]
    Uncertain(ConsoleError),
}

impl CreateError {
    /// Decides "was it created?" for an error the create call ended with.
    pub fn classify(e: ConsoleError) -> Self {
        match e {
            ConsoleError::Conflict { .. } => CreateError::IdTaken(e),
            // Turned away before anything was made: a 429 by the limiter; after a 500 athena
            // removes what its deployer made (and the read-back found nothing).
            ConsoleError::BadRequest { .. }
            | ConsoleError::Unauthorized { .. }
            | ConsoleError::LockedOut { .. }
            | ConsoleError::Forbidden { .. }
            | ConsoleError::RateLimited { .. }
            | ConsoleError::Server { .. }
            | ConsoleError::Config(_)
            | ConsoleError::IamToken { .. }
            | ConsoleError::ImportOnly { .. }
            | ConsoleError::UntrustedCertificate { .. }
            | ConsoleError::CredentialsRefused { .. } => CreateError::Refused(e),
            _ => CreateError::Uncertain(e),
        }
    }

    /// The console error behind it.
    pub fn into_console_error(self) -> ConsoleError {
        match self {
            CreateError::IdTaken(e) | CreateError::Refused(e) | CreateError::Uncertain(e) => e,
        }
    }

    /// The console error behind it.
    pub fn console_error(&self) -> &ConsoleError {
        match self {
            CreateError::IdTaken(e) | CreateError::Refused(e) | CreateError::Uncertain(e) => e,
        }
    }
}

/// Held by the one create of a (type, display name) in flight in this client.
pub type NameLock = tokio::sync::OwnedMutexGuard<()>;

/// The per-name create locks of one client.
#[derive(Debug, Default)]
pub(crate) struct NameLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl ConsoleClient {
    /// Waits until no other create of `display_name` (of this type) runs in this client.
    pub async fn create_lock(&self, component_type: &str, display_name: &str) -> NameLock {
        let lock = {
            let mut locks = self
                .inner
                .name_locks
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            locks
                .entry(format!("{component_type}\n{display_name}"))
                .or_default()
                .clone()
        };
        lock.lock_owned().await
    }

    /// POSTs `body` (which must carry `expected.id`) to `segments` and makes the outcome as
    /// certain as the console allows: adopted on a lost answer, resent when the read-back
    /// proves nothing was made, otherwise classified.
    pub async fn create_component(
        &self,
        segments: &[&str],
        body: &(impl Serialize + Sync),
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError> {
        let id = expected.id;
        let url = self.api_url(segments, &[]);
        let request = label(&Method::POST, &url);
        let policy = self.inner.policy;
        let mut retries = 0u32;
        loop {
            let err = match self
                .call::<Component>(
                    Method::POST,
                    url.clone(),
                    Some(body),
                    RetryMode::NoBlindRetry,
                )
                .await
            {
                Ok((_, c)) => return Ok(c),
                Err(e) => e,
            };
            let may_resend = match &err {
                // Import-only consoles refuse before doing anything.
                ConsoleError::ImportOnly { .. } => return Err(CreateError::Refused(err)),
                ConsoleError::Ambiguous { .. } | ConsoleError::Unavailable { .. } => true,
                // athena removes what a failed deployer call made; still check.
                ConsoleError::Server { .. } => false,
                // Our own earlier attempt may have succeeded.
                ConsoleError::Conflict { .. } if retries > 0 => false,
                _ => return Err(CreateError::classify(err)),
            };
            tracing::warn!(%request, id, "create outcome uncertain, reading back: {err}");
            match self.get_component(id, GetOptions::fresh()).await {
                Ok(found) if expected.matches(&found) => {
                    tracing::info!(%request, id, "adopting the component the console created");
                    return Ok(found);
                }
                Ok(found) => {
                    return Err(CreateError::IdTaken(ConsoleError::Conflict {
                        request,
                        msg: format!(
                            "id {id} already belongs to another component ({:?}, type {})",
                            found.display_name,
                            found.component_type.as_deref().unwrap_or("unknown")
                        ),
                    }))
                }
                Err(e) if e.is_not_found() => {
                    if err.is_conflict() {
                        // Our resend was refused for this id, yet no component has it: athena
                        // holds a create POST while its deployer works and stores the component
                        // only afterwards (docs/dev/console-api.md#create-waits-for-the-deployer), so our
                        // earlier attempt is still being created: uncertain, not taken.
                        return Err(CreateError::Uncertain(ConsoleError::Ambiguous {
                            request,
                            detail: format!(
                                "{err}; the console does not show {id} yet, so an earlier attempt of this create is probably still in progress"
                            ),
                        }));
                    }
                    if !may_resend || retries >= policy.max_retries {
                        return Err(CreateError::classify(err));
                    }
                }
                Err(e @ ConsoleError::Cancelled { .. }) => return Err(CreateError::Uncertain(e)),
                Err(read_err) => {
                    // Cannot tell whether it exists: never resend blindly.
                    return Err(CreateError::Uncertain(ConsoleError::Ambiguous {
                        request,
                        detail: format!("{err}; reading it back also failed: {read_err}"),
                    }));
                }
            }
            let wait = policy.backoff(retries, rand::random::<f64>());
            retries += 1;
            if let Err(e) = self.pause(wait, &request).await {
                return Err(CreateError::Uncertain(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{component_json, test_client, FakeServer, Reply, Seen};
    use super::*;

    const PEER_ROUTE: [&str; 3] = ["kubernetes", "components", "fabric-peer"];

    fn expected() -> Expected<'static> {
        Expected {
            id: "peer0org1",
            display_name: "Peer0 Org1",
            component_type: "fabric-peer",
        }
    }

    #[tokio::test]
    async fn a_lost_peer_create_answer_is_adopted_by_type() {
        // The POST's answer is lost; the read-back shows the peer: it is ours, not a conflict.
        let server = FakeServer::start(|req: &Seen, _| match req.method.as_str() {
            "POST" => Reply::Drop,
            _ => Reply::Json(
                200,
                component_json("peer0org1", "Peer0 Org1", "fabric-peer"),
            ),
        })
        .await;
        let c = test_client(&server);
        let body = serde_json::json!({"id": "peer0org1", "display_name": "Peer0 Org1"});
        let created = c
            .create_component(&PEER_ROUTE, &body, &expected())
            .await
            .unwrap();
        assert_eq!(created.id, "peer0org1");
        assert_eq!(
            server.count("POST", "/ak/api/v3/kubernetes/components/fabric-peer"),
            1,
            "never resent once the read-back found it"
        );
    }

    #[tokio::test]
    async fn another_type_under_the_id_is_not_adopted() {
        let server = FakeServer::start(|req: &Seen, _| match req.method.as_str() {
            "POST" => Reply::Drop,
            _ => Reply::Json(200, component_json("peer0org1", "Peer0 Org1", "fabric-ca")),
        })
        .await;
        let c = test_client(&server);
        let body = serde_json::json!({"id": "peer0org1"});
        let err = c
            .create_component(&PEER_ROUTE, &body, &expected())
            .await
            .unwrap_err();
        assert!(matches!(err, CreateError::IdTaken(_)), "{err:?}");
    }

    #[test]
    fn classification_decides_once_whether_anything_was_created() {
        let request = "POST /x".to_owned();
        let refused = [
            ConsoleError::BadRequest {
                request: request.clone(),
                msgs: vec![],
            },
            ConsoleError::Unauthorized {
                request: request.clone(),
            },
            ConsoleError::RateLimited {
                request: request.clone(),
                retry_after: None,
            },
            ConsoleError::ImportOnly {
                request: request.clone(),
                msg: String::new(),
            },
        ];
        for e in refused {
            assert!(matches!(CreateError::classify(e), CreateError::Refused(_)));
        }
        let uncertain = [
            ConsoleError::Ambiguous {
                request: request.clone(),
                detail: String::new(),
            },
            ConsoleError::Timeout {
                request: request.clone(),
            },
            ConsoleError::Cancelled {
                request: request.clone(),
            },
        ];
        for e in uncertain {
            assert!(matches!(
                CreateError::classify(e),
                CreateError::Uncertain(_)
            ));
        }
        let taken = ConsoleError::Conflict {
            request,
            msg: String::new(),
        };
        assert!(matches!(
            CreateError::classify(taken),
            CreateError::IdTaken(_)
        ));
    }
}
