//! One emulated Operations Console (athena) REST API: state, auth and routing of `/ak/api/v3`.

mod common;
mod components;
mod deployer;
pub mod docs;
pub mod hosts;
mod settings;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex as StdMutex;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::{watch, Mutex};

use crate::clock::Clock;
use crate::error::EmulatorError;
use crate::faults::FaultInjector;
use crate::http::Reply;
use crate::limits::Limits;
use crate::spec::Spec;
use crate::store::Store;
use hosts::ComponentHosts;

/// A parsed incoming request, as the routes need it.
pub struct ApiRequest {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    /// Whether the body was sent as JSON (athena ignores other bodies: `import.wrong-content-type`).
    pub json_body: bool,
    /// The parsed JSON body (`{}` when absent or not JSON).
    pub body: Value,
}

impl ApiRequest {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Mutable component data, guarded by one lock.
#[derive(Default)]
pub(crate) struct Data {
    pub docs: BTreeMap<String, Value>,
    /// Per-id delete results served by plain GETs for 30 s (`delete.get-right-after`).
    pub stale: HashMap<String, (i64, Value)>,
    /// List-by-type cache, 2 minutes (docs/dev/console-api.md#list-caches).
    pub type_cache: HashMap<String, Cached>,
    /// List-by-tag cache, 30 s (docs/dev/console-api.md#list-caches).
    pub tag_cache: HashMap<String, Cached>,
    /// Ids of deployer creates still in flight: the deployer has them, athena has no doc yet.
    pub creating: BTreeSet<String>,
}

/// A cached list result.
#[derive(Clone)]
pub(crate) struct Cached {
    pub expires_ms: i64,
    pub docs: Vec<Value>,
    /// Whether the database was empty when cached (decides the 222 message).
    pub db_empty: bool,
}

/// One console.
pub struct Console {
    pub name: String,
    pub host_url: String,
    api_key: String,
    api_secret: String,
    pub(crate) athena_id: String,
    pub(crate) started_ms: i64,
    pub(crate) clock: Clock,
    pub faults: FaultInjector,
    pub(crate) request_count: AtomicU64,
    pub(crate) limits: StdMutex<Limits>,
    pub(crate) data: Mutex<Data>,
    pub(crate) store: Store,
    /// The servers behind deployed components, by component type.
    pub(crate) hosts: ComponentHosts,
    pub(crate) deployer_delay: Duration,
    /// Configured deployer latency of creates (the fault switch overrides it).
    pub(crate) create_latency: Duration,
    pub(crate) rate_limit: u32,
    pub(crate) spec: &'static Spec,
    /// Flips to true on shutdown, so held creates stop waiting.
    pub(crate) stopping: watch::Sender<bool>,
}

/// Settings the emulator passes to each console.
pub struct ConsoleParams {
    pub name: String,
    pub port: u16,
    pub api_key: String,
    pub api_secret: String,
    pub store: Store,
    pub clock: Clock,
    pub deployer_delay: Duration,
    pub create_latency: Duration,
    pub rate_limit: u32,
}

impl Console {
    /// Builds the console with the standard component hosts and loads its persisted components.
    pub fn new(p: ConsoleParams) -> Result<Console, EmulatorError> {
        let hosts = ComponentHosts::standard(&p.name, p.store.clone());
        Console::with_hosts(p, hosts)
    }

