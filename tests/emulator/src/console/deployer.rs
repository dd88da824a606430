//! The `/kubernetes/...` routes with an emulated deployer behind them.
//!
//! athena validates the body first (`k8s.create-ca.invalid.*`), then calls the deployer
//! (docs/dev/console-api.md#validation-before-the-deployer). The recordings stop at the deployer call, so what happens after a valid
//! create follows docs/dev/console-api.md#create-ca-response, docs/dev/emulator-peer.md and the brief. The servers behind a created
//! component come from the console's host for its type (`hosts`); a type without a host
//! (orderers today) is validated but not deployed.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::common::{
    body_of, component_type, dep_component_id, new_component_id, validate_new, IdRule,
};
use super::components::remove_record;
use super::docs::{self, View};
use super::hosts::{self, set_doc_field, ComponentHost, DEFAULT_CA_VERSION, DEFAULT_PEER_VERSION};
use super::settings;
use super::{ApiRequest, Console, Data};
use crate::error::EmulatorError;
use crate::http::Reply;
use crate::validate::{self, Context, Mode};

/// A deployer failure, in athena's `{statusCode, msg:<deployer body>}` shape (docs/dev/console-api.md#error-bodies).
fn deployer_error(message: &str, code: &str) -> Reply {
    Reply::json(
        500,
        &json!({"statusCode":500,"msg":{"message":message,"name":"Error","code":code}}),
    )
}

/// A refusal of the deployer itself (its `{status, message}` error body, FOC
/// `packages/fabric-deployer/deployer/endpoint.go` `ServeHTTP`, status 500 from
/// `util.GetErrorStatusCode`), relayed by athena as `{statusCode, msg:<deployer body>}`
/// (deployer_lib.js `handle_dep_response`).
fn deployer_refusal(message: &str) -> Reply {
    Reply::json(
        500,
        &json!({"statusCode":500,"msg":{"status":500,"message":message}}),
    )
}

/// The view of a deployer call's answer: deployment attributes and the full MSP.
const DEPLOYED: View = View {
    full_msp: true,
    deployment: true,
    parsed_certs: false,
};

/// The answer to a create: the stored component with the deployer's answer merged in, and the
/// deployer's `crstatus` appended after the sorted keys (`deployer_lib.js`
/// `record_deployer_operation`: `fmt_comp_resp_with_deployer`, then `ret.crstatus = ...`).
async fn created_reply(c: &Console, host: &dyn ComponentHost, id: &str, doc: &Value) -> Reply {
    let mut shown = doc.clone();
    let deployer = host.deployer_data(id).await;
    if let Some(d) = &deployer {
        hosts::sync_with_deployer(&mut shown, d);
    }
    let mut out = docs::render(&shown, DEPLOYED, c.now());
    if let (Some(o), Some(status)) = (
        out.as_object_mut(),
        deployer.as_ref().and_then(|d| d.get("cr_status")),
    ) {
        o.insert("crstatus".into(), status.clone());
    }
    Reply::json(200, &out)
}

/// An update's answer: the stored component with its deployment attributes and `"message":"ok"`
/// (`component_lib.js` `edit_component`).
fn updated_reply(c: &Console, doc: &Value) -> Reply {
    let mut out = docs::render(doc, DEPLOYED, c.now());
    if let Some(o) = out.as_object_mut() {
        o.insert("message".into(), json!("ok"));
    }
    Reply::json(200, &docs::sorted(out))
}

/// Merges the deployer's current values into the created component `doc` (with
/// `last_k8s_sync_ts` when something changed) as `deployer_lib.js`
/// `batch_sync_deployer_attributes_with_couch` does; true when it changed.
async fn merge_deployer(c: &Console, doc: &mut Value) -> bool {
    if doc.get("imported").and_then(Value::as_bool).unwrap_or(true) {
        return false;
    }
    let Some(host) = c.hosts.get(&component_type(doc)) else {
        return false;
    };
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(deployer) = host.deployer_data(&id).await else {
        return false;
    };
    if hosts::sync_with_deployer(doc, &deployer).is_empty() {
        return false;
    }
    if let Some(o) = doc.as_object_mut() {
        o.insert("last_k8s_sync_ts".into(), json!(c.now()));
    }
    true
}

