//! The JSON the console's export (download) button writes for a CA, peer or orderer.
//!
//! Facts from the console UI's exporter (fabric-operations-console `packages/apollo/src/utils/helper.js`,
//! `getExportedNode` / `exportNode` / `sortKeys`): a fixed set of fields (and, when truthy, the
//! origin fields `migrated_from`, `imported`, `cluster_type`, `console_type` and a node's
//! `node_ou`), `undefined` ones dropped by `JSON.stringify`, legacy fields repeated for older
//! consoles, keys sorted recursively with `localeCompare(numeric, caseFirst: upper)`, and 4-space
//! indentation without a trailing newline.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// What the exporter writes for `location: "ibm_saas"` when the console has not said otherwise.
pub const DEFAULT_PLATFORM: &str = "ibmcloud";

/// Export of one console component (`doc` as the console returns it from GET /components/{id}).
pub fn export_node_json(doc: &Json, platform: &str) -> String {
    let get = |path: &[&str]| -> Option<Json> {
        let mut cur = doc;
        for p in path {
            cur = cur.get(*p)?;
        }
        (!cur.is_null()).then(|| cur.clone())
    };
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<Json>| {
        if let Some(v) = value {
            out.insert(key.to_string(), v);
        }
    };
    put("display_name", get(&["display_name"]));
    put("grpcwp_url", get(&["grpcwp_url"]));
    put("api_url", get(&["api_url"]));
    put("operations_url", get(&["operations_url"]));
    put("osnadmin_url", get(&["osnadmin_url"]));
    put("type", get(&["type"]));
    put("msp_id", get(&["msp_id"]));
    put("systemless", get(&["systemless"]));
    let systemless = doc
        .get("systemless")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    put(
        "system_channel_id",
        if systemless {
            Some(Json::String(String::new()))
        } else {
            get(&["system_channel_id"])
        },
    );
    put("msp", get(&["msp"]));
    put(
        "cluster_id",
        get(&["cluster_id"]).and_then(|c| c.as_str().map(normalize_cluster_id)),
    );
    put("cluster_name", get(&["cluster_name"]));
    put("client_tls_cert", get(&["client_tls_cert"]));
    put("server_tls_cert", get(&["server_tls_cert"]));
    put(
        "location",
        get(&["location"]).map(|l| {
            if l.as_str() == Some("ibm_saas") {
                Json::String(platform.to_string())
            } else {
                l
            }
        }),
    );
    put("id", get(&["id"]));
    put("scheme_version", get(&["scheme_version"]));
    for key in ["migrated_from", "imported", "cluster_type", "console_type"] {
        put(key, get(&[key]).filter(truthy));
    }
    // Legacy fields, "needed for import on older systems".
    put("name", get(&["display_name"]));
    put(
        "pem",
        get(&["tls_ca_root_cert"])
            .filter(truthy)
            .or_else(|| get(&["msp", "component", "tls_cert"])),
    );
    put("ca_url", get(&["ca_url"]));
    put("ca_name", get(&["msp", "ca", "name"]));
    put("tlsca_name", get(&["msp", "tlsca", "name"]));
    put("tls_cert", get(&["msp", "component", "tls_cert"]));
    put(
        "tls_ca_root_cert",
        get(&["msp", "tlsca", "root_certs"]).and_then(|r| r.get(0).cloned()),
    );
    put("node_ou", get(&["node_ou"]).filter(truthy));
    to_console_json(&sort_keys(Json::Object(out)))
}

/// A wallet identity as the console's export (download) button writes it: `{cert, name,
/// private_key, type: "identity"}`, the certificate and key as base64 of their PEM text
/// (docs/dev/console-api.md#identity-exports). `msp_id`, which the console's export does not
/// carry, is added when given (the console's import ignores it).
pub fn export_identity_json(
    name: &str,
    cert_pem: &str,
    private_key_pem: &str,
    msp_id: Option<&str>,
) -> String {
    use base64::Engine as _;
    let b64 = |pem: &str| Json::String(base64::engine::general_purpose::STANDARD.encode(pem));
    let mut out = Map::new();
    out.insert("name".into(), Json::String(name.to_owned()));
    out.insert("type".into(), Json::String("identity".into()));
    out.insert("private_key".into(), b64(private_key_pem));
    out.insert("cert".into(), b64(cert_pem));
    if let Some(msp_id) = msp_id {
        out.insert("msp_id".into(), Json::String(msp_id.to_owned()));
    }
    to_console_json(&sort_keys(Json::Object(out)))
}

