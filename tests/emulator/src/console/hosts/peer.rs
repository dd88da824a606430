//! The `fabric-peer` host: what athena, the deployer and fabric-operator make of a valid
//! `CreatePeerBody` (docs/dev/emulator-peer.md):
//!
//! 1. athena looks up a TLS root certificate (`deployer_lib.js` `provision_component` →
//!    `component_lib.js` `get_root_cert_by_crypto`) and fills in default resources
//!    (`comp_formatting_lib.js` `fill_in_default_resources`, `fmt_body_athena_to_dep`);
//! 2. the operator enrolls the peer's identity and TLS certificate for real at the named CAs, or
//!    takes `crypto.msp` (`crate::peer::operator`); a failure is the deployer's 500 with the
//!    peer's `Error` status, which athena relays;
//! 3. the deployer answers with its component JSON (`packages/fabric-deployer` peer `api.go`
//!    `Component`), kept here as the deployer's record of the peer; athena stores the document
//!    `build_component_req_body` makes of it, and later deployment-attribute reads sync the
//!    deployer's values into it (`deployer_has_a_different_value`).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{ComponentHost, HostFuture};
use crate::console::common::{dep_component_id, redact_enroll_details, truthy};
use crate::console::settings;
use crate::error::EmulatorError;
use crate::peer::ca_client::CaClient;
use crate::peer::operator::{self, InitError, Material, PEER_INITIALIZATION_FAILED};
use crate::peer::{PeerHost, PeerPorts, PEER_TYPE};
use crate::units;

/// Default image version of created peers, the one `GET /kubernetes/fabric/versions` names.
/// Not recorded; `-0` is IBP's image suffix (docs/dev/console-api.md#versions).
pub const DEFAULT_PEER_VERSION: &str = "2.5.12-0";

/// The sub-components the deployer's `PeerResources` knows (fabric-operator
/// `api/v1beta1/ibppeer_types.go` json names); athena's others (`dind`, `fluentd`, `leveldb`)
/// are dropped when the deployer reads the body.
const DEPLOYER_RESOURCES: [&str; 7] = [
    "init",
    "peer",
    "proxy",
    "couchdb",
    "chaincodelauncher",
    "enroller",
    "hsmdaemon",
];