/// A deployment-attribute read of the components `ids` (`deployer_lib.js` `get_component_data`,
/// `get_all_components`): the deployer's values are synced into the stored documents.
pub(super) async fn sync_deployment_attrs(c: &Console, data: &mut Data, ids: &[String]) {
    for id in ids {
        let Some(mut doc) = data.docs.get(id).cloned() else {
            continue;
        };
        if !merge_deployer(c, &mut doc).await {
            continue;
        }
        if let Err(e) = c.store.put_component(&c.name, id, &doc) {
            tracing::error!(error = %e, "persisting component failed");
            continue;
        }
        data.docs.insert(id.clone(), doc);
    }
}

/// The deployer's values merged into listed documents (a cached list shows the deployer's
/// current values: `format_athena_component_data`).
pub(super) async fn merge_deployment_attrs(c: &Console, docs: &mut [Value]) {
    for doc in docs {
        merge_deployer(c, doc).await;
    }
}

/// athena's answer when the deployer refuses a create because a component with this deployer id
/// already exists: the deployer's status relayed as `{statusCode, msg:<deployer body>}`
/// (deployer_lib.js `handle_dep_response`). The deployer's own 409 text is not recorded; this
/// wording is an assumption.
fn deployer_conflict(id: &str) -> Reply {
    Reply::json(
        409,
        &json!({"statusCode":409,"msg":{"message":format!("component {id} already exists"),"name":"Error","code":"EEXIST"}}),
    )
}

/// `POST /kubernetes/components/{type}`, modelled on athena's create path
/// (deployer_lib.js `provision_component` → `call_deployer` → `record_deployer_operation` →
/// component_lib.js `onboard_component`; docs/dev/console-api.md#create-waits-for-the-deployer):
///
/// 1. The body is validated and the id chosen against the *stored* docs: a 400 or an explicit-id
///    409 comes back at once (docs/dev/console-api.md#validation-before-the-deployer).
/// 2. The deployer creates the CR and athena holds the POST until it reports it reconciled, up to
///    `deployer_timeout` (105 s). Emulated by the create latency; the data lock is NOT held, so
///    reads and other writes go on meanwhile.
/// 3. athena writes the component doc only after the deployer returned (`onboard_component` runs
///    from the deployer's callback), so GETs and lists show the new component only once the POST
///    completes. A client that gave up earlier does not stop it: node keeps processing a request
///    whose socket closed, and so does the emulator (`server.rs` runs routes detached).
/// 4. A second POST for an id whose create is in flight passes athena's own check (no doc yet) and
///    reaches the deployer, which already has a CR of that name and refuses. athena relays that
///    409 without its usual clean-up: `call_deployer` skips `clean_up_deployer_component` on 409,
///    which only makes sense if a deployer 409 means "exists already", since a clean-up would
///    delete the other request's component. The duplicate is answered at once (assumption: the
///    deployer's create of an existing CR fails before any reconcile wait).
pub async fn create(c: &Console, req: &ApiRequest, t: &str) -> Reply {
    let schema = match t {
        "fabric-ca" => "CreateCaBody",
        "fabric-peer" => "CreatePeerBody",
        "fabric-orderer" => "CreateOrdererRaftBody",
        _ => return Reply::route_not_found(),
    };
    let body = body_of(req);
    let (id, host) = {
        let mut data = c.data.lock().await;
        if let Err(invalid) = validate_new(c, &data.docs, schema, &body) {
            return invalid;
        }
        let Some(host) = c.hosts.get(t) else {
            return deployer_error(
                &format!("the emulated deployer does not create {t} components"),
                "ENOTSUP",
            );
        };
        // The deployer checks the body before it creates anything; athena then cleans up
        // nothing (docs/dev/console-api.md#replicas-need-postgresql).
        if let Some(refused) = host.refuse_create(&body) {
            return deployer_refusal(&refused);
        }
        let id = match new_component_id(
            &data.docs,
            body.get("id"),
            body.get("display_name"),
            IdRule::Deployed,
        ) {
            Ok(id) => id,
            Err(conflict) => return conflict,
        };
        if !data.creating.insert(id.clone()) {
            tracing::info!(id = %id, "create refused: the deployer is still creating this id");
            return deployer_conflict(&id);
        }
        (id, host)
    };
    let latency = c.faults.create_latency_value().unwrap_or(c.create_latency);
    let deployed = if hold(c, latency).await {
        deploy(c, host, &id, t, &body).await
    } else {
        Err(deployer_error("the console is shutting down", "ESHUTDOWN"))
    };
    let mut data = c.data.lock().await;
    let doc = match deployed {
        Ok(doc) => doc,
        Err(reply) => {
            data.creating.remove(&id);
            return reply;
        }
    };
    // An import may have taken the id meanwhile (imports write at once). athena's
    // `onboard_component` would retry the doc write under the id plus two random characters; not
    // modelled: this answers athena's final 409 and removes the CA, as athena's clean-up after a
    // failed onboarding does (`clean_up_deployer_component`).
    if data.docs.contains_key(&id) {
        drop(data);
        let conflict = Reply::json(
            409,
            &json!({"statusCode":409,"msg":"unable to onboard component b/c of id conflict. use a different component id."}),
        );
        return abandon(c, host, &id, conflict).await;
    }
    if c.is_stopping() {
        drop(data);
        let reply = deployer_error("the console is shutting down", "ESHUTDOWN");
        return abandon(c, host, &id, reply).await;
    }
    if let Err(e) = c.store.put_component(&c.name, &id, &doc) {
        tracing::error!(error = %e, "persisting component failed");
        drop(data);
        return abandon(c, host, &id, deployer_error("database error", "EDB")).await;
    }
    data.creating.remove(&id);
    data.docs.insert(id.clone(), doc.clone());
    data.stale.remove(&id);
    drop(data);
    created_reply(c, host, &id, &doc).await
}

