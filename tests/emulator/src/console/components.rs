//! Record-only component routes: import, get, list (all / by type / by tag), edit, delete.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::common::{body_of, component_type, merge, new_component_id, validate_new};
use super::docs::{self, View};
use super::{deployer, ApiRequest, Cached, Console, Data};
use crate::http::Reply;
use crate::validate::{self, Context, Mode};

// athena's memory cache (docs/dev/console-api.md#stale-read-after-delete).
const STALE_DELETE_MS: i64 = 30_000;
const TYPE_CACHE_MS: i64 = 120_000; // list-by-type cache (docs/dev/console-api.md#list-caches)
const TAG_CACHE_MS: i64 = 30_000; // list-by-tag cache (docs/dev/console-api.md#list-caches)

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
fn components_reply(c: &Console, mut list: Vec<Value>, view: View) -> Reply {
    docs::list_order(&mut list);
    let now = c.now();
    let rendered: Vec<Value> = list.iter().map(|d| docs::render(d, view, now)).collect();
    Reply::json(200, &json!({"components": rendered}))
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
    let id = match new_component_id(&data.docs, explicit_id.as_ref(), body.get("display_name")) {
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
    doc.insert("scheme_version".into(), json!("v1"));
    doc.insert("timestamp".into(), json!(c.now()));
    match t.as_str() {
        // `import.msp.minimal`
        "msp" => {
            doc.entry("admins").or_insert(json!([]));
            doc.entry("tls_root_certs").or_insert(json!([]));
        }
        // `import.orderer`: added even with systemless true
        "fabric-orderer" => {
            doc.insert("consenter_proposal_fin".into(), json!(true));
            doc.entry("system_channel_id")
                .or_insert(json!("testchainid"));
        }
        _ => {}
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
    let mut renamed_cluster: Option<(String, Value)> = None;
    if let (Some(obj), Some(patch)) = (doc.as_object_mut(), body.as_object()) {
        for (k, v) in patch {
            match k.as_str() {
                "id" | "type" | "timestamp" | "edited_timestamp" | "imported" => {}
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
                "cluster_name" if t == "fabric-orderer" => {
                    obj.insert(k.clone(), v.clone());
                    if let Some(cid) = obj.get("cluster_id").and_then(Value::as_str) {
                        renamed_cluster = Some((cid.to_string(), v.clone()));
                    }
                }
                _ => {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        // An empty body still bumps edited_timestamp (`edit.ca.empty-body`).
        obj.insert("edited_timestamp".into(), json!(c.now()));
    }
    let mut changed = vec![(id.to_string(), doc.clone())];
    // Editing cluster_name renames every node of that cluster (`edit.orderer.get-other-node`).
    if let Some((cid, name)) = renamed_cluster {
        for (oid, other) in data.docs.iter() {
            if oid != id && other.get("cluster_id").and_then(Value::as_str) == Some(cid.as_str()) {
                let mut o = other.clone();
                if let Some(m) = o.as_object_mut() {
                    m.insert("cluster_name".into(), name.clone());
                }
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
