//! Component hosts: the running servers behind the deployed components of one type (a CA's
//! Fabric CA endpoint, a peer's listeners; later an ordering node's), and the registry the
//! emulated deployer dispatches to by component type.
//!
//! The deployer owns what every deployed component shares (validation, id, the in-flight set, the
//! generic document fields, storing the doc); a host owns its servers: it starts them for a new
//! component, says which document fields the deployment decides (URLs, MSP, the type's defaults),
//! refuses updates its type cannot take, stops them on delete and brings them back from the store
//! after a restart. A type without a host is validated and then refused (`deployer::create`).

mod ca;
mod peer;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};

use super::common::truthy;
use crate::ca_host::CaHost;
use crate::error::EmulatorError;
use crate::peer::PeerHost;
use crate::store::Store;

pub use ca::DEFAULT_CA_VERSION;
pub use peer::DEFAULT_PEER_VERSION;

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

    /// Carries out a validated update body on the deployment of `id` (document `doc`) and
    /// returns the fields athena stores afterwards, in athena's field names ([`doc_path`]); a
    /// null value is not stored.
    fn update<'a>(
        &'a self,
        _id: &'a str,
        doc: &'a Value,
        patch: &'a Map<String, Value>,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
        Box::pin(async move { Ok(generic_update(doc, patch)) })
    }

    /// Replaces the admin certificates of the deployment of `id` (the deployer's
    /// `PUT .../component/{name}/admincerts`, `deployer_lib.js` `edit_admin_certs`); the
    /// document follows at the next deployment-attribute read.
    fn put_admin_certs<'a>(
        &'a self,
        _id: &'a str,
        _certs: Vec<String>,
    ) -> HostFuture<'a, Result<(), EmulatorError>> {
        Box::pin(async {
            Err(EmulatorError::Deployer {
                status: 400,
                body: serde_json::json!({"status": 400, "message": "this component has no admin certificates"}),
            })
        })
    }

    /// The deployer's current view of the deployment of `id` in athena's field names
    /// (`comp_formatting_lib.js` `conform_deployer_field_names`), when the host keeps one:
    /// deployment-attribute reads sync it into the document ([`sync_with_deployer`]).
    fn deployer_data<'a>(&'a self, _id: &'a str) -> HostFuture<'a, Option<Map<String, Value>>> {
        Box::pin(async { None })
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
    /// The hosts this emulator has: `fabric-ca` and `fabric-peer`.
    pub fn standard(console: &str, store: Store) -> ComponentHosts {
        let mut hosts = ComponentHosts::default();
        hosts.register(Box::new(CaHost::new(console, store.clone())));
        hosts.register(Box::new(PeerHost::new(console, store)));
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

/// The update of a host that keeps no deployer record: `config_override` (as athena forwards it)
/// replaces the stored one as sent, `replicas`, `resources`, `version` and `zone` replace theirs
/// (athena's update path: `record_deployer_operation` falls back to the request body,
/// `component_lib.js` `edit_component` overwrites the field; no redaction there).
pub(crate) fn generic_update(_doc: &Value, patch: &Map<String, Value>) -> Map<String, Value> {
    let mut fields = Map::new();
    for (k, v) in patch {
        if matches!(
            k.as_str(),
            "config_override" | "replicas" | "resources" | "version" | "zone"
        ) {
            fields.insert(k.clone(), v.clone());
        }
    }
    fields
}

/// Where athena's internal field `name` lives in the emulator's document, which is kept in the
/// v3 shape athena answers with (`comp_formatting_lib.js` `fmt_component_resp` `fmt_v3` moves
/// the certificates under `msp`).
pub(crate) fn doc_path(name: &str) -> Vec<&str> {
    match name {
        "admin_certs" => vec!["msp", "component", "admin_certs"],
        "ecert" => vec!["msp", "component", "ecert"],
        "tls_cert" => vec!["msp", "component", "tls_cert"],
        "tls_ca_root_certs" => vec!["msp", "tlsca", "root_certs"],
        "ca_root_certs" => vec!["msp", "ca", "root_certs"],
        "ca_name" => vec!["msp", "ca", "name"],
        "tlsca_name" => vec!["msp", "tlsca", "name"],
        other => vec![other],
    }
}

/// The value of athena's field `name` in `doc`.
pub(crate) fn doc_field<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc_path(name)
        .into_iter()
        .try_fold(doc, |v, key| v.get(key))
}

/// Sets athena's field `name` in `doc`, creating the objects on the way.
pub(crate) fn set_doc_field(doc: &mut Value, name: &str, value: Value) {
    let path = doc_path(name);
    let mut cur = doc;
    for key in &path[..path.len() - 1] {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        let next = obj
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        cur = next;
    }
    if let (Some(obj), Some(last)) = (cur.as_object_mut(), path.last()) {
        obj.insert(last.to_string(), value);
    }
}

/// The fields athena compares with the deployer's (`deployer_lib.js`
/// `deployer_has_a_different_value`).
const SYNCED_FIELDS: [&str; 25] = [
    "admin_certs",
    "resources",
    "storage",
    "version",
    "zone",
    "state_db",
    "region",
    "dep_component_id",
    "ca_name",
    "tlsca_name",
    "api_url",
    "grpcwp_url",
    "operations_url",
    "osnadmin_url",
    "tls_cert",
    "config_override",
    "node_ou",
    "ecert",
    "tls_ca_root_certs",
    "ca_root_certs",
    "crypto",
    "api_url_saas",
    "grpcwp_url_saas",
    "operations_url_saas",
    "osnadmin_url_saas",
];

/// `deployer_has_a_different_value`: every compared field the deployer has a value for (not
/// null, `false` counts) and that differs is copied into `doc`; returns the fields copied.
pub(crate) fn sync_with_deployer(doc: &mut Value, deployer: &Map<String, Value>) -> Vec<String> {
    let mut changed = Vec::new();
    for field in SYNCED_FIELDS {
        let Some(value) = deployer.get(field) else {
            continue;
        };
        if !(truthy(value) || value == &Value::Bool(false)) {
            continue;
        }
        if doc_field(doc, field) != Some(value) {
            set_doc_field(doc, field, value.clone());
            changed.push(field.to_string());
        }
    }
    changed
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
        assert!(hosts.get("fabric-orderer").is_none());
        let (peer, calls) = RecordingHost::new("fabric-peer");
        assert!(
            hosts.register(Box::new(peer)).is_some(),
            "replaces the peer host"
        );
        assert!(hosts.get("fabric-peer").is_some());
        hosts.restore().await.unwrap();
        hosts.shutdown().await;
        assert_eq!(*calls.lock().unwrap(), ["restore", "shutdown"]);
    }

    #[test]
    fn deployer_values_sync_into_the_v3_document() {
        let mut doc = serde_json::json!({"version": "1", "msp": {"component": {"tls_cert": "t"}, "tlsca": {"root_certs": ["athena"]}}});
        let deployer: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "version": "2", "tls_cert": "t", "tls_ca_root_certs": ["tls"], "ca_root_certs": ["ca"],
            "admin_certs": [], "replicas": 3, "zone": "", "node_ou": {"enabled": false}
        }))
        .unwrap();
        let changed = sync_with_deployer(&mut doc, &deployer);
        assert_eq!(
            changed,
            [
                "admin_certs",
                "version",
                "node_ou",
                "tls_ca_root_certs",
                "ca_root_certs"
            ],
            "replicas is not compared, an empty zone is no value"
        );
        assert_eq!(
            doc["msp"]["tlsca"]["root_certs"],
            serde_json::json!(["tls"])
        );
        assert_eq!(doc["msp"]["ca"]["root_certs"], serde_json::json!(["ca"]));
        assert_eq!(
            doc["msp"]["component"]["admin_certs"],
            serde_json::json!([])
        );
        assert!(doc.get("replicas").is_none());
        assert!(sync_with_deployer(&mut doc, &deployer).is_empty());
    }

    #[test]
    fn the_generic_update_replaces_config_override_and_the_rest() {
        let doc = serde_json::json!({"config_override": {"ca": {"a": 1, "b": 2}}});
        let patch: Map<String, Value> = serde_json::from_value(
            serde_json::json!({"config_override": {"ca": {"b": 3}}, "zone": "z", "other": 1}),
        )
        .unwrap();
        let fields = generic_update(&doc, &patch);
        assert_eq!(
            fields["config_override"],
            serde_json::json!({"ca": {"b": 3}})
        );
        assert_eq!(fields["zone"], "z");
        assert!(fields.get("other").is_none());
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