/// Removes the servers of a create that will not be recorded, then releases its id (in this order,
/// so a new create of the id cannot lose its servers to this clean-up).
async fn abandon(c: &Console, host: &dyn ComponentHost, id: &str, reply: Reply) -> Reply {
    if let Err(e) = host.remove(id).await {
        tracing::error!(id, error = %e, "removing an abandoned component failed");
    }
    c.data.lock().await.creating.remove(id);
    reply
}

/// Waits out the deployer latency of a create; false when the console shuts down first.
async fn hold(c: &Console, latency: Duration) -> bool {
    if latency.is_zero() {
        return !c.is_stopping();
    }
    tracing::debug!(?latency, "deployer holds the create");
    let mut stopping = c.stopping.subscribe();
    tokio::select! {
        _ = tokio::time::sleep(latency) => !c.is_stopping(),
        _ = stopping.wait_for(|s| *s) => false,
    }
}

/// The deployer's part of a create: the host starts the servers and decides its fields, the
/// deployer adds what every created component carries. Builds the component doc (not stored).
async fn deploy(
    c: &Console,
    host: &dyn ComponentHost,
    id: &str,
    t: &str,
    body: &Value,
) -> Result<Value, Reply> {
    let fields = match host.deploy(id, body, c.deployer_delay).await {
        Ok(f) => f,
        // The deployer's own error answer, relayed (`deployer_lib.js` `handle_dep_response`).
        Err(EmulatorError::Deployer { status, body }) => {
            return Err(Reply::json(
                status,
                &json!({"statusCode": status, "msg": body}),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, component_type = t, "deploy failed");
            return Err(deployer_error(&e.to_string(), "EDEPLOY"));
        }
    };
    let mut doc = Map::new();
    doc.insert("id".into(), json!(id));
    doc.insert("dep_component_id".into(), json!(dep_component_id(id)));
    doc.insert(
        "display_name".into(),
        body.get("display_name").cloned().unwrap_or(Value::Null),
    );
    doc.insert("location".into(), json!("ibm_saas"));
    doc.insert("imported".into(), json!(false));
    doc.insert("scheme_version".into(), json!("v1"));
    doc.insert("tags".into(), docs::create_tags(body.get("tags"), t));
    doc.insert("timestamp".into(), json!(c.now()));
    doc.insert("type".into(), json!(t));
    // `build_component_req_body`: the console's infrastructure and type (`settings.get.deployer-mode`).
    doc.insert("cluster_type".into(), settings::recorded("INFRASTRUCTURE"));
    doc.insert("console_type".into(), settings::recorded("CONSOLE_TYPE"));
    for k in ["zone", "region", "hsm"] {
        if let Some(v) = body.get(k) {
            doc.insert(k.into(), v.clone());
        }
    }
    doc.extend(fields);
    Ok(Value::Object(doc))
}

/// `PUT /kubernetes/components/{type}/{id}`: 404 first (`k8s.update-ca.missing-id`), then the
/// schema, then "not on imported components", then the one-field rule (`k8s.update-ca.two-fields.imported`).
pub async fn update(c: &Console, req: &ApiRequest, id: &str) -> Reply {
    let mut data = c.data.lock().await;
    let Some(existing) = data.docs.get(id).cloned() else {
        return Reply::missing_component();
    };
    let t = component_type(&existing);
    let schema = match t.as_str() {
        "fabric-ca" => "UpdateCaBody",
        "fabric-peer" => "UpdatePeerBody",
        _ => "UpdateOrdererBody",
    };
    let body = body_of(req);
    let mut errors =
        validate::validate_body(c.spec, schema, &body, Mode::Edit, &Context::default());
    if existing
        .get("imported")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        errors.push(c.spec.message("invalid_on_imported_comps", &[]));
    }
    let keys = body.as_object().map(|o| o.len()).unwrap_or(0);
    if keys > 1 {
        errors.push(c.spec.message("too_many_keys", &[]));
    }
    if !errors.is_empty() {
        return Reply::validation(errors);
    }
    let mut doc = existing;
    let Some(patch) = body.as_object() else {
        return Reply::validation(vec![c.spec.message("too_many_keys", &[])]);
    };
    // A valid dry run changes nothing (`routes/deployer_apis.js` update: API_SUCCESS_RESPONSE).
    if patch.get("dry_run_mode").and_then(Value::as_bool) == Some(true) {
        return Reply::json(200, &json!({"message": "ok", "dry_run_mode": true}));
    }
    let host = c.hosts.get(&t);
    if let Some(host) = host {
        if let Some(refused) = patch
            .iter()
            .find_map(|(k, v)| host.refuse_update(&doc, k, v))
        {
            return deployer_refusal(&refused);
        }
    }
    // athena forwards the override with `tlsca` defaulting to a copy of `ca`
    // (`fmt_body_athena_to_dep`); the deployer replaces the custom resource's override with it
    // and the operator restarts the CA with it merged into its configuration
    // (docs/dev/console-api.md#ca-configuration-overrides).
    let mut patch = patch.clone();
    if let Some(obj) = patch
        .get_mut("config_override")
        .and_then(Value::as_object_mut)
    {
        if let (Some(ca), false) = (obj.get("ca").cloned(), obj.contains_key("tlsca")) {
            obj.insert("tlsca".into(), ca);
        }
    }
    let fields = match host {
        Some(host) => match host.update(id, &doc, &patch).await {
            Ok(f) => f,
            Err(EmulatorError::Deployer { status, body }) => {
                return Reply::json(status, &json!({"statusCode": status, "msg": body}));
            }
            Err(e) => {
                tracing::error!(error = %e, "deployer update failed");
                return deployer_error(&e.to_string(), "EDEPLOY");
            }
        },
        None => hosts::generic_update(&doc, &patch),
    };
    for (k, v) in fields {
        // `edit_component` does not store an empty value.
        if !(v.is_null() || v == json!("")) {
            set_doc_field(&mut doc, &k, v);
        }
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("edited_timestamp".into(), json!(c.now()));
    }
    if let Err(e) = c.store.put_component(&c.name, id, &doc) {
        tracing::error!(error = %e, "persisting component failed");
        return deployer_error("database error", "EDB");
    }
    data.docs.insert(id.to_string(), doc.clone());
    updated_reply(c, &doc)
}

