//! Record-only component routes: import, get, list (all / by type / by tag), edit, delete.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::common::{
    body_of, component_type, format_record, merge, new_component_id, truthy, validate_new, IdRule,
};
use super::docs::{self, View};
use super::{deployer, ApiRequest, Cached, Console, Data};
use crate::http::Reply;
use crate::validate::{self, Context, Mode};

// athena's memory cache (docs/dev/console-api.md#stale-read-after-delete).
const STALE_DELETE_MS: i64 = 30_000;
const TYPE_CACHE_MS: i64 = 120_000; // list-by-type cache (docs/dev/console-api.md#list-caches)
const TAG_CACHE_MS: i64 = 30_000; // list-by-tag cache (docs/dev/console-api.md#list-caches)

/// athena `edit_component`'s `prevent_edit_keys`: dropped from every edit.
const PREVENT_EDIT: [&str; 7] = [
    "type",
    "cluster_id",
    "_id",
    "_rev",
    "id",
    "timestamp",
    "edited_timestamp",
];
/// athena `edit_component`'s `prevent_null_val_keys`: not edited when sent null or empty.
const PREVENT_NULL: [&str; 19] = [
    "display_name",
    "version",
    "storage",
    "resources",
    "state_db",
    "tags",
    "region",
    "zone",
    "arch",
    "replicas",
    "resource_warnings",
    "config_override",
    "tls_cert",
    "ca_root_certs",
    "tls_ca_root_certs",
    "ecert",
    "admin_certs",
    "tlsca_name",
    "ca_name",
];
/// athena `edit_component`'s `keys_for_multi_raft_node_edit` an edit schema accepts
/// (`system_channel_data` is not in `EditOrdererDataBody`).
const MULTI_NODE_KEYS: [&str; 2] = ["cluster_name", "system_channel_id"];

fn import_schema(t: &str) -> Option<&'static str> {
    match t {
        "fabric-ca" => Some("ImportCaBody"),
        "fabric-peer" => Some("ImportPeerBody"),
        "fabric-orderer" => Some("ImportOrdererBody"),
        "msp" => Some("ImportMSPBody"),
        _ => None,
    }
}

fn edit_schema(t: &str) -> Option<&'static str> {
    match t {
        "fabric-ca" => Some("EditCaDataBody"),
        "fabric-peer" => Some("EditPeerBody"),
        "fabric-orderer" => Some("EditOrdererDataBody"),
        "msp" => Some("EditMspBody"),
        _ => None,
    }
}

/// Query checks shared by the GET routes (`components.list.invalid-query-value`: enum values are
/// validated, unknown parameters ignored: `components.get.peer.unknown-query`).
fn check_query(c: &Console, req: &ApiRequest, ca_attrs_allowed: bool) -> Result<View, Reply> {
    if !ca_attrs_allowed && req.query("ca_attrs").is_some() {
        // `components.list-by-type.ca-attrs-unsupported`
        return Err(Reply::validation(vec![c
            .spec
            .message("unsupported_query", &[("PROPERTY_NAME", "ca_attrs")])]));
    }
    let mut msgs = Vec::new();
    let mut check = |name: &str, allowed: &[&str]| {
        if let Some(v) = req.query(name) {
            if !allowed.contains(&v) {
                let values = allowed
                    .iter()
                    .map(|a| format!("'{a}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                msgs.push(c.spec.message(
                    "invalid_value",
                    &[("PROPERTY_NAME", name), ("VALUES", &values)],
                ));
            }
        }
    };
    check("deployment_attrs", &["included", "omitted"]);
    check("parsed_certs", &["included", "omitted"]);
    check("cache", &["skip", "use"]);
    if ca_attrs_allowed {
        check("ca_attrs", &["included", "omitted"]);
    }
    if !msgs.is_empty() {
        return Err(Reply::validation(msgs));
    }
    let deployment = req.query("deployment_attrs") == Some("included");
    Ok(View {
        full_msp: deployment,
        deployment,
        parsed_certs: req.query("parsed_certs") == Some("included"),
    })
}

fn skip_cache(req: &ApiRequest) -> bool {
    req.query("cache") == Some("skip")
}

