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

/// The id of a new component: the body's `id` unless it is taken (athena's 409), else one derived
/// from `display_name`.
pub(super) fn new_component_id(
    docs: &BTreeMap<String, Value>,
    id: Option<&Value>,
    display_name: Option<&Value>,
) -> Result<String, Reply> {
    match id.and_then(Value::as_str) {
        Some(explicit) if docs.contains_key(explicit) => Err(Reply::json(
            409,
            &json!({"statusCode":409,"msg":"unable to onboard component b/c of id conflict. use a different component id."}),
        )),
        Some(explicit) => Ok(explicit.to_string()),
        None => {
            let name = display_name.and_then(Value::as_str).unwrap_or_default();
            Ok(docs::derive_id(name, |cand| docs.contains_key(cand)))
        }
    }
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
            new_component_id(&docs, Some(&json!("mine")), None).ok(),
            Some("mine".to_string())
        );
        let conflict = new_component_id(&docs, Some(&json!("org1ca")), None).err();
        assert_eq!(conflict.map(|r| r.status), Some(409));
        // A non-string id counts as absent.
        assert_eq!(
            new_component_id(&docs, Some(&json!(7)), Some(&json!("Org1 CA"))).ok(),
            Some("org1ca_0".to_string())
        );
        assert_eq!(
            new_component_id(&docs, None, None).ok(),
            Some(docs::derive_id("", |_| false))
        );
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
