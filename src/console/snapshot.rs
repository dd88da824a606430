//! One list call shared by every read of a run.
//!
//! Terraform refreshes each resource with its own ReadResource call, and the console allows
//! 100 GETs a minute per client (docs/dev/console-api.md#rate-limits): one GET per resource
//! makes a plan of a few hundred components wait out 429s for minutes. Instead, the first
//! read of a run lists every component (with the deployment attributes a read compares), and
//! the concurrent and later reads of the same run take their component from that list
//! (single flight: concurrent first reads wait for one list call).
//!
//! - Any write through the client invalidates the list (a generation counter, bumped before
//!   and after each write, so a list fetched while a write ran is not kept).
//! - A component missing from the list is looked up directly before it is called gone, so a
//!   stale list never makes a plan re-create something that exists.
//! - A read that confirms a write never uses the list (it calls `get_component` fresh).
//! - A list older than [`MAX_AGE`] is fetched again (a long apply must not read old data).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};
use tokio::time::Instant;

use super::client::ConsoleClient;
use super::error::ConsoleError;
use super::models::{Component, GetOptions};

/// How long a shared list serves reads.
const MAX_AGE: Duration = Duration::from_secs(60);

type Listing = Result<Arc<HashMap<String, Component>>, ConsoleError>;

/// One list and the generation it was fetched in.
struct Entry {
    generation: u64,
    fetched: Instant,
    list: Arc<OnceCell<Listing>>,
}

/// The shared list of one console client (lives in the client's shared state).
#[derive(Default)]
pub(crate) struct Snapshot {
    generation: AtomicU64,
    current: Mutex<Option<Entry>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Marks every list fetched so far as stale (called around each write).
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The cell of the current list, or a new one when there is none, it is older than
    /// [`MAX_AGE`], a write happened since, or its fetch failed.
    async fn cell(&self) -> (u64, Arc<OnceCell<Listing>>) {
        let generation = self.generation.load(Ordering::SeqCst);
        let mut current = self.current.lock().await;
        let fresh = current.as_ref().is_some_and(|e| {
            e.generation == generation
                && e.fetched.elapsed() < MAX_AGE
                && !matches!(e.list.get(), Some(Err(_)))
        });
        if !fresh {
            *current = Some(Entry {
                generation,
                fetched: Instant::now(),
                list: Arc::new(OnceCell::new()),
            });
        }
        let list = current.as_ref().map(|e| e.list.clone()).unwrap_or_default();
        (generation, list)
    }
}