/// `GET /components`: always fresh (`components.list`, `delete.list-all-right-after`).
pub async fn list_all(c: &Console, req: &ApiRequest) -> Reply {
    let view = match check_query(c, req, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut data = c.data.lock().await;
    if view.deployment {
        let ids: Vec<String> = data.docs.keys().cloned().collect();
        deployer::sync_deployment_attrs(c, &mut data, &ids).await;
    }
    components_reply(c, data.docs.values().cloned().collect(), view)
}

/// A 200 list of components, in athena's order.
fn components_reply(c: &Console, list: Vec<Value>, view: View) -> Reply {
    components_reply_with(c, list, view, docs::render)
}

fn components_reply_with(
    c: &Console,
    mut list: Vec<Value>,
    view: View,
    render: fn(&Value, View, i64) -> Value,
) -> Reply {
    docs::list_order(&mut list);
    let now = c.now();
    let rendered: Vec<Value> = list.iter().map(|d| render(d, view, now)).collect();
    Reply::json(200, &json!({"components": rendered}))
}

/// `GET /ak/api/v2/components`: the same list in athena's v2 shape (`docs::render_v2`).
pub async fn list_all_v2(c: &Console, req: &ApiRequest) -> Reply {
    let view = match check_query(c, req, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let data = c.data.lock().await;
    components_reply_with(
        c,
        data.docs.values().cloned().collect(),
        view,
        docs::render_v2,
    )
}

/// `GET /ak/api/v2/components/{id}`: one component in athena's v2 shape.
pub async fn get_v2(c: &Console, req: &ApiRequest, id: &str) -> Reply {
    let view = match check_query(c, req, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let data = c.data.lock().await;
    match data.docs.get(id) {
        Some(doc) => Reply::json(200, &docs::render_v2(doc, view, c.now())),
        None => Reply::missing_component(),
    }
}

/// The 222 "empty" answer (docs/dev/console-api.md#empty-lists-answer-222).
fn empty_222(db_empty: bool, what: &str) -> Reply {
    let msg = if db_empty {
        "no components exist".to_string()
    } else {
        format!("no components by {what} exist")
    };
    Reply::json(
        222,
        &json!({"msg": msg, "reason": "missing", "components": []}),
    )
}

fn cached_list(
    data: &mut Data,
    by_type: bool,
    key: &str,
    fresh: bool,
    now: i64,
    select: impl Fn(&Value) -> bool,
) -> Cached {
    let ttl = if by_type { TYPE_CACHE_MS } else { TAG_CACHE_MS };
    if !fresh {
        if let Some(hit) = list_cache(data, by_type)
            .get(key)
            .filter(|h| h.expires_ms > now)
        {
            return hit.clone();
        }
    }
    let docs: Vec<Value> = data.docs.values().filter(|d| select(d)).cloned().collect();
    let entry = Cached {
        expires_ms: now + ttl,
        docs,
        db_empty: data.docs.is_empty(),
    };
    // Imports do not clear this cache; `cache=skip` refreshes it (`...fabric-peer.after-cache-skip`).
    list_cache(data, by_type).insert(key.to_string(), entry.clone());
    entry
}

fn list_cache(data: &mut Data, by_type: bool) -> &mut HashMap<String, Cached> {
    if by_type {
        &mut data.type_cache
    } else {
        &mut data.tag_cache
    }
}

async fn list_reply(
    c: &Console,
    data: &mut Data,
    mut hit: Cached,
    view: View,
    what: &str,
) -> Reply {
    if hit.docs.is_empty() {
        return empty_222(hit.db_empty, what);
    }
    if view.deployment {
        let ids: Vec<String> = hit
            .docs
            .iter()
            .filter_map(|d| d.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        deployer::sync_deployment_attrs(c, data, &ids).await;
        deployer::merge_deployment_attrs(c, &mut hit.docs).await;
    }
    components_reply(c, hit.docs, view)
}

/// `GET /components/types/{type}`; unknown types are "route not found" (`components.list-by-type.unknown-type`).
pub async fn list_by_type(c: &Console, req: &ApiRequest, t: &str) -> Reply {
    if !docs::TYPES.contains(&t) {
        return Reply::route_not_found();
    }
    let view = match check_query(c, req, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = c.now();
    let mut data = c.data.lock().await;
    let hit = cached_list(&mut data, true, t, skip_cache(req), now, |d| {
        d.get("type").and_then(Value::as_str) == Some(t)
    });
    list_reply(c, &mut data, hit, view, "type").await
}

/// `GET /components/tags/{tag}` (case-insensitive).
pub async fn list_by_tag(c: &Console, req: &ApiRequest, tag: &str) -> Reply {
    let view = match check_query(c, req, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = c.now();
    let key = tag.to_lowercase();
    let mut data = c.data.lock().await;
    let hit = cached_list(&mut data, false, &key, skip_cache(req), now, |d| {
        docs::has_tag(d, tag)
    });
    list_reply(c, &mut data, hit, view, "tag").await
}

/// `GET /components/msps/{msp_id}`: public; MSPs with exactly that msp_id, reduced
/// (`components.msps-by-msp-id.no-auth`, `.unknown`).
pub async fn msps_by_id(c: &Console, msp_id: &str) -> Reply {
    let data = c.data.lock().await;
    let mut list: Vec<Value> = data
        .docs
        .values()
        .filter(|d| {
            d.get("type").and_then(Value::as_str) == Some("msp")
                && d.get("msp_id").and_then(Value::as_str) == Some(msp_id)
        })
        .cloned()
        .collect();
    if list.is_empty() {
        return Reply::json(
            400,
            &json!({"statusCode":400,"msg":format!("MSP {msp_id} not found")}),
        );
    }
    docs::list_order(&mut list);
    let msps: Vec<Value> = list
        .iter()
        .map(|d| {
            let mut m = Map::new();
            for k in ["msp_id", "root_certs", "admins", "tls_root_certs"] {
                if let Some(v) = d.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    Reply::json(200, &json!({"msps": msps}))
}

/// `GET /components/{id}`: a plain read may be a stale delete result
/// (docs/dev/console-api.md#stale-read-after-delete).
pub async fn get(c: &Console, req: &ApiRequest, id: &str) -> Reply {
    let view = match check_query(c, req, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = c.now();
    let mut data = c.data.lock().await;
    if !skip_cache(req) {
        if let Some((expires, body)) = data.stale.get(id) {
            if *expires > now {
                return Reply::json(200, body);
            }
        }
    }
    data.stale.retain(|_, (e, _)| *e > now);
    if view.deployment {
        deployer::sync_deployment_attrs(c, &mut data, &[id.to_string()]).await;
    }
    match data.docs.get(id) {
        Some(doc) => Reply::json(200, &docs::render(doc, view, now)),
        None => Reply::missing_component(),
    }
}

/// An edit naming the component by a legacy field: `name`, else `display_name`, else
/// `short_name` becomes the display name (athena `edit_component`).
fn edit_names(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        let pick = ["name", "display_name", "short_name"]
            .iter()
            .find_map(|k| o.get(*k).filter(|v| truthy(v)).cloned());
        if let Some(name) = pick {
            o.insert("display_name".into(), name);
        }
    }
    body
}

/// Import (`POST /components/{type}` or `POST /components` with `type` in the body).
pub async fn import(c: &Console, req: &ApiRequest, route_type: Option<&str>) -> Reply {
    let missing_type = || Reply::validation(vec![c.spec.message("missing_type", &[])]);
    // A non-JSON body is ignored and the type is then missing even on typed routes (`import.wrong-content-type`).
    if !req.json_body {
        return missing_type();
    }
    let mut body = match req.body.as_object() {
        Some(o) => o.clone(),
        None => return missing_type(),
    };
    let t = match route_type {
        Some(t) => t.to_string(),
        None => match body
            .remove("type")
            .and_then(|v| v.as_str().map(str::to_string))
        {
            Some(t) => t,
            None => return missing_type(),
        },
    };
    let Some(schema) = import_schema(&t) else {
        return missing_type(); // `import.generic.unknown-type`
    };
    // athena decides `imported` itself: a body's is dropped before validation (FOC
    // `packages/athena/routes/component_apis.js` `add_component`), so an export that says
    // `imported: true` imports (docs/dev/console-api.md#imported-cas).
    body.remove("imported");
    let body_value = Value::Object(body.clone());
    let ignore = body.get("_ignore_validation_errors") == Some(&Value::Bool(true));
    if ignore {
        // athena skips validation, then the database rejects the underscore field
        // (`import.msp.ignore-validation-errors`, database-dependent).
        return Reply::json(500, &json!({"statusCode":500,"msg":null}));
    }
    let mut data = c.data.lock().await;
    if let Err(invalid) = validate_new(c, &data.docs, schema, &body_value) {
        return invalid;
    }
    let explicit_id = body.remove("id");
    let id = match new_component_id(
        &data.docs,
        explicit_id.as_ref(),
        body.get("display_name"),
        IdRule::Record,
    ) {
        Ok(id) => id,
        Err(conflict) => return conflict,
    };
    let tags = docs::import_tags(body.get("tags"), &t);
    let mut doc = body;
    doc.insert("id".into(), json!(id));
    doc.insert("type".into(), json!(t));
    doc.insert("tags".into(), tags);
    doc.insert("imported".into(), json!(true));
    doc.entry("location").or_insert(json!("-"));
    // A scheme version or timestamp the body brings is kept (`format_input_to_doc`).
    if !doc.get("scheme_version").is_some_and(truthy) {
        doc.insert("scheme_version".into(), json!("v1"));
    }
    if !doc.get("timestamp").is_some_and(truthy) {
        doc.insert("timestamp".into(), json!(c.now()));
    }
    format_record(&mut doc, &t);
    // `import.orderer`: stored as true (athena `format_input_to_doc`); the response's
    // `system_channel_id` default comes from `docs::render`.
    if t == "fabric-orderer" {
        doc.insert("consenter_proposal_fin".into(), json!(true));
    }
    let doc = Value::Object(doc);
    if let Err(e) = c.store.put_component(&c.name, &id, &doc) {
        tracing::error!(error = %e, "persisting component failed");
        return Reply::json(500, &json!({"statusCode":500,"msg":"database error"}));
    }
    data.docs.insert(id.clone(), doc.clone());
    data.stale.remove(&id);
    Reply::json(200, &docs::render(&doc, View::default(), c.now()))
}

/// Edit (`PUT /components/{type}/{id}` or `/components/{id}`): the route's type is ignored, the
/// stored type picks the schema (`edit.peer.via-ca-route`).
pub async fn edit(c: &Console, req: &ApiRequest, id: &str) -> Reply {
    let mut data = c.data.lock().await;
    let Some(existing) = data.docs.get(id).cloned() else {
        return Reply::missing_component();
    };
    let t = component_type(&existing);
    let body = body_of(req);
    if let Some(schema) = edit_schema(&t) {
        let errors =
            validate::validate_body(c.spec, schema, &body, Mode::Edit, &Context::default());
        if !errors.is_empty() {
            return Reply::validation(errors);
        }
    }
    let mut doc = existing;
    let patch = edit_names(body).as_object().cloned().unwrap_or_default();
    if let Some(obj) = doc.as_object_mut() {
        for (k, v) in &patch {
            // athena `edit_component` (`libs/component_lib.js`): some keys are never edited
            // (`prevent_edit_keys`), and some are left as they are when sent null or empty
            // (`prevent_null_val_keys`).
            if PREVENT_EDIT.contains(&k.as_str())
                || (PREVENT_NULL.contains(&k.as_str()) && (v.is_null() || v == &json!("")))
            {
                continue;
            }
            match k.as_str() {
                // An edit replaces the list and the type tag comes back (`edit.peer.tags-replace`).
                "tags" => {
                    obj.insert("tags".into(), docs::import_tags(Some(v), &t));
                }
                // `ca_name` edits msp.ca.name (`edit.ca`).
                "ca_name" if t == "fabric-ca" => {
                    if let Some(ca) = obj
                        .get_mut("msp")
                        .and_then(|m| m.get_mut("ca"))
                        .and_then(Value::as_object_mut)
                    {
                        ca.insert("name".into(), v.clone());
                    }
                }
                "msp" => {
                    let target = obj.entry("msp").or_insert(json!({}));
                    merge(target, v);
                }
                _ => {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        format_record(obj, &t);
        // An empty body still bumps edited_timestamp (`edit.ca.empty-body`).
        obj.insert("edited_timestamp".into(), json!(c.now()));
    }
    let mut changed = vec![(id.to_string(), doc.clone())];
    // A truthy cluster-wide key edits every node with the same cluster_id (athena
    // `multi_raft_node_edit`; `edit.orderer.cluster-name`, `edit.orderer.get-other-node`).
    let cluster = doc
        .get("cluster_id")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty());
    let cluster_wide: Vec<&str> = MULTI_NODE_KEYS
        .into_iter()
        .filter(|k| patch.get(*k).is_some_and(truthy))
        .collect();
    if let (Some(cid), false) = (cluster, cluster_wide.is_empty()) {
        for (oid, other) in data.docs.iter() {
            if oid == id || other.get("cluster_id").and_then(Value::as_str) != Some(cid) {
                continue;
            }
            let mut o = other.clone();
            if let Some(m) = o.as_object_mut() {
                for key in &cluster_wide {
                    if let Some(v) = doc.get(*key) {
                        m.insert((*key).to_owned(), v.clone());
                    }
                }
            }
            if &o != other {
                changed.push((oid.clone(), o));
            }
        }
    }
    for (cid, cdoc) in changed {
        if let Err(e) = c.store.put_component(&c.name, &cid, &cdoc) {
            tracing::error!(error = %e, "persisting component failed");
            return Reply::json(500, &json!({"statusCode":500,"msg":"database error"}));
        }
        data.docs.insert(cid, cdoc);
    }
    let mut out = docs::render(
        &doc,
        View {
            full_msp: true,
            deployment: false,
            parsed_certs: false,
        },
        c.now(),
    );
    if let Some(o) = out.as_object_mut() {
        o.insert("message".into(), json!("ok"));
    }
    Reply::json(200, &docs::sorted(out))
}

/// Removes the record (the deployment of a created component is orphaned,
/// docs/dev/console-api.md#deletes) and leaves the 30 s stale read behind
/// (docs/dev/console-api.md#stale-read-after-delete).
pub(crate) fn remove_record(c: &Console, data: &mut Data, id: &str) -> Result<Value, Reply> {
    let Some(doc) = data.docs.remove(id) else {
        return Err(Reply::missing_component());
    };
    if let Err(e) = c.store.delete_component(&c.name, id) {
        tracing::error!(error = %e, "deleting component failed");
    }
    data.stale.insert(
        id.to_string(),
        (c.now() + STALE_DELETE_MS, docs::stale_after_delete(&doc)),
    );
    Ok(docs::deleted_reply(&doc))
}

/// `DELETE /components/{id}` (`delete.ca`); skips the cache (`delete.again` is 404 at once).
pub async fn delete(c: &Console, id: &str) -> Reply {
    let mut data = c.data.lock().await;
    match remove_record(c, &mut data, id) {
        Ok(body) => Reply::json(200, &body),
        Err(r) => r,
    }
}

/// `DELETE /components/tags/{tag}` (`delete.by-tag`, `delete.by-tag.no-match`).
pub async fn delete_by_tag(c: &Console, tag: &str) -> Reply {
    let mut data = c.data.lock().await;
    let ids: Vec<String> = data
        .docs
        .iter()
        .filter(|(_, d)| docs::has_tag(d, tag))
        .map(|(id, _)| id.clone())
        .collect();
    if ids.is_empty() {
        return Reply::json(
            404,
            &json!({"statusCode":404,"msg":"no components by tag exist","reason":"missing","components":[]}),
        );
    }
    let mut removed = Vec::new();
    for id in ids {
        if let Ok(r) = remove_record(c, &mut data, &id) {
            removed.push(r);
        }
    }
    Reply::json(200, &json!({"removed": removed}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(t: &str, doc: Value) -> Value {
        let mut m = doc.as_object().cloned().unwrap_or_default();
        format_record(&mut m, t);
        Value::Object(m)
    }

    #[test]
    fn an_msp_record_keeps_what_format_input_to_doc_keeps() {
        let doc = formatted(
            "msp",
            json!({"display_name": "Org<1> `MSP`", "name": "Org1 MSP", "msp": {"ca": {}},
                   "url": "https://x", "pem": "UEVN", "node_type": "msp", "msp_id": "Org1MSP",
                   "fabric_node_ous": {"enable": true}, "host_url": "https://c"}),
        );
        assert_eq!(
            doc,
            json!({"display_name": "Org1 MSP", "msp_id": "Org1MSP",
                   "fabric_node_ous": {"enable": true}, "host_url": "https://c",
                   "tls_cert": "UEVN", "admins": [], "tls_root_certs": []})
        );
        // Other types keep their v3 `msp` section (the emulator stores it so) and URLs.
        let ca = formatted(
            "fabric-ca",
            json!({"msp": {"ca": {}}, "name": "x", "url": "u"}),
        );
        assert_eq!(ca, json!({"msp": {"ca": {}}, "url": "u"}));
    }

    #[test]
    fn an_edit_may_rename_by_a_legacy_field() {
        assert_eq!(
            edit_names(json!({"name": "New", "display_name": "Other"}))["display_name"],
            "New"
        );
        assert_eq!(edit_names(json!({"short_name": "S"}))["display_name"], "S");
        assert_eq!(edit_names(json!({"msp_id": "X"})), json!({"msp_id": "X"}));
    }
}
