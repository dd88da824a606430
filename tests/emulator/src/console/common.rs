//! Rules shared by the record routes (`components`), the deployer routes (`deployer`) and the
//! component hosts: athena reads bodies, names new components, merges edits and redacts secrets
//! the same way for all.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::docs;
use super::{ApiRequest, Console};
use crate::http::Reply;
use crate::validate::{self, Context, Mode};

/// The body athena acts on: a non-JSON body is ignored, as if `{}` had been sent.
pub(super) fn body_of(req: &ApiRequest) -> Value {
    if req.json_body {
        req.body.clone()
    } else {
        json!({})
    }
}

/// A stored component's type (`fabric-ca`, `msp`, ...), empty when it has none.
pub(super) fn component_type(doc: &Value) -> String {
    doc.get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Validates the body of a new component (import or create); URLs may not reuse the host of a
/// stored component.
pub(super) fn validate_new(
    c: &Console,
    docs: &BTreeMap<String, Value>,
    schema: &str,
    body: &Value,
) -> Result<(), Reply> {
    let ctx = Context {
        known_hosts: Console::known_hosts(docs),
    };
    let errors = validate::validate_body(c.spec, schema, body, Mode::Create, &ctx);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Reply::validation(errors))
    }
}

/// How a new component's id is derived from its display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdRule {
    /// An imported record's ([`docs::record_id`]).
    Record,
    /// A deployed component's ([`docs::derive_id`]).
    Deployed,
}

/// The id of a new component: the body's `id` unless it is taken (athena's 409), else one derived
/// from `display_name` by `rule`.
pub(super) fn new_component_id(
    docs: &BTreeMap<String, Value>,
    id: Option<&Value>,
    display_name: Option<&Value>,
    rule: IdRule,
) -> Result<String, Reply> {
    match id.and_then(Value::as_str) {
        Some(explicit) if docs.contains_key(explicit) => Err(Reply::json(
            409,
            &json!({"statusCode":409,"msg":"unable to onboard component b/c of id conflict. use a different component id."}),
        )),
        Some(explicit) => Ok(explicit.to_string()),
        None => {
            let name = display_name.and_then(Value::as_str).unwrap_or_default();
            let taken = |cand: &str| docs.contains_key(cand);
            Ok(match rule {
                IdRule::Record => docs::record_id(name, taken),
                IdRule::Deployed => docs::derive_id(name, taken),
            })
        }
    }
}

/// JavaScript truthiness, for athena's `a || b` defaults and `if (input[key])`.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => true,
    }
}

/// Legacy fields athena drops from every record it writes (`libs/component_lib.js`
/// `format_input_to_doc`, run on import and again on every edit).
const LEGACY_FIELDS: [&str; 11] = [
    "node_type",
    "name",
    "short_name",
    "node_id",
    "url2use",
    "upgradable_versions",
    "isUpgradeAvailable",
    "backend_addr",
    "resource_warnings",
    "cr_status",
    "crstatus",
];

/// What athena's `format_input_to_doc` (`libs/component_lib.js`, run on every import and
/// edit) does to a record's fields before it stores them (docs/dev/msp.md#what-the-console-keeps):
/// `<`, `>` and backquotes leave `display_name`, `location` and an orderer's `cluster_name`
/// (which defaults to "My OS"), URLs lose `<>'\`()` and whitespace (`misc.js` `safe_url`), the
/// legacy fields go, an orderer's `cluster_id` goes through the id builder (`build_id`: only
/// `[a-zA-Z0-9_-]`, lower case, a `c` in front of a first character that is no letter, at most
/// 32 characters), and an MSP keeps no `msp` section, `url` or `ca_url` (it gets no formatting
/// of them, they are simply deleted), its legacy `pem` becomes `tls_cert`, and its `admins` and
/// `tls_root_certs` start empty (`import.msp.minimal`).
pub(super) fn format_record(obj: &mut serde_json::Map<String, Value>, t: &str) {
    let strip =
        |s: &str, bad: &dyn Fn(char) -> bool| s.chars().filter(|c| !bad(*c)).collect::<String>();
    let name_char = |c: char| matches!(c, '<' | '>' | '`');
    let url_char = |c: char| matches!(c, '<' | '>' | '\'' | '`' | '(' | ')') || c.is_whitespace();
    for key in ["display_name", "location"] {
        if let Some(Value::String(s)) = obj.get_mut(key) {
            *s = strip(s, &name_char);
        }
    }
    for key in ["api_url", "operations_url", "grpcwp_url", "osnadmin_url"] {
        if let Some(Value::String(s)) = obj.get_mut(key) {
            *s = strip(s, &url_char);
        }
    }
    for k in LEGACY_FIELDS {
        obj.remove(k);
    }
    if t == "msp" {
        let pem = obj.remove("pem");
        if !obj.get("tls_cert").is_some_and(truthy) {
            match pem.filter(truthy) {
                Some(p) => obj.insert("tls_cert".into(), p),
                None => obj.remove("tls_cert"),
            };
        }
        for k in ["url", "ca_url", "msp"] {
            obj.remove(k);
        }
        obj.entry("admins").or_insert(json!([]));
        obj.entry("tls_root_certs").or_insert(json!([]));
    }
    if t != "fabric-orderer" {
        return;
    }
    let name = obj
        .get("cluster_name")
        .and_then(Value::as_str)
        .map(|s| strip(s, &name_char))
        .unwrap_or_default();
    let name = if name.is_empty() {
        "My OS".to_owned()
    } else {
        name
    };
    obj.insert("cluster_name".into(), json!(name));
    if let Some(Value::String(id)) = obj.get_mut("cluster_id") {
        if !id.is_empty() {
            *id = cluster_id(id);
        }
    }
}