/// `DELETE /kubernetes/components/{id}`. On an imported component the real console errors out
/// (OpenAPI "Delete component": "Using this api on an **imported** component will *error out*");
/// the recording shows a 500 only because no deployer ran (`k8s.delete.imported-component`), so
/// this deployer refuses with 400 `invalid_on_imported_comps` and keeps the document.
pub async fn delete(c: &Console, id: &str) -> Reply {
    let mut data = c.data.lock().await;
    let Some(doc) = data.docs.get(id) else {
        return Reply::missing_component();
    };
    if doc.get("imported").and_then(Value::as_bool).unwrap_or(true) {
        return Reply::validation(vec![c.spec.message("invalid_on_imported_comps", &[])]);
    }
    if let Some(host) = c.hosts.get(&component_type(doc)) {
        if let Err(e) = host.remove(id).await {
            tracing::error!(error = %e, "removing the component's servers failed");
        }
    }
    match remove_record(c, &mut data, id) {
        Ok(body) => Reply::json(200, &body),
        Err(r) => r,
    }
}

/// `PUT /kubernetes/components/{id}/certs` (`deployer_lib.js` `edit_admin_certs`): the
/// deployment's admin certificates minus `remove_admin_certs` plus `append_admin_certs`, matched
/// by serial number and de-duplicated, are sent to the deployer when anything changed; the answer
/// is `{set_admin_certs:[parsed...], changes_made, invalid_certs?}` in that key order.
pub async fn edit_admin_certs(c: &Console, req: &ApiRequest, id: &str) -> Reply {
    let body = body_of(req);
    let errors = validate::validate_body(
        c.spec,
        "EditAdminCertsBody",
        &body,
        Mode::Edit,
        &Context::default(),
    );
    if !errors.is_empty() {
        return Reply::validation(errors);
    }
    let data = c.data.lock().await;
    let Some(doc) = data.docs.get(id) else {
        return Reply::missing_component();
    };
    let host = c.hosts.get(&component_type(doc));
    let deployer = match host {
        Some(h) => h.deployer_data(id).await,
        None => None,
    };
    // Imported components have no deployment to change (as for a Kubernetes delete of one).
    let (Some(host), Some(deployer)) = (host, deployer) else {
        return Reply::validation(vec![c.spec.message("invalid_on_imported_comps", &[])]);
    };
    let now = c.now();
    let parse = |v: Option<&Value>| -> (Vec<(String, String)>, Vec<Value>) {
        let mut ok = Vec::new();
        let mut invalid = Vec::new();
        for cert in v.and_then(Value::as_array).into_iter().flatten() {
            let parsed = cert.as_str().and_then(|s| crate::certs::parse_cert(s, now));
            match parsed {
                Some(p) => ok.push((
                    p["serial_number_hex"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    fmt_cert(p["base_64_pem"].as_str().unwrap_or_default()),
                )),
                None => invalid.push(cert.clone()),
            }
        }
        (ok, invalid)
    };
    let (existing, _) = parse(deployer.get("admin_certs"));
    let (remove, mut invalid) = parse(body.get("remove_admin_certs"));
    let (append, invalid_appends) = parse(body.get("append_admin_certs"));
    invalid.extend(invalid_appends);
    let removing: Vec<&String> = remove.iter().map(|(s, _)| s).collect();
    let mut set: Vec<(String, String)> = Vec::new();
    let mut changes = 0u64;
    for (serial, cert) in existing {
        if removing.contains(&&serial) || set.iter().any(|(s, _)| s == &serial) {
            changes += 1;
        } else {
            set.push((serial, cert));
        }
    }
    for (serial, cert) in append {
        if !set.iter().any(|(s, _)| s == &serial) {
            set.push((serial, cert));
            changes += 1;
        }
    }
    let certs: Vec<String> = set.into_iter().map(|(_, c)| c).collect();
    if changes > 0 {
        match host.put_admin_certs(id, certs.clone()).await {
            Ok(()) => {}
            Err(EmulatorError::Deployer { status, body }) => {
                return Reply::json(status, &json!({"statusCode": status, "msg": body}));
            }
            Err(e) => return deployer_error(&e.to_string(), "EDEPLOY"),
        }
    }
    let parsed: Vec<Value> = certs
        .iter()
        .map(|c| crate::certs::parse_cert(c, now).unwrap_or(Value::Null))
        .collect();
    let mut out = Map::new();
    out.insert("set_admin_certs".into(), json!(parsed));
    out.insert("changes_made".into(), json!(changes));
    if !invalid.is_empty() {
        out.insert("invalid_certs".into(), json!(invalid));
    }
    Reply::json(200, &Value::Object(out))
}

/// `edit_admin_certs`' `fmt_cert`: the PEM with CRLF line ends, trimmed, base64 again.
fn fmt_cert(b64_pem: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let Some(pem) = engine
        .decode(b64_pem)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return b64_pem.to_string();
    };
    let crlf = pem.replace("\r\n", "\n").replace('\n', "\r\n");
    engine.encode(crlf.trim())
}