fn b64(pem: &str) -> String {
    STANDARD.encode(pem)
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// `db_type || state_db || statedb` (`build_component_req_body`, `fmt_body_athena_to_dep`).
fn body_state_db(body: &Value) -> Option<String> {
    ["db_type", "state_db", "statedb"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Fabric 2 or later (`ot_misc.is_fabric_v2`; the deployer's `util.GetMajorRelease(...) == 2`).
fn is_fabric_v2(version: &str) -> bool {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| m >= 2)
}

/// athena's `misc.conform_bytes`: every string that reads as a byte size loses its first
/// white space and its first `iB` becomes `i` ("1 GiB" → "1Gi").
fn conform_bytes(v: &mut Value) {
    match v {
        Value::String(s) if units::bytes(s).is_some() => {
            let mut t = s.replacen(char::is_whitespace, "", 1);
            t = t.replacen("iB", "i", 1);
            *s = t;
        }
        Value::Object(m) => m.values_mut().for_each(conform_bytes),
        Value::Array(a) => a.iter_mut().for_each(conform_bytes),
        _ => {}
    }
}

fn object_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let obj = v.as_object_mut()?;
    let entry = obj.entry(key.to_string()).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

/// The resources and storage athena sends the deployer for a new peer: the body's, with the
/// defaults of `THE_DEFAULT_RESOURCES_MAP` (`settings.get.no-auth`) for every sub-component of
/// a peer of that state database and Fabric major version, `limits` copied from `requests`, sizes
/// conformed (`fill_in_default_resources`, `fmt_body_athena_to_dep`).
fn athena_resources(body: &Value, version: &str) -> (Value, Value) {
    let defaults = settings::recorded("THE_DEFAULT_RESOURCES_MAP");
    let mut resources = body.get("resources").cloned().unwrap_or_else(|| json!({}));
    let mut storage = body.get("storage").cloned().unwrap_or_else(|| json!({}));
    let leveldb = body_state_db(body).is_some_and(|s| s.eq_ignore_ascii_case("leveldb"));
    let db = if leveldb { "leveldb" } else { "couchdb" };
    let mut bundle = vec!["peer", "proxy", db];
    if is_fabric_v2(version) {
        bundle.push("chaincodelauncher");
    } else {
        bundle.extend(["dind", "fluentd"]);
    }
    // The deployer does not want `statedb` in resources: it becomes `couchdb` or `leveldb`.
    if let Some(statedb) = resources.as_object_mut().and_then(|r| r.remove("statedb")) {
        if let Some(r) = resources.as_object_mut() {
            r.insert(db.to_string(), statedb);
        }
    }
    for comp in bundle {
        let Some(d) = defaults.get(comp) else {
            continue;
        };
        let requests = format!("/{comp}/requests");
        let cpu = resources.pointer(&format!("{requests}/cpu")).is_some();
        let memory = resources.pointer(&format!("{requests}/memory")).is_some();
        if !cpu || !memory {
            if let Some(req) = object_at(&mut resources, comp).and_then(|c| {
                let entry = c.entry("requests").or_insert_with(|| json!({}));
                entry.as_object_mut()
            }) {
                for (key, present) in [("cpu", cpu), ("memory", memory)] {
                    if let (false, Some(v)) = (present, d.get(key)) {
                        req.insert(key.into(), v.clone());
                    }
                }
            }
        }
        if let Some(size) = d.get("storage") {
            if storage.pointer(&format!("/{comp}/size")).is_none() {
                if let Some(s) = object_at(&mut storage, comp) {
                    s.insert("size".into(), size.clone());
                }
            }
        }
    }
    // Storage wants `statedb`, not `couchdb` or `leveldb`.
    if let Some(s) = storage.as_object_mut() {
        for db in ["couchdb", "leveldb"] {
            if let Some(v) = s.remove(db) {
                s.entry("statedb").or_insert(v);
            }
        }
    }
    copy_requests_to_limits(&mut resources);
    conform_bytes(&mut resources);
    conform_bytes(&mut storage);
    (resources, storage)
}

/// `fmt_body_athena_to_dep`: a sub-component without `limits` gets its `requests`.
fn copy_requests_to_limits(resources: &mut Value) {
    if let Some(r) = resources.as_object_mut() {
        for sub in r.values_mut() {
            if let Some(s) = sub.as_object_mut() {
                if !s.get("limits").is_some_and(truthy) {
                    if let Some(req) = s.get("requests").cloned() {
                        s.insert("limits".into(), req);
                    }
                }
            }
        }
    }
}

/// The fabric-operator `initResources` of one sub-component: requests and limits stand in for
/// each other.
fn init_resources(r: &Value) -> Value {
    let requests = r.get("requests").or(r.get("limits")).cloned();
    let limits = r.get("limits").or(r.get("requests")).cloned();
    let mut out = Map::new();
    if let Some(l) = limits {
        out.insert("limits".into(), l);
    }
    if let Some(q) = requests {
        out.insert("requests".into(), q);
    }
    Value::Object(out)
}

/// The deployer's `individualResources` for a new peer (`peer.go` `GetResources`,
/// `GetIndividualResources`): the sub-components athena sent that the deployer knows, CouchDB
/// only for a CouchDB peer and the chaincode launcher only on Fabric 2. The deployer's own
/// defaults (for `init` and others nobody sent) are its configuration, not in any source.
fn deployer_resources(athena: &Value, version: &str, couchdb: bool) -> Value {
    let mut out = Map::new();
    for key in DEPLOYER_RESOURCES {
        if (key == "couchdb" && !couchdb) || (key == "chaincodelauncher" && !is_fabric_v2(version))
        {
            continue;
        }
        if let Some(r) = athena.get(key) {
            out.insert(key.into(), init_resources(r));
        }
    }
    Value::Object(out)
}

/// Go's `time.Time.String()` of now, UTC, without the monotonic clock reading.
fn go_time_now() -> String {
    let now = OffsetDateTime::now_utc();
    let nanos = format!("{:09}", now.nanosecond());
    let nanos = nanos.trim_end_matches('0');
    let frac = if nanos.is_empty() {
        String::new()
    } else {
        format!(".{nanos}")
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{frac} +0000 UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The operator's status of the peer's custom resource (`api/v1beta1` `CRStatus`; values from
/// `controllers/ibppeer/ibppeer_controller.go` `SetStatus`).
fn cr_status(kind: &str, reason: &str, version: &str, error: Option<&InitError>) -> Value {
    let mut s = Map::new();
    s.insert("type".into(), json!(kind));
    s.insert("status".into(), json!("True"));
    s.insert("reason".into(), json!(reason));
    if let Some(e) = error {
        s.insert("message".into(), json!(e.0));
    }
    s.insert("lastHeartbeatTime".into(), json!(go_time_now()));
    if error.is_some() {
        s.insert("errorcode".into(), json!(PEER_INITIALIZATION_FAILED));
    }
    s.insert("versions".into(), json!({"reconciled": version}));
    Value::Object(s)
}

/// What the deployer is told and keeps of a new peer, in its `Component` field order.
struct Spec<'a> {
    name: String,
    version: &'a str,
    resources: Value,
    storage: Value,
    zone: Option<&'a Value>,
    region: Option<&'a Value>,
}

impl Spec<'_> {
    /// The deployer's component JSON of the peer (`api.go` `Component`, json order), with
    /// `crstatus` filled in when it is read.
    fn record(
        &self,
        ports: Option<PeerPorts>,
        material: Option<&Material>,
        status: Value,
    ) -> Value {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut c = Map::new();
        c.insert("name".into(), json!(self.name));
        if let Some(p) = ports {
            c.insert(
                "endpoints".into(),
                json!({
                    "api": format!("grpcs://127.0.0.1:{}", p.grpc),
                    "grpcweb": format!("https://127.0.0.1:{}", p.grpcweb),
                    "operations": format!("https://127.0.0.1:{}", p.operations),
                }),
            );
        }
        c.insert("individualResources".into(), self.resources.clone());
        c.insert("storage".into(), self.storage.clone());
        c.insert("crstatus".into(), status);
        c.insert("version".into(), json!(self.version));
        if let Some(m) = material.filter(|m| !m.admincerts.is_empty()) {
            c.insert("admincerts".into(), json!(m.admincerts));
        }
        c.insert("creation_timestamp".into(), json!(now));
        c.insert("last_updated".into(), json!(now));
        c.insert("nodeou".into(), json!({"enabled": true}));
        if let Some(m) = material {
            let mut component = Map::new();
            if !m.admincerts.is_empty() {
                component.insert("admincerts".into(), json!(m.admincerts));
            }
            let cacerts: Vec<String> = m.cacerts.iter().map(|c| b64(c)).collect();
            component.insert("cacerts".into(), json!(cacerts));
            component.insert("signcerts".into(), json!(b64(&m.ecert_pem)));
            let tls_cacerts: Vec<String> = m.tls.ca_certs.iter().map(|c| b64(c)).collect();
            c.insert(
                "msp".into(),
                json!({
                    "tls": {"cacerts": tls_cacerts, "signcerts": b64(&m.tls.cert_pem)},
                    "component": Value::Object(component),
                }),
            );
        }
        for (key, v) in [("region", self.region), ("zone", self.zone)] {
            if let Some(v) = v.filter(|v| truthy(v)) {
                c.insert(key.into(), v.clone());
            }
        }
        c.insert("replicas".into(), json!(1));
        Value::Object(c)
    }
}

/// athena's copy of a deployer answer in its own field names (`conform_deployer_field_names`,
/// with `remap_resources_and_storage`); absent fields are left out.
fn conform(dep: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            out.insert(k.to_string(), v);
        }
    };
    let mut resources = dep
        .get("individualResources")
        .or(dep.get("resources"))
        .cloned();
    if let Some(r) = resources.as_mut().and_then(Value::as_object_mut) {
        if let Some(couch) = r.get("couchdb").cloned() {
            r.insert("statedb".into(), couch);
            if let Some(c) = r.get_mut("couchdb").and_then(Value::as_object_mut) {
                c.insert(
                    "msg".into(),
                    json!("legacy field, reference \"statedb\" instead"),
                );
            }
        }
    }
    put("resources", resources);
    put("storage", dep.get("storage").cloned());
    put("version", dep.get("version").cloned());
    put("zone", dep.get("zone").cloned());
    put("region", dep.get("region").cloned());
    put("dep_component_id", dep.get("name").cloned());
    put(
        "replicas",
        dep.get("replicas").filter(|v| truthy(v)).cloned(),
    );
    put("cr_status", dep.get("crstatus").cloned());
    put("node_ou", dep.get("nodeou").cloned());
    let forced = |v: Option<&Value>| match v {
        Some(Value::Array(a)) => json!(a),
        Some(Value::Null) | None => json!([]),
        Some(other) => json!([other]),
    };
    put(
        "tls_ca_root_certs",
        Some(forced(dep.pointer("/msp/tls/cacerts"))),
    );
    put(
        "ca_root_certs",
        Some(forced(dep.pointer("/msp/component/cacerts"))),
    );
    put("ecert", dep.pointer("/msp/component/signcerts").cloned());
    let admins = dep
        .pointer("/msp/component/admincerts")
        .or(dep.get("admincerts"))
        .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()))
        .cloned();
    put("admin_certs", admins);
    for (field, key) in [
        ("api_url", "api"),
        ("grpcwp_url", "grpcweb"),
        ("operations_url", "operations"),
    ] {
        put(
            field,
            dep.pointer(&format!("/endpoints/{key}"))
                .filter(|v| truthy(v))
                .cloned(),
        );
    }
    put("tls_cert", dep.pointer("/msp/tls/signcerts").cloned());
    out
}

