//! Component documents: ids, tags, key order and the per-call views athena returns.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::certs;

/// The component types athena knows (`components.list-by-type.unknown-type` → 404 otherwise).
pub const TYPES: [&str; 4] = ["fabric-ca", "fabric-peer", "fabric-orderer", "msp"];

/// Fields only `?deployment_attrs=included` shows (docs/dev/console-api.md#deployment-attributes).
const DEPLOYMENT_ATTRS: [&str; 8] = [
    "resources",
    "storage",
    "zone",
    "region",
    "version",
    "replicas",
    "config_override",
    "dep_component_id",
];

/// The id athena gives a component imported without one: `build_id` of its display name
/// (docs/dev/console-api.md#ids-derived-from-display-names; FOC
/// `packages/athena/libs/component_lib.js` `format_input_to_doc`, `build_id`).
pub fn derive_id(display_name: &str, taken: impl Fn(&str) -> bool) -> String {
    build_id(display_name, "c", MAX_ID_LENGTH, &taken)
        .unwrap_or_else(|| random_string(COUCH_ID_LENGTH, HEX))
}

/// athena's `MAX_SHORT_NAME_LENGTH` and `MIN_SHORT_NAME_LENGTH` (FOC `libs/settings.js`).
const MAX_ID_LENGTH: usize = 32;
const MIN_SHORT_NAME_LENGTH: usize = 8;
/// The length of the ids CouchDB makes up when athena sends none (32 hex digits).
const COUCH_ID_LENGTH: usize = 32;
const HEX: &str = "0123456789abcdef";
/// `misc.simpleRandomString`'s alphabet (no lower-case `l`).
const RANDOM_LETTERS: &str = "abcdefghijkmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn random_string(len: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    (0..len)
        .map(|_| chars[rand::random_range(0..chars.len())])
        .collect()
}

/// `component_lib.build_id`: letters, digits, `-` and `_` kept, lower-cased; a made-up
/// `id2<random>` when nothing is left (`id1<random>` for no name at all); `prefix` in front
/// unless it starts with a letter; cut to `limit`; then, while taken, a trailing number is
/// incremented (`peer1` → `peer2`) or `_0` appended (`org1ca` → `org1ca_0` → `org1ca_1`,
/// `import.ca.duplicate-display-name`, `.again`). `None` when the unique id is longer than
/// `limit`: athena then leaves the id to the database.
fn build_id(
    id_str: &str,
    prefix: &str,
    limit: usize,
    taken: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let made_up = |n: u8| {
        format!(
            "id{n}{}",
            random_string(MIN_SHORT_NAME_LENGTH, RANDOM_LETTERS)
        )
    };
    let given = if id_str.is_empty() {
        made_up(1)
    } else {
        id_str.to_owned()
    };
    let mut id: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if id.is_empty() {
        id = made_up(2).to_ascii_lowercase();
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id = format!("{prefix}{id}");
    }
    id.truncate(limit);
    // athena gives up after 1000 rounds; so does this.
    for _ in 0..1000 {
        if !taken(&id) {
            return (id.len() <= limit).then_some(id);
        }
        let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            id.push_str("_0");
        } else {
            let (stem, number) = id.split_at(id.len() - digits);
            // JavaScript's Number(): a long run of digits loses precision, never fails.
            let next = number.parse::<f64>().unwrap_or(0.0) + 1.0;
            id = format!("{stem}{next}");
        }
    }
    None
}

