//! The `/kubernetes/...` routes with an emulated deployer behind them.
//!
//! athena validates the body first (`k8s.create-ca.invalid.*`), then calls the deployer
//! (fixture README 26). The recordings stop at the deployer call, so what happens after a valid
//! CA create follows console-api.md §2.1 (CaResponse) and the brief; peer and orderer creates are
//! validated but not deployed here.

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::common::{body_of, component_type, merge, new_component_id, validate_new};
use super::components::remove_record;
use super::docs::{self, View};
use super::{ApiRequest, Console};
use crate::fabric_ca::BootstrapIdentity;
use crate::http::Reply;
use crate::validate::{self, Context, Mode};

/// Default image version of created CAs. Not recorded; athena's settings name 1.5.5 as the minimum
/// CA version (`settings.get.no-auth` MIGRATION_MIN_VERSIONS), and `-0` is IBP's image suffix
/// (console-api.md §2.4 `version` row: "e.g. 2.2.1-0").
pub const DEFAULT_CA_VERSION: &str = "1.5.5-0";
const DEFAULT_PEER_VERSION: &str = "2.5.12-0";

/// A deployer failure, in athena's `{statusCode, msg:<deployer body>}` shape (console-api.md §3).
fn deployer_error(message: &str, code: &str) -> Reply {
    Reply::json(
        500,
        &json!({"statusCode":500,"msg":{"message":message,"name":"Error","code":code}}),
    )
}

/// The answer to a deployer call: the component with its deployment attributes and full MSP.
fn deployed_reply(c: &Console, doc: &Value) -> Reply {
    let view = View {
        full_msp: true,
        deployment: true,
        parsed_certs: false,
    };
    Reply::json(200, &docs::render(doc, view, c.now()))
}

/// Case-insensitive object lookup (`ConfigCACreate` keys are case-insensitive in the spec).
fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| {
        o.get(key).or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    })
}