/// The TLS root certificate athena looks up before calling the deployer
/// (`provision_component`): the body's `crypto.msp.tlsca.root_certs[0]` when it parses, else
/// the `CAChain` of `/cainfo?ca=<crypto.enrollment.ca.name>` at the enrollment CA, fetched
/// without checking its certificate (`get_root_cert_by_crypto` reads `enrollment.ca`, so this is
/// the identity CA's chain); `null` when that fails ("no big deal").
async fn athena_tls_root(crypto: &Value) -> Value {
    if let Some(root) = crypto.pointer("/msp/tlsca/root_certs/0") {
        if root.as_str().and_then(crate::certs::decode_cert).is_some() {
            return root.clone();
        }
    }
    let Some(enrollment) = crypto.get("enrollment") else {
        return Value::Null;
    };
    let host = text(enrollment, "/ca/host").unwrap_or_default();
    let port = match enrollment.pointer("/ca/port") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let name = text(enrollment, "/ca/name").unwrap_or("tlsca");
    let client = match CaClient::insecure(host, &port) {
        Ok(c) => c,
        Err(_) => return Value::Null,
    };
    // `get_ca_data` tries twice.
    for _ in 0..2 {
        if let Ok(chain) = client.ca_chain(name).await {
            return json!(chain);
        }
    }
    tracing::warn!("unable to get tls ca root cert, no big deal");
    Value::Null
}