/// What athena's `format_input_to_doc` (FOC `packages/athena/libs/component_lib.js`) does to
/// every imported or edited document before storing it: `<`, `>` and backticks leave the
/// display name and location, `safe_url` (FOC `libs/misc.js`) takes `<>'`()` and white space out
/// of the URLs, and a node's `tls_cert` lives in `msp.component.tls_cert`, taken from the
/// top-level `tls_cert` when the `msp` has none (docs/dev/console-api.md#imported-cas).
pub fn format_input(doc: &mut Map<String, Value>) {
    let strip = |v: &mut Value, drop: &dyn Fn(char) -> bool| {
        if let Value::String(s) = v {
            s.retain(|c| !drop(c));
        }
    };
    for key in ["display_name", "location"] {
        if let Some(v) = doc.get_mut(key) {
            strip(v, &|c| matches!(c, '<' | '>' | '`'));
        }
    }
    for key in ["api_url", "operations_url", "grpcwp_url", "osnadmin_url"] {
        if let Some(v) = doc.get_mut(key) {
            strip(v, &|c| {
                matches!(c, '<' | '>' | '\'' | '`' | '(' | ')') || c.is_whitespace()
            });
        }
    }
    if doc.get("type").and_then(Value::as_str) == Some("msp") {
        return;
    }
    if let Some(top) = doc.remove("tls_cert") {
        let component = doc
            .entry("msp")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.entry("component").or_insert_with(|| json!({})));
        if let Some(Value::Object(c)) = component {
            let missing = c.get("tls_cert").is_none_or(|t| t.is_null() || t == "");
            if missing {
                c.insert("tls_cert".into(), top);
            }
        }
    }
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

/// Deployer-created tags: `[<type>, "ibm_saas", ...user tags]`, de-duplicated
/// (docs/dev/console-api.md#tags: the server prepends them).
pub fn create_tags(user: Option<&Value>, type_tag: &str) -> Value {
    let mut tags = vec![type_tag.to_string(), "ibm_saas".to_string()];
    if let Some(a) = user.and_then(Value::as_array) {
        for t in a.iter().filter_map(Value::as_str).map(str::to_lowercase) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
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
        // The recordings: `import.peer`, `import.ca.duplicate-display-name`, `.again`.
        assert_eq!(derive_id("Peer0 Org1", |_| false), "peer0org1");
        assert_eq!(derive_id("Org1 CA", |c| c == "org1ca"), "org1ca_0");
        assert_eq!(
            derive_id("Org1 CA", |c| c == "org1ca" || c == "org1ca_0"),
            "org1ca_1"
        );
        // athena's build_id beyond the recordings: `-` and `_` stay, a trailing number counts
        // up, a leading digit gets `c`, long names are cut to 32.
        assert_eq!(derive_id("Org-1 CA_x", |_| false), "org-1ca_x");
        assert_eq!(derive_id("Peer1", |c| c == "peer1"), "peer2");
        assert_eq!(derive_id("Peer9", |c| c == "peer9"), "peer10");
        assert_eq!(derive_id("1st CA", |_| false), "c1stca");
        let long = "A".repeat(40);
        assert_eq!(derive_id(&long, |_| false), "a".repeat(32));
        // Cut names that clash grow past 32 characters: the database names them.
        let id = derive_id(&long, |c| c.len() == 32);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        // Nothing usable left: a made-up id.
        let made_up = derive_id("!!!", |_| false);
        assert!(
            made_up.starts_with("id2") && made_up.len() == 11,
            "{made_up}"
        );
        assert!(derive_id("", |_| false).starts_with("id1"));
    }

    #[test]
    fn stored_documents_lose_what_athena_drops() {
        let mut doc = json!({
            "type": "fabric-ca", "display_name": "Org<1> `CA`", "location": "<here>",
            "api_url": " https://ca:7054 (x)", "tls_cert": "VExT",
            "msp": {"ca": {"name": "ca"}}
        });
        format_input(doc.as_object_mut().unwrap());
        assert_eq!(doc["display_name"], "Org1 CA");
        assert_eq!(doc["location"], "here");
        assert_eq!(doc["api_url"], "https://ca:7054x");
        assert_eq!(doc["msp"]["component"]["tls_cert"], "VExT");
        assert!(doc.get("tls_cert").is_none());
        // The msp's own certificate wins; an MSP keeps its fields as they are.
        let mut doc =
            json!({"type": "fabric-ca", "tls_cert": "A", "msp": {"component": {"tls_cert": "B"}}});
        format_input(doc.as_object_mut().unwrap());
        assert_eq!(doc["msp"]["component"]["tls_cert"], "B");
        let mut msp = json!({"type": "msp", "tls_cert": "A"});
        format_input(msp.as_object_mut().unwrap());
        assert_eq!(msp["tls_cert"], "A");
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