impl ConsoleClient {
    /// The component `id` as a refresh sees it: from the run's shared list when it is there,
    /// otherwise from a direct fresh GET. `None` only when the console itself says it does not
    /// exist. Never use this to confirm a write: use [`ConsoleClient::get_component`].
    pub async fn read_component_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let (current, listing) = self.shared_listing().await;
        match &listing {
            Ok(map) => {
                if let Some(c) = map.get(id) {
                    // A write since the list was fetched may have changed it: the list is only
                    // trusted for the generation it was fetched in.
                    if current {
                        return Ok(Some(c.clone()));
                    }
                }
            }
            // A failed list is not cached; this read falls back to its own GET, and the error
            // (if it persists) surfaces from there.
            Err(e) => tracing::debug!("listing components failed, reading {id} directly: {e}"),
        }
        self.read_component_fresh(id).await
    }

    /// Every component of the console as a refresh sees them (deployment attributes included),
    /// in no particular order: the run's shared list, the same one
    /// [`ConsoleClient::read_component_shared`] reads from, so any number of readers of one run
    /// cost one list call. A list a write has made stale is fetched again, directly.
    pub async fn list_components_shared(&self) -> Result<Vec<Component>, ConsoleError> {
        match self.shared_listing().await {
            (true, Ok(map)) => Ok(map.values().cloned().collect()),
            (false, Ok(_)) => self.list_components_with_deployment().await,
            (_, Err(e)) => Err(e),
        }
    }

    /// The run's shared list, fetched by the first caller (concurrent callers wait for it), and
    /// whether it is still current (no write since it was fetched).
    async fn shared_listing(&self) -> (bool, Listing) {
        let snapshot = &self.inner.snapshot;
        let (generation, cell) = snapshot.cell().await;
        let listing = cell
            .get_or_init(|| async {
                let list = self.list_components_with_deployment().await?;
                Ok(Arc::new(
                    list.into_iter().map(|c| (c.id.clone(), c)).collect(),
                ))
            })
            .await
            .clone();
        let current = snapshot.generation.load(Ordering::SeqCst) == generation;
        (current, listing)
    }

    /// The component `id` straight from the console (`cache=skip`, deployment attributes
    /// included); `None` when the console says it does not exist.
    pub async fn read_component_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let options = GetOptions {
            deployment_attrs: true,
            parsed_certs: false,
            cache_skip: true,
        };
        match self.get_component(id, options).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{component_json, test_client, FakeServer, Reply, Seen};
    use crate::console::EditComponentRequest;

    fn path(seen: &Seen) -> &str {
        seen.target.split('?').next().unwrap_or_default()
    }

    /// A console holding `ids`; `late` exists but is created after any list is taken.
    fn console(ids: &'static [&'static str]) -> impl Fn(&Seen, usize) -> Reply {
        move |seen, _| {
            let p = path(seen);
            if seen.method == "GET" && p == "/ak/api/v3/components" {
                let items: Vec<serde_json::Value> = ids
                    .iter()
                    .map(|id| serde_json::from_str(&component_json(id, id, "fabric-ca")).unwrap())
                    .collect();
                return Reply::Json(200, serde_json::json!({ "components": items }).to_string());
            }
            if seen.method == "GET" {
                let id = p.trim_start_matches("/ak/api/v3/components/");
                if ids.contains(&id) || id == "late" {
                    return Reply::Json(200, component_json(id, id, "fabric-ca"));
                }
                return Reply::Json(
                    404,
                    r#"{"statusCode":404,"msg":"no components by this id exist","reason":"missing"}"#
                        .to_owned(),
                );
            }
            Reply::Json(200, component_json("a", "a", "fabric-ca"))
        }
    }

    #[tokio::test]
    async fn concurrent_reads_share_one_list_call() {
        let server = FakeServer::start(console(&["a", "b", "c"])).await;
        let c = test_client(&server);
        let reads = ["a", "b", "c", "a", "b", "c"].map(|id| {
            let c = c.clone();
            tokio::spawn(async move { c.read_component_shared(id).await })
        });
        for r in reads {
            assert!(r.await.unwrap().unwrap().is_some());
        }
        let seen = server.requests();
        assert_eq!(
            seen.len(),
            1,
            "one list call, no per-component GET: {seen:?}"
        );
        assert!(
            seen[0].target.contains("deployment_attrs=included"),
            "{}",
            seen[0].target
        );
        assert!(seen[0].target.contains("cache=skip"), "{}", seen[0].target);
    }

    #[tokio::test]
    async fn a_component_missing_from_the_list_is_looked_up_before_it_is_gone() {
        let server = FakeServer::start(console(&["a"])).await;
        let c = test_client(&server);
        assert!(c.read_component_shared("a").await.unwrap().is_some());
        // Created after the list was taken: found by its own GET.
        assert!(c.read_component_shared("late").await.unwrap().is_some());
        // Really gone: the console's 404 says so.
        assert!(c.read_component_shared("gone").await.unwrap().is_none());
        assert_eq!(server.count("GET", "/ak/api/v3/components"), 1);
        assert_eq!(server.count("GET", "/ak/api/v3/components/late"), 1);
        assert_eq!(server.count("GET", "/ak/api/v3/components/gone"), 1);
    }

    #[tokio::test]
    async fn a_write_invalidates_the_list() {
        let server = FakeServer::start(console(&["a"])).await;
        let c = test_client(&server);
        c.read_component_shared("a").await.unwrap();
        c.edit_component("fabric-ca", "a", &EditComponentRequest::default())
            .await
            .unwrap();
        c.read_component_shared("a").await.unwrap();
        assert_eq!(server.count("GET", "/ak/api/v3/components"), 2);
    }

    #[tokio::test]
    async fn readers_of_the_whole_list_share_the_one_list_call_too() {
        let server = FakeServer::start(console(&["a", "b"])).await;
        let c = test_client(&server);
        let lists = (0..4).map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_components_shared().await })
        });
        for l in lists {
            let mut ids: Vec<String> = l
                .await
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            ids.sort();
            assert_eq!(ids, ["a", "b"]);
        }
        assert!(c.read_component_shared("b").await.unwrap().is_some());
        assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
        // A write makes the list stale: the next reader lists again.
        c.edit_component("fabric-ca", "a", &EditComponentRequest::default())
            .await
            .unwrap();
        assert_eq!(c.list_components_shared().await.unwrap().len(), 2);
        assert_eq!(server.count("GET", "/ak/api/v3/components"), 2);
    }

    #[tokio::test]
    async fn a_failed_list_is_not_kept() {
        let server = FakeServer::start(|seen: &Seen, i| {
            if i == 0 {
                return Reply::Json(400, r#"{"statusCode":400,"msgs":["bad"]}"#.to_owned());
            }
            if path(seen) == "/ak/api/v3/components" {
                return Reply::Json(200, r#"{"components":[]}"#.to_owned());
            }
            Reply::Json(200, component_json("a", "a", "fabric-ca"))
        })
        .await;
        let c = test_client(&server);
        // The list failed: the read falls back to its own GET.
        assert!(c.read_component_shared("a").await.unwrap().is_some());
        assert!(c.read_component_shared("a").await.unwrap().is_some());
        assert_eq!(server.count("GET", "/ak/api/v3/components"), 2);
    }
}
