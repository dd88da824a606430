//! Component hosts: the running servers behind the deployed components of one type (a CA's
//! Fabric CA endpoint; later a peer's or an ordering node's), and the registry the emulated
//! deployer dispatches to by component type.
//!
//! The deployer owns what every deployed component shares (validation, id, the in-flight set, the
//! generic document fields, storing the doc); a host owns its servers: it starts them for a new
//! component, says which document fields the deployment decides (URLs, MSP, the type's defaults),
//! refuses updates its type cannot take, stops them on delete and brings them back from the store
//! after a restart. A type without a host is validated and then refused (`deployer::create`).

mod ca;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::ca_host::CaHost;
use crate::error::EmulatorError;
use crate::store::Store;

pub use ca::DEFAULT_CA_VERSION;

/// The future of a host call (boxed so the trait is object safe).
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The servers behind the deployed components of one type, for one console.
pub trait ComponentHost: Send + Sync {
    /// The component type (`fabric-ca`, ...) this host runs.
    fn component_type(&self) -> &'static str;

    /// Starts the servers of new component `id` from its validated create body. They refuse
    /// connections until `delay` has passed, as a real component does while its pods start
    /// (docs/dev/console-api.md#readiness). Returns the document fields the deployment decides; the
    /// deployer adds the generic ones.
    fn deploy<'a>(
        &'a self,
        id: &'a str,
        body: &'a Value,
        delay: Duration,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>>;

    /// Why this type's deployer refuses the validated create `body` before it creates anything,
    /// if it does; athena relays the deployer's error (docs/dev/console-api.md#replicas-need-postgresql).
    fn refuse_create(&self, _body: &Value) -> Option<String> {
        None
    }

    /// Why the deployer refuses to set `field` to `value` on the deployed component `doc`, if it
    /// does (the type's own update rules; the spec's come first). athena relays the deployer's
    /// error.
    fn refuse_update(&self, _doc: &Value, _field: &str, _value: &Value) -> Option<String> {
        None
    }

    /// Applies an accepted `config_override` update (as athena forwards it) to the running
    /// servers of `id`.
    fn reconfigure<'a>(
        &'a self,
        _id: &'a str,
        _config_override: &'a Value,
    ) -> HostFuture<'a, Result<(), EmulatorError>> {
        Box::pin(async { Ok(()) })
    }

    /// Stops the servers of `id` and forgets their stored state (delete, or a create that will
    /// not be recorded).
    fn remove<'a>(&'a self, id: &'a str) -> HostFuture<'a, Result<(), EmulatorError>>;

    /// Restarts every component whose state this host stored (an emulator restarted on the same
    /// database), serving at once.
    fn restore(&self) -> HostFuture<'_, Result<(), EmulatorError>>;

    /// Whether the servers of `id` serve yet.
    fn is_serving<'a>(&'a self, id: &'a str) -> HostFuture<'a, bool>;

    /// Stops every server; the stored state stays.
    fn shutdown(&self) -> HostFuture<'_, ()>;
}

/// The hosts of one console, keyed by component type.
#[derive(Default)]
pub struct ComponentHosts {
    by_type: BTreeMap<&'static str, Box<dyn ComponentHost>>,
}

impl ComponentHosts {
    /// The hosts this emulator has: `fabric-ca`.
    pub fn standard(console: &str, store: Store) -> ComponentHosts {
        let mut hosts = ComponentHosts::default();
        hosts.register(Box::new(CaHost::new(console, store)));
        hosts
    }

    /// Adds `host` for its type, replacing (and returning) the one registered before.
    pub fn register(&mut self, host: Box<dyn ComponentHost>) -> Option<Box<dyn ComponentHost>> {
        self.by_type.insert(host.component_type(), host)
    }

    /// The host of `component_type`, if the emulated deployer runs that type.
    pub fn get(&self, component_type: &str) -> Option<&dyn ComponentHost> {
        self.by_type.get(component_type).map(|h| h.as_ref())
    }