/// Starts the peer `id` of a valid create body and returns the document fields athena stores
/// for it (`build_component_req_body` + `component_lib.js` `format_input_to_doc`).
async fn deploy(
    host: &PeerHost,
    id: &str,
    body: &Value,
    delay: Duration,
) -> Result<Map<String, Value>, EmulatorError> {
    let crypto = body.get("crypto").cloned().unwrap_or(Value::Null);
    let athena_root = athena_tls_root(&crypto).await;
    let version = body
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_PEER_VERSION)
        .to_string();
    let (resources, storage) = athena_resources(body, &version);
    // The deployer's default state database is CouchDB (`peer.go` `CreateCR`).
    let couchdb = body_state_db(body).is_none_or(|s| s.eq_ignore_ascii_case("couchdb"));
    let spec = Spec {
        name: dep_component_id(id),
        version: &version,
        resources: deployer_resources(&resources, &version, couchdb),
        storage: deployer_storage(&storage),
        zone: body.get("zone"),
        region: body.get("region"),
    };
    // athena's `fmt_crypto` prefers `msp` when both are given.
    let material = match (crypto.get("msp"), crypto.get("enrollment")) {
        (Some(msp), _) => operator::from_msp(msp),
        (None, Some(enrollment)) => operator::enroll(enrollment).await,
        (None, None) => Err(InitError(format!(
            "Code: {PEER_INITIALIZATION_FAILED} - failed to initialize peer: no crypto provided"
        ))),
    };
    let material = match material {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(peer = %id, error = %e.0, "the operator could not initialize the peer");
            // `CreateCR`: a custom resource in `Error` is answered 500 with its component JSON.
            let status = cr_status("Error", "errorOccurredDuringReconcile", "", Some(&e));
            return Err(EmulatorError::Deployer {
                status: 500,
                body: spec.record(None, None, status),
            });
        }
    };
    let deploying = cr_status("Deploying", "waitingForPods", &version, None);
    host.create(id, material.tls.clone(), delay, |ports| {
        spec.record(Some(ports), Some(&material), deploying)
    })
    .await?;
    let dep = conform(&host.deployer(id).unwrap_or(Value::Null));
    Ok(doc_fields(body, &dep, athena_root))
}