    /// Builds the console with the given component hosts and loads its persisted components (the
    /// hosts' servers come back with [`Console::restore_hosts`]).
    pub fn with_hosts(p: ConsoleParams, hosts: ComponentHosts) -> Result<Console, EmulatorError> {
        let mut data = Data::default();
        for (id, doc) in p.store.load_components(&p.name)? {
            data.docs.insert(id, doc);
        }
        let athena_id: String = (0..5)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rand::random_range(0..36)]))
            .collect();
        Ok(Console {
            host_url: format!("http://127.0.0.1:{}", p.port),
            hosts,
            name: p.name,
            api_key: p.api_key,
            api_secret: p.api_secret,
            athena_id,
            started_ms: p.clock.now_ms(),
            clock: p.clock,
            faults: FaultInjector::default(),
            request_count: AtomicU64::new(0),
            limits: StdMutex::new(Limits::default()),
            data: Mutex::new(data),
            store: p.store,
            deployer_delay: p.deployer_delay,
            create_latency: p.create_latency,
            rate_limit: p.rate_limit,
            spec: Spec::get()?,
            stopping: watch::Sender::new(false),
        })
    }

    pub fn request_count(&self) -> u64 {
        self.request_count.load(Ordering::Relaxed)
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// HTTP Basic `api_key:api_secret` (the configured key holds every role). Anything else is 401
    /// with athena's realm (docs/dev/console-api.md#unauthorized-401).
    pub(crate) fn authorize(&self, req: &ApiRequest) -> Result<(), Reply> {
        let ok = req
            .authorization
            .as_deref()
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .is_some_and(|(k, s)| k == self.api_key && s == self.api_secret);
        if ok {
            Ok(())
        } else {
            Err(Reply::unauthorized(&self.host_url))
        }
    }

    /// Routes one `/ak/api/v3` request (after rate limiting and lockout).
    pub async fn route(&self, req: &ApiRequest) -> Reply {
        if let Some(rest) = req.path.strip_prefix("/ak/api/v2/") {
            return self.route_v2(req, rest).await;
        }
        let Some(rest) = req.path.strip_prefix("/ak/api/v3/") else {
            return Reply::route_not_found();
        };
        let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let m = req.method.as_str();
        let result = match (m, seg.as_slice()) {
            ("GET", ["healthcheck"]) => Ok(Reply::json(200, &json!({"message":"ok","id":self.athena_id}))),
            ("GET", ["settings"]) => Ok(Reply::json(200, &settings::settings(self))),
            ("GET", ["health"]) => self.authorize(req).map(|_| Reply::json(200, &settings::health(self))),
            ("GET", ["components"]) => self.authed(req, components::list_all(self, req)).await,
            ("POST", ["components"]) => self.authed(req, components::import(self, req, None)).await,
            ("GET", ["components", "msps", msp_id]) => Ok(components::msps_by_id(self, msp_id).await),
            ("GET", ["components", "types", t]) => self.authed(req, components::list_by_type(self, req, t)).await,
            ("GET", ["components", "tags", t]) => self.authed(req, components::list_by_tag(self, req, t)).await,
            ("DELETE", ["components", "tags", t]) => self.authed(req, components::delete_by_tag(self, t)).await,
            ("GET", ["components", id]) => self.authed(req, components::get(self, req, id)).await,
            ("PUT", ["components", id]) => self.authed(req, components::edit(self, req, id)).await,
            ("DELETE", ["components", id]) => self.authed(req, components::delete(self, id)).await,
            ("POST", ["components", t]) => self.authed(req, components::import(self, req, Some(t))).await,
            ("PUT", ["components", _t, id]) => self.authed(req, components::edit(self, req, id)).await,
            ("POST", ["kubernetes", "components", t]) => self.authed(req, deployer::create(self, req, t)).await,
            ("PUT", ["kubernetes", "components", id, "certs"]) if !docs::TYPES.contains(id) => self.authed(req, deployer::edit_admin_certs(self, req, id)).await,
            ("PUT", ["kubernetes", "components", _t, id]) => self.authed(req, deployer::update(self, req, id)).await,
            ("DELETE", ["kubernetes", "components", id]) => self.authed(req, deployer::delete(self, id)).await,
            // Only the configured key exists (key management is not emulated); shape from `keys.list`.
            ("GET", ["permissions", "keys"]) => self.authorize(req).map(|_| {
                let key = json!({"api_key": self.api_key, "roles": ["reader", "writer", "manager"], "ts_created": self.started_ms, "description": "emulator key"});
                Reply::json(200, &json!({"message": "ok", "keys": [key]}))
            }),
            ("GET", ["kubernetes", "fabric", "versions"]) => self.authorize(req).map(|_| deployer::versions()),
            _ => Ok(Reply::route_not_found()),
        };
        result.unwrap_or_else(|r| r)
    }

    /// The `/ak/api/v2` reads: athena serves the component GETs under v2 and v3
    /// (`routes/component_apis.js`, `/ak/api/v[123]/components/:id`) and formats them per
    /// version (docs/dev/console-api.md#v2-and-v3-views). v2 writes are not emulated: their
    /// validation spec is not among the fixtures.
    async fn route_v2(&self, req: &ApiRequest, rest: &str) -> Reply {
        let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let result = match (req.method.as_str(), seg.as_slice()) {
            ("GET", ["components"]) => self.authed(req, components::list_all_v2(self, req)).await,
            ("GET", ["components", id]) => {
                self.authed(req, components::get_v2(self, req, id)).await
            }
            _ => Ok(Reply::route_not_found()),
        };
        result.unwrap_or_else(|r| r)
    }

    /// Authorizes, then runs the handler; the handler future is only polled once auth passed.
    async fn authed(
        &self,
        req: &ApiRequest,
        handler: impl std::future::Future<Output = Reply>,
    ) -> Result<Reply, Reply> {
        self.authorize(req)?;
        Ok(handler.await)
    }

    /// Restarts the servers of the components the hosts stored (after a restart on the same database).
    pub async fn restore_hosts(&self) -> Result<(), EmulatorError> {
        self.hosts.restore().await
    }

    /// Stops this console's component servers; creates still held by the deployer give up.
    pub async fn shutdown(&self) {
        self.stopping.send_replace(true);
        self.hosts.shutdown().await;
    }

    /// Whether [`Console::shutdown`] has begun.
    pub(crate) fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// The deployer's view of the created component `id` (athena field names), if its host
    /// keeps one.
    pub async fn deployment(&self, id: &str) -> Option<serde_json::Map<String, Value>> {
        let t = {
            let data = self.data.lock().await;
            let doc = data.docs.get(id)?;
            if doc.get("imported").and_then(Value::as_bool).unwrap_or(true) {
                return None;
            }
            common::component_type(doc)
        };
        self.hosts.get(&t)?.deployer_data(id).await
    }

    /// How many deployer creates are in flight (received, not yet answered).
    pub async fn creates_in_flight(&self) -> usize {
        self.data.lock().await.creating.len()
    }

    /// Stored component documents, in list order, as a plain GET shows them.
    pub async fn component_docs(&self) -> Vec<Value> {
        let data = self.data.lock().await;
        let mut docs: Vec<Value> = data.docs.values().cloned().collect();
        docs::list_order(&mut docs);
        let now = self.now();
        docs.iter()
            .map(|d| docs::render(d, docs::View::default(), now))
            .collect()
    }

    /// `host:port` of every URL of every component (the enroll-host safelist, docs/dev/console-api.md#enroll-host-safelist).
    pub(crate) fn known_hosts(docs: &BTreeMap<String, Value>) -> Vec<String> {
        let mut hosts = Vec::new();
        for d in docs.values() {
            for k in ["api_url", "operations_url", "grpcwp_url", "osnadmin_url"] {
                if let Some(u) = d.get(k).and_then(Value::as_str) {
                    if let Some((_, rest)) = u.split_once("://") {
                        hosts.push(rest.split('/').next().unwrap_or(rest).to_string());
                    }
                }
            }
        }
        hosts
    }
}