/// `GET /kubernetes/fabric/versions` (docs/dev/console-api.md#versions).
pub fn versions() -> Reply {
    let entry = |v: &str| json!({v: {"default": true, "version": v, "image": {}}});
    Reply::json(
        200,
        &json!({"versions": {"ca": entry(DEFAULT_CA_VERSION), "peer": entry(DEFAULT_PEER_VERSION), "orderer": entry(DEFAULT_PEER_VERSION)}}),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine;
    use serde_json::{json, Value};

    use super::super::hosts::recording::{Calls, RecordingHost};
    use super::super::hosts::ComponentHosts;
    use super::super::{ApiRequest, Console, ConsoleParams};
    use crate::clock::Clock;
    use crate::store::Store;

    const EXCHANGES: &str = include_str!("../../fixtures/console/exchanges.jsonl");

    /// The request body of the recorded exchange `name`.
    fn recorded_body(name: &str) -> Value {
        let ex: Value = EXCHANGES
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| e["name"] == name)
            .unwrap();
        serde_json::from_str(ex["request"]["body"].as_str().unwrap()).unwrap()
    }

    fn console(hosts: ComponentHosts) -> Console {
        let params = ConsoleParams {
            name: "r1".into(),
            port: 0,
            api_key: "k".into(),
            api_secret: "s".into(),
            store: Store::open(None).unwrap(),
            clock: Clock::default(),
            deployer_delay: Duration::from_millis(7),
            create_latency: Duration::ZERO,
            rate_limit: 1000,
        };
        Console::with_hosts(params, hosts).unwrap()
    }

    async fn call(c: &Console, method: &str, path: &str, body: Value) -> (u16, Value) {
        let auth = base64::engine::general_purpose::STANDARD.encode("k:s");
        let req = ApiRequest {
            method: method.into(),
            path: format!("/ak/api/v3/{path}"),
            query: Vec::new(),
            authorization: Some(format!("Basic {auth}")),
            json_body: true,
            body,
        };
        let reply = c.route(&req).await;
        (reply.status, serde_json::from_str(&reply.body).unwrap())
    }

    /// A console whose only deployable type is a recording `fabric-peer` host, holding the
    /// imported CA that the recorded peer create enrolls against (`edit.ca` moved it to :27064).
    async fn console_with_peer_host() -> (Console, Calls) {
        let mut hosts = ComponentHosts::default();
        let (peer, calls) = RecordingHost::new("fabric-peer");
        hosts.register(Box::new(peer));
        let c = console(hosts);
        // What `Emulator::start` does after building each console.
        c.restore_hosts().await.unwrap();
        let mut ca = recorded_body("import.ca");
        ca["api_url"] = json!("https://127.0.0.1:27064");
        let (status, body) = call(&c, "POST", "components/fabric-ca", ca).await;
        assert_eq!(status, 200, "{body}");
        (c, calls)
    }

    #[tokio::test]
    async fn a_peer_host_plugs_in_and_create_update_delete_go_through_it() {
        let (c, calls) = console_with_peer_host().await;
        let peer = recorded_body("k8s.create-peer.valid.deployer-unreachable");
        let (status, doc) = call(&c, "POST", "kubernetes/components/fabric-peer", peer).await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["id"], "newpeer");
        assert_eq!(doc["type"], "fabric-peer");
        assert_eq!(doc["imported"], false);
        assert_eq!(doc["zone"], "zone1");
        assert_eq!(doc["tags"], json!(["fabric-peer", "ibm_saas", "tf"]));
        assert_eq!(
            doc["api_url"], "grpcs://newpeer.host:7051",
            "the host's field"
        );
        let (status, body) = call(
            &c,
            "PUT",
            "kubernetes/components/fabric-peer/newpeer",
            json!({"zone": "zone2"}),
        )
        .await;
        assert_eq!(status, 500, "a deployer refusal, relayed: {body}");
        assert_eq!(body["msg"]["message"], "the recording host keeps its zone");
        let (status, body) = call(&c, "DELETE", "kubernetes/components/newpeer", json!({})).await;
        assert_eq!(status, 200, "{body}");
        c.shutdown().await;
        assert_eq!(
            *calls.lock().unwrap(),
            [
                "restore",
                "deploy newpeer 7ms",
                "refuse_update zone",
                "remove newpeer",
                "shutdown"
            ]
        );
    }

    #[tokio::test]
    async fn a_record_only_delete_leaves_the_servers_alone() {
        let (c, calls) = console_with_peer_host().await;
        let peer = recorded_body("k8s.create-peer.valid.deployer-unreachable");
        let (status, _) = call(&c, "POST", "kubernetes/components/fabric-peer", peer).await;
        assert_eq!(status, 200);
        // `DELETE /components/{id}` removes only the record (docs/dev/console-api.md#deletes: the deployment is orphaned).
        let (status, _) = call(&c, "DELETE", "components/newpeer", json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(*calls.lock().unwrap(), ["restore", "deploy newpeer 7ms"]);
    }

    #[tokio::test]
    async fn a_type_without_a_host_is_validated_then_refused() {
        // A console whose hosts run CAs only refuses a valid peer create after validation.
        let mut hosts = ComponentHosts::default();
        hosts.register(Box::new(crate::ca_host::CaHost::new(
            "r1",
            Store::open(None).unwrap(),
        )));
        let c = console(hosts);
        let mut ca = recorded_body("import.ca");
        ca["api_url"] = json!("https://127.0.0.1:27064");
        assert_eq!(call(&c, "POST", "components/fabric-ca", ca).await.0, 200);
        let (status, body) = call(&c, "POST", "kubernetes/components/fabric-peer", json!({})).await;
        assert_eq!(status, 400, "validation first: {body}");
        let peer = recorded_body("k8s.create-peer.valid.deployer-unreachable");
        let (status, body) = call(&c, "POST", "kubernetes/components/fabric-peer", peer).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["msg"]["code"], "ENOTSUP");
        assert_eq!(
            body["msg"]["message"],
            "the emulated deployer does not create fabric-peer components"
        );
        assert_eq!(c.creates_in_flight().await, 0);
        assert_eq!(c.component_docs().await.len(), 1, "only the imported CA");
    }
}