/// The deployer's storage (`peer.go` `GetStorage`): sizes and classes athena sent for `peer`
/// and `statedb` (empty classes are omitted, as Go's `omitempty` does).
fn deployer_storage(athena: &Value) -> Value {
    let mut out = Map::new();
    for key in ["statedb", "peer"] {
        if let Some(s) = athena.get(key).and_then(Value::as_object) {
            let mut spec = Map::new();
            for field in ["size", "class"] {
                if let Some(v) = s.get(field).filter(|v| truthy(v)) {
                    spec.insert(field.into(), v.clone());
                }
            }
            out.insert(key.into(), Value::Object(spec));
        }
    }
    Value::Object(out)
}

/// The stored document's own fields for a new peer (the deployer adds the generic ones):
/// the deployer's URLs and certificates, `msp.tlsca.root_certs` as athena looked it up and no
/// `msp.ca` (`build_component_req_body` reads `ca_root_certs` from a field that does not exist),
/// the body's `msp_id`, `state_db` and redacted `config_override`.
fn doc_fields(body: &Value, dep: &Map<String, Value>, athena_root: Value) -> Map<String, Value> {
    let mut fields = Map::new();
    for k in [
        "api_url",
        "operations_url",
        "grpcwp_url",
        "resources",
        "storage",
        "version",
        "node_ou",
    ] {
        if let Some(v) = dep.get(k) {
            fields.insert(k.into(), v.clone());
        }
    }
    if let Some(msp_id) = body.get("msp_id") {
        fields.insert("msp_id".into(), msp_id.clone());
    }
    let mut component = Map::new();
    for k in ["tls_cert", "ecert", "admin_certs"] {
        if let Some(v) = dep.get(k) {
            component.insert(k.into(), v.clone());
        }
    }
    fields.insert(
        "msp".into(),
        json!({"component": component, "tlsca": {"root_certs": [athena_root]}}),
    );
    if let Some(db) = body_state_db(body) {
        fields.insert("state_db".into(), json!(db));
    }
    if let Some(co) = body.get("config_override").and_then(redact_enroll_details) {
        fields.insert("config_override".into(), co);
    }
    fields
}

