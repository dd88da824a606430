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

/// Never shown on `/ak/` routes (athena `comp_formatting_lib.js` `redact_ak`).
const REDACTED_ON_AK: [&str; 2] = ["crypto", "system_channel_data"];

/// What athena's system channel is called when an orderer does not say (its settings'
/// `system_channel_id`; `import.orderer`).
const SYSTEM_CHANNEL_ID: &str = "testchainid";

/// Id of a component the emulated deployer creates without one: lower-cased, non-alphanumerics
/// removed ("Peer0 Org1" → `peer0org1`; athena's deployer id drops `-` and `_`, `make_subdomain`
/// in `libs/comp_formatting_lib.js`), then `_0`, `_1`, ... on a clash. Imported records use
/// [`record_id`] (docs/dev/console-api.md#ids-derived-from-display-names).
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

/// The id athena gives an imported record without an explicit one (`libs/component_lib.js`
/// `build_id`, called by `format_input_to_doc`; docs/dev/msp.md#record-ids): the display
/// name without characters outside `[a-zA-Z0-9-_]`, lower-cased, `c` in front unless it starts
/// with a letter, at most 32 characters; a name left empty gets `id2` and eight random
/// letters. A taken id gets `_0` appended, or its trailing number incremented when it ends
/// in digits (`org1ca` → `org1ca_0` → `org1ca_1`, but `peer0org1` → `peer0org2`), up to 1000
/// tries; an id that ends up longer than 32 characters (or found no free one) is left to the
/// database, which picks a random one.
pub fn record_id(display_name: &str, taken: impl Fn(&str) -> bool) -> String {
    const MAX: usize = 32;
    let letters = |n: usize| -> String {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..n)
            .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
            .collect()
    };
    let mut id: String = display_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if id.is_empty() {
        id = format!("id2{}", letters(8));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 'c');
    }
    id.truncate(MAX);
    let mut tries = 1;
    while taken(&id) {
        tries += 1;
        if tries >= 1000 {
            return couch_id();
        }
        let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            id.push_str("_0");
        } else {
            let (stem, number) = id.split_at(id.len() - digits);
            let next = number.parse::<u128>().map(|n| n + 1).unwrap_or(0);
            id = format!("{stem}{next}");
        }
    }
    if id.len() > MAX {
        return couch_id();
    }
    id
}

/// The id CouchDB gives a document written without one: 32 hex digits.
fn couch_id() -> String {
    use rand::Rng;
    let n: u128 = rand::rng().random();
    format!("{n:032x}")
}

/// Tags as athena formats them (`libs/component_lib.js` `fmt_tags`): lower-cased, characters
/// outside `[a-z0-9-_+!@#$*?:,']` dropped, at most 32 characters, de-duplicated, sorted.
fn fmt_tag(tag: &str) -> String {
    tag.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_+!@#$*?:,'".contains(*c))
        .take(32)
        .collect()
}

/// Tags lower-cased, de-duplicated, sorted, with the type tag always present
/// (docs/dev/console-api.md#tags).
pub fn import_tags(user: Option<&Value>, type_tag: &str) -> Value {
    let mut tags: Vec<String> = user
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(fmt_tag).collect())
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
        let t = obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for k in REDACTED_ON_AK {
            obj.remove(k);
        }
        if t == "fabric-orderer" {
            // athena `fmt_component_resp`: legacy documents count as consenters, and the
            // system channel defaults to the console's.
            if obj.get("consenter_proposal_fin") != Some(&Value::Bool(false)) {
                obj.insert("consenter_proposal_fin".into(), Value::Bool(true));
            }
            if !obj.get("system_channel_id").is_some_and(Value::is_string) {
                obj.insert("system_channel_id".into(), json!(SYSTEM_CHANNEL_ID));
            }
        }
        if view.full_msp && (t == "fabric-peer" || t == "fabric-orderer") {
            // `fmt_v3` with deployment data: "init to show we attempted to return this field",
            // `[]` when the node has none.
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
        drop_datasources(obj);
        if view.parsed_certs {
            add_parsed(obj, now_ms);
        }
    }
    sorted(d)
}

/// athena removes `config_override.ca.db.datasource` and `config_override.tlsca.db.datasource`
/// from every component it answers (`comp_formatting_lib.js` `fmt_component_resp`): the
/// datasource may hold a database password. The keys are matched exactly, as athena does.
fn drop_datasources(doc: &mut Map<String, Value>) {
    let Some(co) = doc
        .get_mut("config_override")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for section in ["ca", "tlsca"] {
        if let Some(db) = co
            .get_mut(section)
            .and_then(|s| s.get_mut("db"))
            .and_then(Value::as_object_mut)
        {
            db.remove("datasource");
        }
    }
}