fn identities(section: Option<&Value>) -> Vec<BootstrapIdentity> {
    section
        .and_then(|s| get_ci(s, "registry"))
        .and_then(|r| get_ci(r, "identities"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .map(|i| BootstrapIdentity {
                    name: get_ci(i, "name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    pass: get_ci(i, "pass")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    kind: get_ci(i, "type")
                        .and_then(Value::as_str)
                        .unwrap_or("client")
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Secrets are redacted at rest: `name`/`pass` of registry identities and any `enroll_id` /
/// `enroll_secret` become `"[redacted]"` (console-api.md §2.1, `redact_enroll_details`).
pub fn redact(v: &mut Value, in_identity: bool) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                let lk = k.to_ascii_lowercase();
                if lk == "enroll_id"
                    || lk == "enroll_secret"
                    || (in_identity && (lk == "name" || lk == "pass"))
                {
                    *val = json!("[redacted]");
                } else if lk == "identities" {
                    if let Value::Array(items) = val {
                        for item in items {
                            redact(item, true);
                        }
                    }
                } else {
                    redact(val, false);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| redact(x, false)),
        _ => {}
    }
}

fn b64(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem)
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
/// component_lib.js `onboard_component`; console-api.md §3 "Create is synchronous up to a timeout"):
///
/// 1. The body is validated and the id chosen against the *stored* docs: a 400 or an explicit-id
///    409 comes back at once (fixture README 26).
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
    let id = {
        let mut data = c.data.lock().await;
        if let Err(invalid) = validate_new(c, &data.docs, schema, &body) {
            return invalid;
        }
        if t != "fabric-ca" {
            return deployer_error(
                &format!("the emulated deployer does not create {t} components"),
                "ENOTSUP",
            );
        }
        let id = match new_component_id(&data.docs, body.get("id"), body.get("display_name")) {
            Ok(id) => id,
            Err(conflict) => return conflict,
        };
        if !data.creating.insert(id.clone()) {
            tracing::info!(id = %id, "create refused: the deployer is still creating this id");
            return deployer_conflict(&id);
        }
        id
    };
    let latency = c.faults.create_latency_value().unwrap_or(c.create_latency);
    let deployed = if hold(c, latency).await {
        deploy_ca(c, &id, &body).await
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
        return abandon(c, &id, conflict).await;
    }
    if c.is_stopping() {
        drop(data);
        let reply = deployer_error("the console is shutting down", "ESHUTDOWN");
        return abandon(c, &id, reply).await;
    }
    if let Err(e) = c.store.put_component(&c.name, &id, &doc) {
        tracing::error!(error = %e, "persisting component failed");
        drop(data);
        return abandon(c, &id, deployer_error("database error", "EDB")).await;
    }
    data.creating.remove(&id);
    data.docs.insert(id.clone(), doc.clone());
    data.stale.remove(&id);
    deployed_reply(c, &doc)
}

/// Removes the CA of a create that will not be recorded, then releases its id (in this order, so a
/// new create of the id cannot lose its CA to this clean-up).
async fn abandon(c: &Console, id: &str, reply: Reply) -> Reply {
    if let Err(e) = c.cas.remove(id).await {
        tracing::error!(id, error = %e, "removing an abandoned CA failed");
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

/// The deployer's part of a CA create: starts the CA and builds the component doc (not stored).
async fn deploy_ca(c: &Console, id: &str, body: &Value) -> Result<Value, Reply> {
    let co = body
        .get("config_override")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let ca_section = get_ci(&co, "ca");
    let ca_ids = identities(ca_section);
    // tlsca defaults to a copy of ca (OpenAPI CreateCaBody.config_override description).
    let tlsca_section = get_ci(&co, "tlsca").or(ca_section);
    let tlsca_ids = identities(tlsca_section);
    let info = match c.cas.create(id, ca_ids, tlsca_ids, c.deployer_delay).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "CA create failed");
            return Err(deployer_error(&e.to_string(), "EDEPLOY"));
        }
    };
    let mut config_override = co.clone();
    if let (Some(obj), Some(ca)) = (config_override.as_object_mut(), ca_section) {
        if get_ci(&co, "tlsca").is_none() {
            obj.insert("tlsca".into(), ca.clone());
        }
    }
    redact(&mut config_override, false);
    let url = format!("https://127.0.0.1:{}", info.port);
    let mut doc = Map::new();
    doc.insert("id".into(), json!(id));
    doc.insert(
        "dep_component_id".into(),
        json!(id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()),
    );
    doc.insert(
        "display_name".into(),
        body.get("display_name").cloned().unwrap_or(Value::Null),
    );
    doc.insert("api_url".into(), json!(url));
    doc.insert("operations_url".into(), json!(url));
    doc.insert("location".into(), json!("ibm_saas"));
    doc.insert("imported".into(), json!(false));
    doc.insert(
        "msp".into(),
        json!({
            "ca": {"name": info.ca_name, "root_certs": [b64(&info.ca_root_pem)]},
            "tlsca": {"name": info.tlsca_name, "root_certs": [b64(&info.tlsca_root_pem)]},
            "component": {"tls_cert": b64(&info.tls_cert_pem)}
        }),
    );
    doc.insert("config_override".into(), config_override);
    // Defaults from athena's THE_DEFAULT_RESOURCES_MAP.ca (`settings.get.no-auth`): 100m / 200Mi / 20Gi.
    doc.insert(
        "resources".into(),
        body.get("resources")
            .cloned()
            .unwrap_or_else(|| json!({"ca":{"requests":{"cpu":"100m","memory":"200Mi"}}})),
    );
    doc.insert(
        "storage".into(),
        body.get("storage")
            .cloned()
            .unwrap_or_else(|| json!({"ca":{"size":"20Gi","class":""}})),
    );
    doc.insert("scheme_version".into(), json!("v1"));
    doc.insert(
        "tags".into(),
        docs::create_tags(body.get("tags"), "fabric-ca"),
    );
    doc.insert("timestamp".into(), json!(c.now()));
    doc.insert("type".into(), json!("fabric-ca"));
    doc.insert(
        "version".into(),
        body.get("version")
            .cloned()
            .unwrap_or_else(|| json!(DEFAULT_CA_VERSION)),
    );
    doc.insert(
        "replicas".into(),
        body.get("replicas").cloned().unwrap_or_else(|| json!(1)),
    );
    for k in ["zone", "region", "hsm"] {
        if let Some(v) = body.get(k) {
            doc.insert(k.into(), v.clone());
        }
    }
    Ok(Value::Object(doc))
}

fn uses_postgres(co: &Value, section: &str) -> bool {
    get_ci(co, section)
        .and_then(|s| get_ci(s, "db"))
        .and_then(|d| get_ci(d, "type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("postgres"))
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
    if patch.get("dry_run_mode").and_then(Value::as_bool) == Some(true) {
        return deployed_reply(c, &doc);
    }
    if let Some(obj) = doc.as_object_mut() {
        for (k, v) in patch {
            match k.as_str() {
                "config_override" => {
                    let mut v = v.clone();
                    redact(&mut v, false);
                    let target = obj.entry("config_override").or_insert(json!({}));
                    merge(target, &v);
                }
                "replicas" => {
                    // Replicas > 1 need a shared postgres database for ca and tlsca (console-api.md §2.1).
                    let n = v.as_f64().unwrap_or(1.0);
                    let co = obj.get("config_override").cloned().unwrap_or(Value::Null);
                    if n > 1.0 && !(uses_postgres(&co, "ca") && uses_postgres(&co, "tlsca")) {
                        return Reply::validation(vec![
                            "Parameter 'replicas' cannot be greater than 1 unless 'config_override.ca.db' and 'config_override.tlsca.db' use a 'postgres' database.".to_string(),
                        ]);
                    }
                    obj.insert(k.clone(), v.clone());
                }
                "resources" | "version" | "zone" => {
                    obj.insert(k.clone(), v.clone());
                }
                _ => {}
            }
        }
        obj.insert("edited_timestamp".into(), json!(c.now()));
    }
    if let Err(e) = c.store.put_component(&c.name, id, &doc) {
        tracing::error!(error = %e, "persisting component failed");
        return deployer_error("database error", "EDB");
    }
    data.docs.insert(id.to_string(), doc.clone());
    deployed_reply(c, &doc)
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
    if let Err(e) = c.cas.remove(id).await {
        tracing::error!(error = %e, "removing CA failed");
    }
    match remove_record(c, &mut data, id) {
        Ok(body) => Reply::json(200, &body),
        Err(r) => r,
    }
}

/// `GET /kubernetes/fabric/versions` (console-api.md §2 GetFabVersions shape).
pub fn versions() -> Reply {
    let entry = |v: &str| json!({v: {"default": true, "version": v, "image": {}}});
    Reply::json(
        200,
        &json!({"versions": {"ca": entry(DEFAULT_CA_VERSION), "peer": entry(DEFAULT_PEER_VERSION), "orderer": entry(DEFAULT_PEER_VERSION)}}),
    )
}