    /// Restores every host's stored components (each host logs and skips what it cannot restore).
    pub async fn restore(&self) -> Result<(), EmulatorError> {
        for host in self.by_type.values() {
            host.restore().await?;
        }
        Ok(())
    }

    /// Stops every host's servers.
    pub async fn shutdown(&self) {
        for host in self.by_type.values() {
            host.shutdown().await;
        }
    }
}

/// A host that runs no server and records every call, so tests can see the deployer dispatch.
#[cfg(test)]
pub(crate) mod recording {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;

    /// The calls a [`RecordingHost`] received, as `"<call> <id>"`.
    pub type Calls = Arc<Mutex<Vec<String>>>;

    pub struct RecordingHost {
        pub component_type: &'static str,
        pub calls: Calls,
    }

    impl RecordingHost {
        pub fn new(component_type: &'static str) -> (RecordingHost, Calls) {
            let calls = Calls::default();
            let host = RecordingHost {
                component_type,
                calls: calls.clone(),
            };
            (host, calls)
        }

        fn record(&self, call: String) {
            self.calls.lock().unwrap().push(call);
        }
    }

    impl ComponentHost for RecordingHost {
        fn component_type(&self) -> &'static str {
            self.component_type
        }

        fn deploy<'a>(
            &'a self,
            id: &'a str,
            _body: &'a Value,
            delay: Duration,
        ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
            self.record(format!("deploy {id} {}ms", delay.as_millis()));
            let mut fields = Map::new();
            fields.insert("api_url".into(), json!(format!("grpcs://{id}.host:7051")));
            Box::pin(async move { Ok(fields) })
        }

        fn refuse_update(&self, _doc: &Value, field: &str, _value: &Value) -> Option<String> {
            self.record(format!("refuse_update {field}"));
            (field == "zone").then(|| "the recording host keeps its zone".to_string())
        }

        fn remove<'a>(&'a self, id: &'a str) -> HostFuture<'a, Result<(), EmulatorError>> {
            self.record(format!("remove {id}"));
            Box::pin(async { Ok(()) })
        }

        fn restore(&self) -> HostFuture<'_, Result<(), EmulatorError>> {
            self.record("restore".into());
            Box::pin(async { Ok(()) })
        }

        fn is_serving<'a>(&'a self, id: &'a str) -> HostFuture<'a, bool> {
            self.record(format!("is_serving {id}"));
            Box::pin(async { true })
        }

        fn shutdown(&self) -> HostFuture<'_, ()> {
            self.record("shutdown".into());
            Box::pin(async {})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::recording::RecordingHost;
    use super::*;

    #[tokio::test]
    async fn hosts_are_found_by_type_and_all_restore_and_stop() {
        let mut hosts = ComponentHosts::standard("r1", Store::open(None).unwrap());
        assert_eq!(
            hosts.get("fabric-ca").map(|h| h.component_type()),
            Some("fabric-ca")
        );
        assert!(hosts.get("fabric-peer").is_none());
        let (peer, calls) = RecordingHost::new("fabric-peer");
        assert!(hosts.register(Box::new(peer)).is_none());
        assert!(hosts.get("fabric-peer").is_some());
        hosts.restore().await.unwrap();
        hosts.shutdown().await;
        assert_eq!(*calls.lock().unwrap(), ["restore", "shutdown"]);
    }

    #[tokio::test]
    async fn registering_a_type_again_replaces_its_host() {
        let mut hosts = ComponentHosts::standard("r1", Store::open(None).unwrap());
        let (fake, calls) = RecordingHost::new("fabric-ca");
        let old = hosts.register(Box::new(fake));
        assert_eq!(old.map(|h| h.component_type()), Some("fabric-ca"));
        let host = hosts.get("fabric-ca").unwrap();
        assert!(host.is_serving("x").await);
        host.remove("x").await.unwrap();
        assert_eq!(*calls.lock().unwrap(), ["is_serving x", "remove x"]);
    }
}