/// Export of one MSP record (`doc` as GET /components/{id} returns it): the exporter's MSP
/// branch (`node.type === 'msp'`), its own field list, `id` always included, `name` repeated
/// from `display_name` for older consoles.
pub fn export_msp_json(doc: &Json) -> String {
    let get = |key: &str| doc.get(key).filter(|v| !v.is_null()).cloned();
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<Json>| {
        if let Some(v) = value {
            out.insert(key.to_string(), v);
        }
    };
    put("display_name", get("display_name"));
    put("msp_id", get("msp_id"));
    put("type", Some(Json::String("msp".to_owned())));
    for key in [
        "admins",
        "root_certs",
        "intermediate_certs",
        "tls_root_certs",
        "tls_intermediate_certs",
        "revocation_list",
        "organizational_unit_identifiers",
        "fabric_node_ous",
        "host_url",
        "id",
        "scheme_version",
    ] {
        put(key, get(key));
    }
    for key in ["migrated_from", "imported", "cluster_type", "console_type"] {
        put(key, get(key).filter(truthy));
    }
    put("name", get("display_name"));
    to_console_json(&sort_keys(Json::Object(out)))
}

/// JavaScript truthiness for the exporter's `a || b` and `x ? x : undefined`.
fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::String(s) => !s.is_empty(),
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => true,
    }
}

/// A raft cluster id loses anything from its first underscore on.
fn normalize_cluster_id(id: &str) -> Json {
    Json::String(id.split('_').next().unwrap_or(id).to_string())
}