/// An update through the deployer (`deployer_lib.js` `update_component` →
/// `record_deployer_operation` → `component_lib.js` `edit_component`): the deployer changes its
/// record (admin certificates and version replaced, resources merged per sub-component, node OU
/// and replicas set; `config_override`, `crypto` and `zone` are not part of its answer), and
/// athena stores the deployer's answer with each body field as the fallback for a field the
/// answer lacks.
async fn update(
    host: &PeerHost,
    id: &str,
    doc: &Value,
    patch: &Map<String, Value>,
) -> Result<Map<String, Value>, EmulatorError> {
    let Some(mut dep) = host.deployer(id) else {
        return Ok(super::generic_update(doc, patch));
    };
    for (k, v) in patch {
        match k.as_str() {
            "admin_certs" => {
                if let Some(d) = dep.as_object_mut() {
                    d.insert("admincerts".into(), v.clone());
                }
                if let Some(c) = dep
                    .pointer_mut("/msp/component")
                    .and_then(Value::as_object_mut)
                {
                    c.insert("admincerts".into(), v.clone());
                }
            }
            "resources" => {
                // No `type` in an update body, so athena adds no defaults
                // (`fill_in_default_resources` returns it as it is), but copies limits.
                let mut r = v.clone();
                copy_requests_to_limits(&mut r);
                conform_bytes(&mut r);
                if let Some(target) = object_at(&mut dep, "individualResources") {
                    for key in DEPLOYER_RESOURCES {
                        if let Some(sub) = r.get(key) {
                            target.insert(key.into(), init_resources(sub));
                        }
                    }
                }
            }
            "version" | "replicas" => {
                if let Some(d) = dep.as_object_mut() {
                    d.insert(k.clone(), v.clone());
                }
            }
            "node_ou" => {
                let enabled = matches!(v.get("enabled"), Some(Value::Bool(true)))
                    || v.get("enabled").and_then(Value::as_str) == Some("true");
                if let Some(d) = dep.as_object_mut() {
                    d.insert("nodeou".into(), json!({ "enabled": enabled }));
                }
            }
            _ => {}
        }
    }
    if let Some(d) = dep.as_object_mut() {
        d.insert(
            "last_updated".into(),
            json!(OffsetDateTime::now_utc().unix_timestamp()),
        );
    }
    host.set_deployer(id, dep.clone())?;
    let mut fields = conform(&dep);
    fields.remove("cr_status");
    for (k, v) in patch {
        if truthy(v) && !fields.get(k).is_some_and(truthy) {
            fields.insert(k.clone(), v.clone());
        }
    }
    Ok(fields)
}

/// The deployer's view of peer `id`, with the status the operator reports now: `Deployed` once
/// the peer serves (`SetStatus`: `allPodsRunning`), `Deploying` before.
async fn deployer_data(host: &PeerHost, id: &str) -> Option<Map<String, Value>> {
    let mut dep = host.deployer(id)?;
    let version = dep
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let status = if host.is_serving(id).await {
        cr_status("Deployed", "allPodsRunning", &version, None)
    } else {
        cr_status("Deploying", "waitingForPods", &version, None)
    };
    if let Some(d) = dep.as_object_mut() {
        d.insert("crstatus".into(), status);
    }
    Some(conform(&dep))
}