/// The document as a `/ak/api/v2` GET shows it (athena `comp_formatting_lib.js`
/// `fmt_component_resp`, `fmt_v2`): no `msp` object, its parts flat under their internal
/// names: `tls_cert`, `ca_name`, `tlsca_name`, the first TLS CA root as `tls_ca_root_cert`
/// (the CA roots are not shown), and with `deployment_attrs=included` the `ecert` as
/// `{cert}` and `admin_certs` (`[]` when none). MSPs are flat already and shown as in v3.
pub fn render_v2(doc: &Value, view: View, now_ms: i64) -> Value {
    let t = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    if t == "msp" {
        return render(doc, view, now_ms);
    }
    let mut flat = doc.clone();
    let Some(obj) = flat.as_object_mut() else {
        return render(doc, view, now_ms);
    };
    let msp = obj.remove("msp").unwrap_or(Value::Null);
    let at = |p: &str| msp.pointer(p).filter(|v| !v.is_null()).cloned();
    for (field, pointer) in [
        ("tls_cert", "/component/tls_cert"),
        ("ca_name", "/ca/name"),
        ("tlsca_name", "/tlsca/name"),
    ] {
        if let Some(v) = at(pointer) {
            obj.insert(field.into(), v);
        }
    }
    let tls_roots = at("/tlsca/root_certs");
    if let Some(first) = tls_roots.as_ref().and_then(|r| r.get(0)) {
        obj.insert("tls_ca_root_cert".into(), first.clone());
    }
    let peer_or_orderer = t == "fabric-peer" || t == "fabric-orderer";
    if view.full_msp {
        if let Some(ecert) = at("/component/ecert") {
            obj.insert("ecert".into(), json!({ "cert": ecert }));
        }
        match at("/component/admin_certs") {
            Some(a) => {
                obj.insert("admin_certs".into(), a);
            }
            None if peer_or_orderer => {
                obj.insert("admin_certs".into(), json!([]));
            }
            None => {}
        }
    }
    if view.parsed_certs {
        let parse = |v: Option<Value>| -> Value {
            Value::Array(
                v.as_ref()
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_str().and_then(|s| certs::parse_cert(s, now_ms)))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        };
        if let Some(mut parsed) = at("/component/tls_cert")
            .and_then(|c| c.as_str().and_then(|s| certs::parse_cert(s, now_ms)))
        {
            if let Some(p) = parsed.as_object_mut() {
                p.remove("base_64_pem"); // "redundant" next to tls_cert (`fmt_v2`)
            }
            obj.insert("tls_cert_parsed".into(), parsed);
        }
        if let Some(roots) = at("/ca/root_certs") {
            obj.insert("root_certs_parsed".into(), parse(Some(roots)));
        }
        if tls_roots.is_some() {
            obj.insert("tls_root_certs_parsed".into(), parse(tls_roots.clone()));
        }
        // Shown even without deployment_attrs: `fmt_v2` deletes `admin_certs_parsed`, not
        // `admins_parsed`.
        if let Some(admins) = at("/component/admin_certs") {
            obj.insert("admins_parsed".into(), parse(Some(admins)));
        }
    }
    let v3_view = View {
        full_msp: false,
        parsed_certs: false,
        ..view
    };
    render(&flat, v3_view, now_ms)
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
    fn record_ids_follow_build_id() {
        assert_eq!(record_id("Org1 MSP", |_| false), "org1msp");
        assert_eq!(record_id("Org1 CA", |c| c == "org1ca"), "org1ca_0");
        let taken = ["org1ca", "org1ca_0"];
        assert_eq!(record_id("Org1 CA", |c| taken.contains(&c)), "org1ca_1");
        // Dashes and underscores stay; a trailing number is incremented on a clash.
        assert_eq!(
            record_id("Org-1_MSP (edited)", |_| false),
            "org-1_mspedited"
        );
        assert_eq!(record_id("Peer0 Org1", |c| c == "peer0org1"), "peer0org2");
        // A leading digit gets `c`; long names are cut at 32 characters.
        assert_eq!(record_id("1 Org", |_| false), "c1org");
        assert_eq!(record_id(&"a".repeat(40), |_| false).len(), 32);
        // Nothing usable: `id2` and eight letters.
        let id = record_id("!!!", |_| false);
        assert!(id.starts_with("id2") && id.len() == 11, "{id}");
        // A 32-character id that clashes is left to the database (32 hex digits).
        let long = "b".repeat(32);
        let id = record_id(&long, |c| c == long);
        assert!(
            id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
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
        // fmt_tags: characters outside its set dropped, 32 characters at most.
        assert_eq!(
            import_tags(Some(&json!(["Org 1/Team", "x".repeat(40)])), "msp"),
            json!(["msp", "org1team", "x".repeat(32)])
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
