//! Component documents: ids, tags, key order and the per-call views athena returns.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::certs;

/// The component types athena knows (`components.list-by-type.unknown-type` → 404 otherwise).
pub const TYPES: [&str; 4] = ["fabric-ca", "fabric-peer", "fabric-orderer", "msp"];

/// Fields only `?deployment_attrs=included` shows (docs/dev/console-api.md#deployment-attributes;
/// `comp_formatting_lib.js` `fmt_component_resp` deletes these otherwise).
const DEPLOYMENT_ATTRS: [&str; 12] = [
    "resources",
    "resource_warnings",
    "storage",
    "version",
    "zone",
    "state_db",
    "region",
    "dep_component_id",
    "certs",
    "last_k8s_sync_ts",
    "node_ou",
    "crypto",
];

/// Id from display_name: lower-cased, non-alphanumerics removed ("Peer0 Org1" → `peer0org1`), then
/// `_0`, `_1`, ... on a clash (docs/dev/console-api.md#ids-derived-from-display-names;
/// `import.ca.duplicate-display-name`, `.again`).
pub fn derive_id(display_name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut base: String = display_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if base.is_empty() {
        base = "component".into();
    }
    if !taken(&base) {
        return base;
    }
    (0u32..)
        .map(|i| format!("{base}_{i}"))
        .find(|c| !taken(c))
        .unwrap_or(base)
}

/// Tags lower-cased, de-duplicated, sorted, with the type tag always present
/// (docs/dev/console-api.md#tags).
pub fn import_tags(user: Option<&Value>, type_tag: &str) -> Value {
    let mut tags: Vec<String> = user
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default();
    tags.push(type_tag.to_string());
    tags.sort();
    tags.dedup();
    json!(tags)
}

/// Deployer-created tags: `<type>`, `ibm_saas` and the user's tags, lower-cased, de-duplicated
/// and sorted (docs/dev/console-api.md#tags: `build_component_req_body` ends with `fmt_tags`).
pub fn create_tags(user: Option<&Value>, type_tag: &str) -> Value {
    let mut tags = vec![type_tag.to_string(), "ibm_saas".to_string()];
    if let Some(a) = user.and_then(Value::as_array) {
        tags.extend(a.iter().filter_map(Value::as_str).map(str::to_lowercase));
    }
    tags.sort();
    tags.dedup();
    json!(tags)
}

/// Whether a document carries the tag (case-insensitive: `components.list-by-tag.mixed-case`).
pub fn has_tag(doc: &Value, tag: &str) -> bool {
    doc.get("tags").and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case(tag)))
    })
}

/// Keys sorted alphabetically at every level (docs/dev/console-api.md#component-documents);
/// case-insensitive so `X509_version` lands last as recorded (`components.get.ca.parsed-certs`).
pub fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| {
                a.0.to_lowercase()
                    .cmp(&b.0.to_lowercase())
                    .then(a.0.cmp(&b.0))
            });
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// How a document is shown.
#[derive(Clone, Copy, Default)]
pub struct View {
    /// `deployment_attrs=included`, list with it, and edit responses show `ecert`/`admin_certs`
    /// (docs/dev/console-api.md#views-per-call).
    pub full_msp: bool,
    /// `deployment_attrs=included` shows deployer fields of created components.
    pub deployment: bool,
    pub parsed_certs: bool,
}

/// The document as a response shows it.
pub fn render(doc: &Value, view: View, now_ms: i64) -> Value {
    let mut d = doc.clone();
    if let Some(obj) = d.as_object_mut() {
        if !view.full_msp {
            if let Some(comp) = obj
                .get_mut("msp")
                .and_then(|m| m.get_mut("component"))
                .and_then(Value::as_object_mut)
            {
                comp.remove("ecert");
                comp.remove("admin_certs");
            }
        }
        if !view.deployment {
            for k in DEPLOYMENT_ATTRS {
                obj.remove(k);
            }
        }
        // `fmt_v3` with deployment data: a peer or orderer shows `admin_certs`, `[]` if none.
        let node = matches!(
            obj.get("type").and_then(Value::as_str),
            Some("fabric-peer" | "fabric-orderer")
        );
        if view.full_msp && node {
            if let Some(comp) = obj
                .get_mut("msp")
                .and_then(|m| m.get_mut("component"))
                .and_then(Value::as_object_mut)
            {
                if !comp.get("admin_certs").is_some_and(Value::is_array) {
                    comp.insert("admin_certs".into(), json!([]));
                }
            }
        }
        if view.parsed_certs {
            add_parsed(obj, now_ms);
        }
    }
    sorted(d)
}