/// athena's `build_id` without the uniqueness step (a cluster id is shared by its nodes).
fn cluster_id(given: &str) -> String {
    docs::record_id(given, |_| false)
}

/// Deep-merges `patch` into `target`: edits keep the unsent parts of objects
/// (`edit.peer.msp-full`, and a CA's `config_override`).
pub(super) fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Case-insensitive object lookup (`ConfigCACreate` keys are case-insensitive in the spec).
pub(super) fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| {
        o.get(key).or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    })
}

/// Secrets are redacted at rest: `name`/`pass` of registry identities and any `enroll_id` /
/// `enroll_secret` become `"[redacted]"` (docs/dev/console-api.md#secrets-are-redacted-at-rest, `redact_enroll_details`).
pub(super) fn redact(v: &mut Value, in_identity: bool) {
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

/// athena's `comp_formatting_lib.js` `redact_enroll_details`: a regular expression over the
/// compact JSON text replaces the (non-empty string) value of every `enrollid`, `enrollsecret`,
/// `enroll_id`, `enroll_secret`, `name` and `pass` key, at any depth, with `"[redacted]"`;
/// anything but an object or array becomes `null`.
pub(crate) fn redact_enroll_details(v: &Value) -> Option<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, val) in m.iter_mut() {
                    let secret = matches!(
                        k.as_str(),
                        "enrollid"
                            | "enrollsecret"
                            | "enroll_id"
                            | "enroll_secret"
                            | "name"
                            | "pass"
                    );
                    if secret && val.as_str().is_some_and(|s| !s.is_empty()) {
                        *val = json!("[redacted]");
                    } else {
                        walk(val);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if !(v.is_object() || v.is_array()) {
        return None;
    }
    let mut out = v.clone();
    walk(&mut out);
    Some(out)
}

/// The deployer's name for component `id`: its letters and digits (athena's `make_subdomain`
/// strips everything else, and the deployer names the Kubernetes objects with it).
pub(crate) fn dep_component_id(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_explicit_unless_taken_else_derived() {
        let docs: BTreeMap<String, Value> = [("org1ca".to_string(), json!({}))].into();
        assert_eq!(
            new_component_id(&docs, Some(&json!("mine")), None, IdRule::Deployed).ok(),
            Some("mine".to_string())
        );
        let conflict = new_component_id(&docs, Some(&json!("org1ca")), None, IdRule::Record).err();
        assert_eq!(conflict.map(|r| r.status), Some(409));
        // A non-string id counts as absent.
        assert_eq!(
            new_component_id(
                &docs,
                Some(&json!(7)),
                Some(&json!("Org1 CA")),
                IdRule::Record
            )
            .ok(),
            Some("org1ca_0".to_string())
        );
        assert_eq!(
            new_component_id(&docs, None, None, IdRule::Deployed).ok(),
            Some(docs::derive_id("", |_| false))
        );
    }

    #[test]
    fn records_are_formatted_as_athena_stores_them() {
        let mut o = json!({"display_name": "<b>Orderer`1", "api_url": "grpcs://h:1 ", "cluster_name": "", "cluster_id": "Raft Cluster-1_x!"});
        let obj = o.as_object_mut().unwrap();
        format_record(obj, "fabric-orderer");
        assert_eq!(o["display_name"], "bOrderer1");
        assert_eq!(o["api_url"], "grpcs://h:1");
        assert_eq!(o["cluster_name"], "My OS");
        assert_eq!(o["cluster_id"], "raftcluster-1_x");
        assert_eq!(cluster_id("1abc"), "c1abc");
        assert_eq!(cluster_id(&"a".repeat(40)).len(), 32);
        let mut peer = json!({"display_name": "P"});
        format_record(peer.as_object_mut().unwrap(), "fabric-peer");
        assert_eq!(peer, json!({"display_name": "P"}));
    }

    #[test]
    fn merge_keeps_unsent_parts() {
        let mut target = json!({"ca": {"name": "a", "root_certs": ["x"]}, "n": 1});
        merge(&mut target, &json!({"ca": {"name": "b"}, "n": {"k": 2}}));
        assert_eq!(
            target,
            json!({"ca": {"name": "b", "root_certs": ["x"]}, "n": {"k": 2}})
        );
    }

    #[test]
    fn enroll_details_are_redacted_at_any_depth() {
        let v = json!({"peer": {"id": "x", "name": "p0"}, "list": [{"enroll_secret": "s", "pass": ""}], "Name": "kept"});
        assert_eq!(
            redact_enroll_details(&v),
            Some(
                json!({"peer": {"id": "x", "name": "[redacted]"}, "list": [{"enroll_secret": "[redacted]", "pass": ""}], "Name": "kept"})
            )
        );
        assert_eq!(redact_enroll_details(&json!("text")), None);
    }

    #[test]
    fn component_type_is_empty_when_missing() {
        assert_eq!(component_type(&json!({"type": "msp"})), "msp");
        assert_eq!(component_type(&json!({})), "");
    }
}