impl ComponentHost for PeerHost {
    fn component_type(&self) -> &'static str {
        PEER_TYPE
    }

    fn deploy<'a>(
        &'a self,
        id: &'a str,
        body: &'a Value,
        delay: Duration,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
        Box::pin(deploy(self, id, body, delay))
    }

    fn deployer_data<'a>(&'a self, id: &'a str) -> HostFuture<'a, Option<Map<String, Value>>> {
        Box::pin(deployer_data(self, id))
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        doc: &'a Value,
        patch: &'a Map<String, Value>,
    ) -> HostFuture<'a, Result<Map<String, Value>, EmulatorError>> {
        Box::pin(update(self, id, doc, patch))
    }

    fn put_admin_certs<'a>(
        &'a self,
        id: &'a str,
        certs: Vec<String>,
    ) -> HostFuture<'a, Result<(), EmulatorError>> {
        Box::pin(async move {
            let Some(mut dep) = self.deployer(id) else {
                return Ok(());
            };
            if let Some(d) = dep.as_object_mut() {
                d.insert("admincerts".into(), json!(certs));
            }
            if let Some(c) = dep
                .pointer_mut("/msp/component")
                .and_then(Value::as_object_mut)
            {
                c.insert("admincerts".into(), json!(certs));
            }
            self.set_deployer(id, dep)
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> HostFuture<'a, Result<(), EmulatorError>> {
        Box::pin(PeerHost::remove(self, id))
    }

    fn restore(&self) -> HostFuture<'_, Result<(), EmulatorError>> {
        Box::pin(PeerHost::restore(self))
    }

    fn is_serving<'a>(&'a self, id: &'a str) -> HostFuture<'a, bool> {
        Box::pin(PeerHost::is_serving(self, id))
    }

    fn shutdown(&self) -> HostFuture<'_, ()> {
        Box::pin(PeerHost::shutdown(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_every_sub_component_and_limits_copy_requests() {
        let body = json!({"resources": {"peer": {"requests": {"cpu": "300m"}}, "statedb": {"requests": {"cpu": "1", "memory": "1 GiB"}}},
            "storage": {"peer": {"size": "10Gi"}}});
        let (r, s) = athena_resources(&body, "2.5.12");
        assert_eq!(
            r["peer"]["requests"],
            json!({"cpu": "300m", "memory": "400Mi"})
        );
        assert_eq!(r["peer"]["limits"], r["peer"]["requests"]);
        assert_eq!(
            r["couchdb"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(
            r["proxy"]["requests"],
            json!({"cpu": "100m", "memory": "200Mi"})
        );
        assert_eq!(
            r["chaincodelauncher"]["requests"],
            json!({"cpu": "200m", "memory": "400Mi"})
        );
        assert!(r.get("dind").is_none() && r.get("statedb").is_none());
        assert_eq!(
            s,
            json!({"peer": {"size": "10Gi"}, "statedb": {"size": "100Gi"}})
        );
        let dep = deployer_resources(&r, "2.5.12", true);
        let keys: Vec<&String> = dep.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["peer", "proxy", "couchdb", "chaincodelauncher"]);
        // Fabric 1 peers get dind and fluentd from athena; the deployer knows neither.
        let (r1, _) = athena_resources(&json!({"state_db": "leveldb"}), "1.4.12");
        assert!(r1.get("dind").is_some() && r1.get("leveldb").is_some());
        let dep1 = deployer_resources(&r1, "1.4.12", false);
        let keys: Vec<&String> = dep1.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["peer", "proxy"]);
    }

    #[test]
    fn athena_conforms_the_deployer_answer() {
        let dep = json!({"name": "p", "endpoints": {"api": "grpcs://h:1", "grpcweb": "https://h:2", "operations": "https://h:3"},
            "individualResources": {"couchdb": {"requests": {"cpu": "1"}}}, "version": "2.5.12-0", "replicas": 1,
            "msp": {"tls": {"cacerts": ["T"], "signcerts": "S"}, "component": {"cacerts": ["C"], "signcerts": "E", "admincerts": []}}});
        let c = conform(&dep);
        assert_eq!(c["api_url"], "grpcs://h:1");
        assert_eq!(c["grpcwp_url"], "https://h:2");
        assert_eq!(c["dep_component_id"], "p");
        assert_eq!(c["resources"]["statedb"], json!({"requests": {"cpu": "1"}}));
        assert_eq!(
            c["resources"]["couchdb"]["msg"],
            "legacy field, reference \"statedb\" instead"
        );
        assert_eq!(c["tls_ca_root_certs"], json!(["T"]));
        assert_eq!(c["ca_root_certs"], json!(["C"]));
        assert_eq!(
            (c["tls_cert"].clone(), c["ecert"].clone()),
            (json!("S"), json!("E"))
        );
        assert!(c.get("admin_certs").is_none(), "an empty list is left out");
    }

    #[test]
    fn conform_bytes_drops_one_space_and_the_big_b() {
        let mut v = json!({"a": "1 GiB", "b": "200m", "c": "lots"});
        conform_bytes(&mut v);
        assert_eq!(v, json!({"a": "1Gi", "b": "200m", "c": "lots"}));
    }

    #[test]
    fn go_time_strings_look_like_go() {
        let t = go_time_now();
        assert!(t.ends_with(" +0000 UTC"), "{t}");
        assert_eq!(t.as_bytes()[10], b' ');
    }
}