/// `?parsed_certs=included`: `root_certs_parsed` under msp.ca/msp.tlsca and `tls_cert_parsed` under
/// msp.component; an MSP gets only a top-level `"tls_cert_parsed":null` (`components.get.msp.parsed-certs`).
fn add_parsed(obj: &mut Map<String, Value>, now_ms: i64) {
    let parse_list = |v: Option<&Value>| -> Value {
        Value::Array(
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().and_then(|s| certs::parse_cert(s, now_ms)))
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    if obj.get("type").and_then(Value::as_str) == Some("msp") {
        obj.insert("tls_cert_parsed".into(), Value::Null);
        return;
    }
    let Some(msp) = obj.get_mut("msp").and_then(Value::as_object_mut) else {
        return;
    };
    for part in ["ca", "tlsca"] {
        if let Some(p) = msp.get_mut(part).and_then(Value::as_object_mut) {
            if p.contains_key("root_certs") {
                let parsed = parse_list(p.get("root_certs"));
                p.insert("root_certs_parsed".into(), parsed);
            }
        }
    }
    if let Some(c) = msp.get_mut("component").and_then(Value::as_object_mut) {
        if let Some(tls) = c.get("tls_cert").and_then(Value::as_str) {
            let parsed = certs::parse_cert(tls, now_ms).unwrap_or(Value::Null);
            c.insert("tls_cert_parsed".into(), parsed);
        }
    }
}

/// List order: upper-cased `display_name + id` (docs/dev/console-api.md#list-order).
pub fn list_order(docs: &mut [Value]) {
    let key = |d: &Value| {
        format!(
            "{}{}",
            d.get("display_name").and_then(Value::as_str).unwrap_or(""),
            d.get("id").and_then(Value::as_str).unwrap_or("")
        )
        .to_uppercase()
    };
    docs.sort_by_key(key);
}

/// The delete reply `{"message":"deleted","id","display_name","type"}` (`delete.ca`), keys in recorded order.
pub fn deleted_reply(doc: &Value) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), json!("deleted"));
    m.insert("id".into(), doc.get("id").cloned().unwrap_or(Value::Null));
    m.insert(
        "display_name".into(),
        doc.get("display_name").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "type".into(),
        doc.get("type").cloned().unwrap_or(Value::Null),
    );
    Value::Object(m)
}

/// What a plain GET returns for 30 s after a delete: the raw stored (flat, v0-named) document wrapped
/// in the database's delete result (`delete.get-right-after`). `_rev`/`rev` are synthetic.
pub fn stale_after_delete(doc: &Value) -> Value {
    let id = doc.get("id").cloned().unwrap_or(Value::Null);
    let mut flat: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(obj) = doc.as_object() {
        for (k, v) in obj {
            match k.as_str() {
                "id" | "location" | "msp" => {}
                _ => {
                    flat.insert(k.clone(), v.clone());
                }
            }
        }
        let msp = obj.get("msp");
        let mut take = |path: &str, name: &str| {
            if let Some(v) = msp.and_then(|m| m.pointer(path)) {
                flat.insert(name.to_string(), v.clone());
            }
        };
        take("/ca/name", "ca_name");
        take("/ca/root_certs", "ca_root_certs");
        take("/tlsca/name", "tlsca_name");
        take("/tlsca/root_certs", "tls_ca_root_certs");
        take("/component/tls_cert", "tls_cert");
        take("/component/ecert", "ecert");
        take("/component/admin_certs", "admin_certs");
    }
    flat.insert("_id".into(), id.clone());
    flat.insert("_rev".into(), json!("1-00000000000000000000000000000000"));
    let inner: Map<String, Value> = flat.into_iter().collect();
    sorted(json!({
        "doc": Value::Object(inner),
        "id": id,
        "location": "-",
        "msp": {"component": {}},
        "ok": true,
        "rev": "2-00000000000000000000000000000000",
        "scheme_version": "v0",
        "type": null
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_display_names() {
        assert_eq!(derive_id("Peer0 Org1", |_| false), "peer0org1");
        assert_eq!(derive_id("Org1 CA", |c| c == "org1ca"), "org1ca_0");
        assert_eq!(
            derive_id("Org1 CA", |c| c == "org1ca" || c == "org1ca_0"),
            "org1ca_1"
        );
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            import_tags(Some(&json!(["tf", "Org1", "tf"])), "fabric-ca"),
            json!(["fabric-ca", "org1", "tf"])
        );
        assert_eq!(
            import_tags(Some(&json!([])), "fabric-peer"),
            json!(["fabric-peer"])
        );
        assert_eq!(
            create_tags(Some(&json!(["TF", "fabric-ca"])), "fabric-ca"),
            json!(["fabric-ca", "ibm_saas", "tf"])
        );
        assert_eq!(
            create_tags(Some(&json!(["abc"])), "fabric-peer"),
            json!(["abc", "fabric-peer", "ibm_saas"])
        );
    }

    #[test]
    fn lists_sort_by_display_name_then_id() {
        let mut docs = vec![
            json!({"display_name":"b","id":"a"}),
            json!({"display_name":"A","id":"z"}),
        ];
        list_order(&mut docs);
        assert_eq!(docs[0]["id"], "z");
    }

    #[test]
    fn plain_view_hides_ecert_and_deployer_fields() {
        let doc = json!({"type":"fabric-peer","zone":"z","msp":{"component":{"tls_cert":"t","ecert":"e","admin_certs":[]}}});
        let r = render(&doc, View::default(), 0);
        assert_eq!(
            r,
            json!({"msp":{"component":{"tls_cert":"t"}},"type":"fabric-peer"})
        );
        let full = render(
            &doc,
            View {
                full_msp: true,
                deployment: true,
                parsed_certs: false,
            },
            0,
        );
        assert_eq!(full["zone"], "z");
        assert_eq!(full["msp"]["component"]["ecert"], "e");
    }
}