/// Recursively sorts object keys like the exporter (objects inside arrays too).
pub fn sort_keys(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<(String, Json)> = m.into_iter().collect();
            entries.sort_by(|a, b| locale_compare(&a.0, &b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// `JSON.stringify(v, null, 4)`.
pub fn to_console_json(v: &Json) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    if v.serialize(&mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// An approximation of ICU's root collation as `localeCompare(…, {numeric: true, caseFirst: "upper"})`
/// applies it to ASCII keys: punctuation before digits before letters, letters case-blind at first,
/// digit runs compared as numbers, and on a tie upper case first. Console keys are ASCII
/// identifiers, for which this is exact.
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    let primary = compare_primary(a.as_bytes(), b.as_bytes());
    if primary != Ordering::Equal {
        return primary;
    }
    // Tertiary: the first case difference decides, upper case first.
    for (x, y) in a.bytes().zip(b.bytes()) {
        if x != y {
            match (x.is_ascii_uppercase(), y.is_ascii_uppercase()) {
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                _ => return x.cmp(&y),
            }
        }
    }
    a.len().cmp(&b.len())
}

fn class(c: u8) -> u8 {
    if c.is_ascii_digit() {
        1
    } else if c.is_ascii_alphabetic() {
        2
    } else {
        0
    }
}

fn compare_primary(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let na = trim_zeros(&a[si..i]);
            let nb = trim_zeros(&b[sj..j]);
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord != Ordering::Equal {
                return ord;
            }
            continue;
        }
        let ord = class(x)
            .cmp(&class(y))
            .then_with(|| x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()));
        if ord != Ordering::Equal {
            return ord;
        }
        i += 1;
        j += 1;
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let first = d.iter().position(|c| *c != b'0').unwrap_or(d.len());
    &d[first..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The fixture holds the recorded org1admin in the export's fields (its key order is the
    /// literal's in `getExportedNode`; the exporter then sorts them, so ours differ only in order).
    #[test]
    fn identity_exports_carry_the_console_fields_sorted() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fabric/identities"
        );
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
        let ours = export_identity_json(
            "org1admin",
            &read("org1admin.cert.pem"),
            &read("org1admin.key.pem"),
            None,
        );
        let fixture: Json = serde_json::from_str(&read("org1admin_identity.json")).unwrap();
        let parsed: Json = serde_json::from_str(&ours).unwrap();
        assert_eq!(parsed, fixture);
        let keys: Vec<&str> = parsed
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["cert", "name", "private_key", "type"]);
        assert!(
            ours.starts_with("{\n    \"cert\": \"LS0tLS1CRUdJTi"),
            "{ours}"
        );
        assert!(!ours.ends_with('\n'));
        let with_msp = export_identity_json("a", "C", "K", Some("Org1MSP"));
        let keys: Vec<String> = serde_json::from_str::<Json>(&with_msp)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["cert", "msp_id", "name", "private_key", "type"]);
    }

    #[test]
    fn keys_sort_like_locale_compare() {
        let mut keys = vec![
            "tlsca_name",
            "tls_cert",
            "type",
            "tls_ca_root_cert",
            "api_url",
            "ca_name",
            "Zeta",
            "alpha10",
            "alpha9",
        ];
        keys.sort_by(|a, b| locale_compare(a, b));
        assert_eq!(
            keys,
            vec![
                "alpha9",
                "alpha10",
                "api_url",
                "ca_name",
                "tls_ca_root_cert",
                "tls_cert",
                "tlsca_name",
                "type",
                "Zeta"
            ]
        );
        assert_eq!(locale_compare("A", "a"), Ordering::Less);
    }

    #[test]
    fn ca_export_has_the_exporters_fields_in_order() {
        let doc = json!({
            "id": "org1ca", "display_name": "Org1 CA", "type": "fabric-ca", "location": "ibm_saas",
            "api_url": "https://ca:7054", "operations_url": "https://ca:9443", "scheme_version": "v1",
            "msp": {"tlsca": {"root_certs": ["VExT"], "name": "tlsca"}, "ca": {"name": "ca", "root_certs": ["Q0E="]}, "component": {"tls_cert": "VExTQ0VSVA=="}},
            "tags": ["fabric-ca"], "timestamp": 1, "zone": "-"
        });
        let out = export_node_json(&doc, "kubernetes");
        let expected = r#"{
    "api_url": "https://ca:7054",
    "ca_name": "ca",
    "display_name": "Org1 CA",
    "id": "org1ca",
    "location": "kubernetes",
    "msp": {
        "ca": {
            "name": "ca",
            "root_certs": [
                "Q0E="
            ]
        },
        "component": {
            "tls_cert": "VExTQ0VSVA=="
        },
        "tlsca": {
            "name": "tlsca",
            "root_certs": [
                "VExT"
            ]
        }
    },
    "name": "Org1 CA",
    "operations_url": "https://ca:9443",
    "pem": "VExTQ0VSVA==",
    "scheme_version": "v1",
    "tls_ca_root_cert": "VExT",
    "tls_cert": "VExTQ0VSVA==",
    "tlsca_name": "tlsca",
    "type": "fabric-ca"
}"#;
        assert_eq!(out, expected);
    }

    #[test]
    fn a_peer_export_carries_its_node_ou_and_the_truthy_origin_fields() {
        let doc = json!({
            "type": "fabric-peer", "id": "peer0", "location": "ibm_saas", "imported": false,
            "cluster_type": "paid", "console_type": "", "node_ou": {"enabled": true},
            "msp": {"component": {"ecert": "RUNFUlQ=", "admin_certs": ["QURNSU4="], "tls_cert": "VExT"}}
        });
        let out: Json = serde_json::from_str(&export_node_json(&doc, DEFAULT_PLATFORM)).unwrap();
        assert_eq!(out["node_ou"], json!({"enabled": true}));
        assert_eq!(out["cluster_type"], "paid");
        assert!(out.get("imported").is_none() && out.get("console_type").is_none());
        assert_eq!(out["msp"]["component"]["ecert"], "RUNFUlQ=");
        assert_eq!(out["tls_cert"], "VExT");
    }

    #[test]
    fn systemless_orderer_exports_empty_system_channel_and_short_cluster_id() {
        let doc = json!({"type": "fabric-orderer", "systemless": true, "system_channel_id": "testchainid", "cluster_id": "abc_1", "location": "-"});
        let out: Json = serde_json::from_str(&export_node_json(&doc, DEFAULT_PLATFORM)).unwrap();
        assert_eq!(out["system_channel_id"], "");
        assert_eq!(out["cluster_id"], "abc");
        assert_eq!(out["location"], "-");
    }
}
