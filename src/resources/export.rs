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

use crate::resources::pem::{console_b64, msp_certificate, pem_text, same_certificate};

/// What the exporter writes for `location: "ibm_saas"` when the console has not said otherwise.
pub const DEFAULT_PLATFORM: &str = "ibmcloud";

/// Export of one console component (`doc` as the console returns it from GET /components/{id}).
pub fn export_node_json(doc: &Json, platform: &str) -> String {
    to_console_json(&export_node(doc, platform))
}

/// Export of an ordering service: the list of its nodes' exports, in order
/// (docs/dev/console-api.md#node-exports).
pub fn export_nodes_json<'a>(docs: impl IntoIterator<Item = &'a Json>, platform: &str) -> String {
    let nodes: Vec<Json> = docs.into_iter().map(|d| export_node(d, platform)).collect();
    to_console_json(&Json::Array(nodes))
}

/// One node's export, keys sorted (docs/dev/console-api.md#node-exports).
fn export_node(doc: &Json, platform: &str) -> Json {
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
    // An orderer's own TLS certificate wins over the deployer's client/server pair.
    let orderer_tls = doc.get("type").and_then(Json::as_str) == Some("fabric-orderer")
        && get(&["msp", "component", "tls_cert"]).is_some();
    if !orderer_tls {
        put("client_tls_cert", get(&["client_tls_cert"]));
        put("server_tls_cert", get(&["server_tls_cert"]));
    }
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
    for key in CARRIED {
        put(key, get(&[key]).filter(truthy));
    }
    put("imported", get(&["imported"]).filter(truthy));
    put("node_ou", get(&["node_ou"]).filter(truthy));
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
    sort_keys(Json::Object(out))
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

/// The UI's bookkeeping fields an export and an import carry over when truthy
/// (docs/dev/console-api.md#peer-and-orderer-records); they are not compared.
const CARRIED: [&str; 3] = ["migrated_from", "cluster_type", "console_type"];

/// athena's `is_grpc_url` (validation-regex.json): a peer's or orderer's `api_url`.
pub const GRPC_URL_PATTERN: &str = r"(?i)^grpcs?://[\w.~-]+:\d{1,5}$";
/// athena's `is_http_url` (validation-regex.json): gRPC-web, operations and osnadmin URLs.
pub const HTTP_URL_PATTERN: &str = r"(?i)^https?://[\w.~-]+";

/// The two kinds of node a console imports as records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Peer,
    Orderer,
}

impl NodeKind {
    /// The console's component type.
    pub fn component_type(self) -> &'static str {
        match self {
            NodeKind::Peer => "fabric-peer",
            NodeKind::Orderer => "fabric-orderer",
        }
    }

    /// The `type` an export of this kind may carry (athena also reads the short legacy names,
    /// `component_lib.js` `fmt_type`).
    fn accepts(self, t: &str) -> bool {
        t == self.component_type() || t == self.component_type().trim_start_matches("fabric-")
    }
}

/// A peer or orderer as an import sends it and the console's record holds it
/// (docs/dev/console-api.md#peer-and-orderer-records), certificates as canonical PEM text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeDefinition {
    pub display_name: Option<String>,
    pub msp_id: Option<String>,
    pub api_url: Option<String>,
    pub grpcwp_url: Option<String>,
    pub operations_url: Option<String>,
    pub osnadmin_url: Option<String>,
    pub location: Option<String>,
    pub tls_cert: Option<String>,
    pub ecert: Option<String>,
    pub admin_certs: Vec<String>,
    pub ca_name: Option<String>,
    pub ca_root_certs: Vec<String>,
    pub tlsca_name: Option<String>,
    pub tlsca_root_certs: Vec<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub systemless: Option<bool>,
    pub system_channel_id: Option<String>,
    pub node_ou_enabled: Option<bool>,
    /// [`CARRIED`] fields of an export, sent on as the console's import does.
    pub carried: Map<String, Json>,
}

/// The nodes of a peer or ordering service export: one object, a list of them (an ordering
/// service), or an object whose `raft` lists them (the UI's cluster object).
pub fn export_nodes(text: &str) -> Result<Vec<Map<String, Json>>, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    let items = match json {
        Json::Array(items) => items,
        Json::Object(o) => match o.get("raft") {
            Some(Json::Array(raft)) => raft.clone(),
            _ => vec![Json::Object(o)],
        },
        _ => return Err("is neither a JSON object nor a list of them".to_owned()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Json::Object(o) => Ok(o),
            _ => Err(format!("[{i}] is not a JSON object")),
        })
        .collect()
}

impl NodeDefinition {
    /// A node of an export, mapped as the console UI's import maps it
    /// (docs/dev/console-api.md#peer-and-orderer-records): the legacy `tls_cert`,
    /// `server_tls_cert`, `tls_ca_root_cert` and `pem` fill in a missing `msp`, a gRPC-web URL
    /// without a port gets the scheme's. Every certificate must be a usable X.509 v3 PEM.
    pub fn from_export_node(node: &Map<String, Json>, kind: NodeKind) -> Result<Self, String> {
        if let Some(t) = node.get("type").and_then(Json::as_str) {
            if !kind.accepts(t) {
                return Err(format!(
                    "is the export of a {t}, not of a {} (its `type` is {t:?})",
                    kind.component_type()
                ));
            }
        }
        let text = |k: &str| node.get(k).and_then(Json::as_str).map(str::to_owned);
        let cert = |path: &[&str]| -> Result<Option<String>, String> {
            match lookup(node, path).and_then(Json::as_str) {
                None | Some("") => Ok(None),
                Some(c) => msp_certificate(c)
                    .map(Some)
                    .map_err(|e| format!("`{}` {e}", path.join("."))),
            }
        };
        let certs = |path: &[&str]| -> Result<Vec<String>, String> {
            let Some(value) = lookup(node, path).filter(|v| !v.is_null()) else {
                return Ok(Vec::new());
            };
            let items = value
                .as_array()
                .ok_or_else(|| format!("`{}` is not a list of certificates", path.join(".")))?;
            items
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    msp_certificate(c.as_str().unwrap_or_default())
                        .map_err(|e| format!("`{}[{i}]` {e}", path.join(".")))
                })
                .collect()
        };
        let mut d = NodeDefinition {
            display_name: text("display_name").or_else(|| text("name")),
            msp_id: text("msp_id"),
            api_url: text("api_url"),
            grpcwp_url: text("grpcwp_url").map(|u| with_default_port(&u)),
            operations_url: text("operations_url"),
            location: text("location"),
            tls_cert: cert(&["msp", "component", "tls_cert"])?,
            ecert: cert(&["msp", "component", "ecert"])?,
            admin_certs: certs(&["msp", "component", "admin_certs"])?,
            ca_name: text_at(node, &["msp", "ca", "name"]),
            ca_root_certs: certs(&["msp", "ca", "root_certs"])?,
            tlsca_name: text_at(node, &["msp", "tlsca", "name"]),
            tlsca_root_certs: certs(&["msp", "tlsca", "root_certs"])?,
            node_ou_enabled: lookup(node, &["node_ou", "enabled"]).and_then(Json::as_bool),
            carried: CARRIED
                .iter()
                .filter_map(|k| {
                    node.get(*k)
                        .filter(|v| truthy(v))
                        .map(|v| ((*k).to_owned(), v.clone()))
                })
                .collect(),
            ..Default::default()
        };
        if d.tls_cert.is_none() {
            d.tls_cert = cert(&["tls_cert"])?;
        }
        if kind == NodeKind::Orderer {
            if d.tls_cert.is_none() {
                d.tls_cert = cert(&["server_tls_cert"])?;
            }
            d.osnadmin_url = text("osnadmin_url");
            d.cluster_id = text("cluster_id").filter(|c| !c.is_empty());
            d.cluster_name = text("cluster_name");
            d.systemless = Some(node.get("systemless").is_some_and(truthy));
            d.system_channel_id = Some(text("system_channel_id").unwrap_or_default());
            d.node_ou_enabled = None;
        }
        if d.tlsca_root_certs.is_empty() {
            let legacy = if node.get("tls_ca_root_cert").is_some_and(truthy) {
                "tls_ca_root_cert"
            } else {
                "pem"
            };
            d.tlsca_root_certs = cert(&[legacy])?.into_iter().collect();
        }
        Ok(d)
    }

    /// What a console record holds, from its document (GET with `deployment_attrs=included`,
    /// docs/dev/console-api.md#views-per-call). Certificates are shown as PEM when they are
    /// PEM, as stored otherwise: what the console holds must show as it is.
    pub fn from_record(doc: &Json) -> Self {
        let empty = Map::new();
        let node = doc.as_object().unwrap_or(&empty);
        let text = |path: &[&str]| text_at(node, path);
        let cert = |path: &[&str]| text(path).map(|c| pem_text_of(&c));
        let certs = |path: &[&str]| -> Vec<String> {
            lookup(node, path)
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .map(|c| pem_text_of(c.as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let orderer = node.get("type").and_then(Json::as_str) == Some("fabric-orderer");
        NodeDefinition {
            display_name: text(&["display_name"]),
            msp_id: text(&["msp_id"]),
            api_url: text(&["api_url"]),
            grpcwp_url: text(&["grpcwp_url"]),
            operations_url: text(&["operations_url"]),
            osnadmin_url: text(&["osnadmin_url"]),
            location: text(&["location"]),
            tls_cert: cert(&["msp", "component", "tls_cert"]),
            ecert: cert(&["msp", "component", "ecert"]),
            admin_certs: certs(&["msp", "component", "admin_certs"]),
            ca_name: text(&["msp", "ca", "name"]),
            ca_root_certs: certs(&["msp", "ca", "root_certs"]),
            tlsca_name: text(&["msp", "tlsca", "name"]),
            tlsca_root_certs: certs(&["msp", "tlsca", "root_certs"]),
            cluster_id: text(&["cluster_id"]),
            cluster_name: text(&["cluster_name"]),
            systemless: orderer.then(|| node.get("systemless").is_some_and(truthy)),
            system_channel_id: text(&["system_channel_id"]),
            node_ou_enabled: lookup(node, &["node_ou", "enabled"]).and_then(Json::as_bool),
            carried: Map::new(),
        }
    }

    /// The `msp` object of an import or edit body: certificates as the console wants them
    /// (base64 of the PEM), parts without a value left out; but an edit sends `admin_certs`
    /// even when empty, as the console keeps the stored part of an `msp` an edit leaves out
    /// (docs/dev/console-api.md#peer-and-orderer-records).
    fn msp_body(&self, edit: bool) -> Json {
        let b64 = |pem: &String| Json::String(console_b64(pem));
        let list = |certs: &[String]| Json::Array(certs.iter().map(b64).collect());
        let mut component = Map::new();
        if let Some(c) = &self.tls_cert {
            component.insert("tls_cert".into(), b64(c));
        }
        if let Some(c) = &self.ecert {
            component.insert("ecert".into(), b64(c));
        }
        if edit || !self.admin_certs.is_empty() {
            component.insert("admin_certs".into(), list(&self.admin_certs));
        }
        let part = |name: &Option<String>, roots: &[String], always: bool| -> Option<Json> {
            let mut m = Map::new();
            if let Some(n) = name {
                m.insert("name".into(), Json::String(n.clone()));
            }
            if always || !roots.is_empty() {
                m.insert("root_certs".into(), list(roots));
            }
            (!m.is_empty()).then_some(Json::Object(m))
        };
        let mut msp = Map::new();
        msp.insert("component".into(), Json::Object(component));
        if let Some(ca) = part(&self.ca_name, &self.ca_root_certs, false) {
            msp.insert("ca".into(), ca);
        }
        if let Some(tlsca) = part(&self.tlsca_name, &self.tlsca_root_certs, true) {
            msp.insert("tlsca".into(), tlsca);
        }
        Json::Object(msp)
    }

    /// POST /components/fabric-peer or /fabric-orderer: what the console UI's import sends
    /// for this node (docs/dev/console-api.md#peer-and-orderer-records), without the fields it
    /// would leave undefined, with `tags` when given.
    pub fn import_body(&self, kind: NodeKind, tags: Option<&[String]>) -> Json {
        let mut body = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                body.insert(k.to_owned(), Json::String(v.clone()));
            }
        };
        put("display_name", &self.display_name);
        put("msp_id", &self.msp_id);
        put("api_url", &self.api_url);
        put("grpcwp_url", &self.grpcwp_url);
        put("operations_url", &self.operations_url);
        put("location", &self.location);
        if kind == NodeKind::Orderer {
            put("osnadmin_url", &self.osnadmin_url);
            put("cluster_id", &self.cluster_id);
            put("cluster_name", &self.cluster_name);
            put("system_channel_id", &self.system_channel_id);
            body.insert(
                "systemless".into(),
                Json::Bool(self.systemless.unwrap_or(false)),
            );
        } else if let Some(enabled) = self.node_ou_enabled {
            body.insert("node_ou".into(), serde_json::json!({ "enabled": enabled }));
        }
        body.insert("msp".into(), self.msp_body(false));
        for (k, v) in &self.carried {
            body.insert(k.clone(), v.clone());
        }
        if let Some(tags) = tags {
            body.insert("tags".into(), serde_json::json!(tags));
        }
        Json::Object(body)
    }

    /// The edit fields that bring a record holding `current` to `self`: each changed field
    /// the console's edit takes (docs/dev/console-api.md#peer-and-orderer-records), the whole
    /// `msp` when any certificate or CA name changed. `display_name`, `cluster_name` and tags
    /// are the caller's.
    pub fn edit_fields(&self, current: &NodeDefinition, kind: NodeKind) -> Map<String, Json> {
        let mut out = Map::new();
        let mut text = |k: &str, want: &Option<String>, have: &Option<String>| {
            if let Some(w) = want.as_ref().filter(|w| Some(*w) != have.as_ref()) {
                out.insert(k.to_owned(), Json::String(w.clone()));
            }
        };
        text("msp_id", &self.msp_id, &current.msp_id);
        text("api_url", &self.api_url, &current.api_url);
        text("grpcwp_url", &self.grpcwp_url, &current.grpcwp_url);
        text(
            "operations_url",
            &self.operations_url,
            &current.operations_url,
        );
        text("location", &self.location, &current.location);
        if kind == NodeKind::Orderer {
            text("osnadmin_url", &self.osnadmin_url, &current.osnadmin_url);
            text(
                "system_channel_id",
                &self.system_channel_id,
                &current.system_channel_id,
            );
            if self.systemless.is_some() && self.systemless != current.systemless {
                out.insert(
                    "systemless".into(),
                    Json::Bool(self.systemless.unwrap_or(false)),
                );
            }
        }
        if self.msp_differs(current) {
            out.insert("msp".into(), self.msp_body(true));
        }
        out
    }

    fn msp_differs(&self, other: &NodeDefinition) -> bool {
        let certs = |a: &[String], b: &[String]| {
            a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !same_certificate(x, y))
        };
        let cert = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(x), Some(y)) => !same_certificate(x, y),
            (x, y) => x != y,
        };
        cert(&self.tls_cert, &other.tls_cert)
            || cert(&self.ecert, &other.ecert)
            || certs(&self.admin_certs, &other.admin_certs)
            || certs(&self.ca_root_certs, &other.ca_root_certs)
            || certs(&self.tlsca_root_certs, &other.tlsca_root_certs)
            || self.ca_name != other.ca_name
            || self.tlsca_name != other.tlsca_name
    }

    /// The fields `self` no longer has that a record holding `current` keeps: an edit cannot
    /// remove a field (docs/dev/console-api.md#peer-and-orderer-records), so these need a new
    /// record. A changed `node_ou` too: no edit takes it.
    pub fn unremovable(&self, current: &NodeDefinition) -> Vec<&'static str> {
        let gone = |want: &Option<String>, have: &Option<String>| want.is_none() && have.is_some();
        let mut fields = Vec::new();
        for (name, want, have) in [
            ("api_url", &self.api_url, &current.api_url),
            (
                "operations_url",
                &self.operations_url,
                &current.operations_url,
            ),
            ("osnadmin_url", &self.osnadmin_url, &current.osnadmin_url),
            ("ecert", &self.ecert, &current.ecert),
            ("ca_name", &self.ca_name, &current.ca_name),
            ("tlsca_name", &self.tlsca_name, &current.tlsca_name),
        ] {
            if gone(want, have) {
                fields.push(name);
            }
        }
        if self.ca_root_certs.is_empty() && !current.ca_root_certs.is_empty() {
            fields.push("ca_root_certs");
        }
        if self.node_ou_enabled != current.node_ou_enabled {
            fields.push("node_ou_enabled");
        }
        fields
    }
}

/// What the console refuses (or would change) in a node definition, and the fields an import
/// needs: checked at plan for every node an export brings, with the rules of the console's
/// import schemas and `format_input_to_doc` (docs/dev/console-api.md#peer-and-orderer-records,
/// docs/dev/console-api.md#url-rules).
impl NodeDefinition {
    /// `(field, problem)` for each value the console would refuse or store differently.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let matches =
            |pattern: &str, s: &str| regex::Regex::new(pattern).is_ok_and(|r| r.is_match(s));
        if let Some(name) = &self.display_name {
            if name.chars().count() > 64 {
                out.push(("display_name", "is longer than 64 characters".to_owned()));
            }
            if name.contains(['<', '>', '`']) {
                out.push(("display_name", NAME_CHARS.to_owned()));
            }
        }
        if let Some(id) = &self.msp_id {
            if !matches(crate::resources::msp_definition::MSP_ID_PATTERN, id)
                || id == "."
                || id == ".."
            {
                out.push((
                    "msp_id",
                    format!("{id:?} may contain only letters, digits, '-' and '.' (and is not \".\" or \"..\")"),
                ));
            }
        }
        if let Some(url) = &self.api_url {
            if !matches(GRPC_URL_PATTERN, url) {
                out.push(("api_url", format!("{url:?} {GRPC_URL_RULE}")));
            }
        }
        for (field, url) in [
            ("grpcwp_url", &self.grpcwp_url),
            ("operations_url", &self.operations_url),
            ("osnadmin_url", &self.osnadmin_url),
        ] {
            if let Some(url) = url {
                if !matches(HTTP_URL_PATTERN, url) || !matches(SAFE_URL_PATTERN, url) {
                    out.push((field, format!("{url:?} {HTTP_URL_RULE}")));
                }
            }
        }
        if self.location.as_deref() == Some("ibm_saas") {
            out.push(("location", LOCATION_RULE.to_owned()));
        }
        if let Some(name) = &self.cluster_name {
            if name.chars().count() > 64 || name.contains(['<', '>', '`']) {
                out.push((
                    "cluster_name",
                    format!("is longer than 64 characters or {NAME_CHARS}"),
                ));
            }
        }
        out
    }

    /// The fields an import needs that this definition lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (field, absent) in [
            ("display_name", self.display_name.is_none()),
            ("msp_id", self.msp_id.is_none()),
            ("grpcwp_url", self.grpcwp_url.is_none()),
            ("tls_cert", self.tls_cert.is_none()),
            ("tlsca_root_certs", self.tlsca_root_certs.is_empty()),
        ] {
            if absent {
                out.push(field);
            }
        }
        out
    }
}

/// What `display_name` and `cluster_name` may not hold (athena removes these characters).
pub const NAME_CHARS: &str = "may not contain <, > or ` (the console removes them)";
/// What the console's `format_input_to_doc` would strip from a URL (`misc.js` `safe_url`).
pub const SAFE_URL_PATTERN: &str = r"^[^<>'`()\s]*$";
/// The rule [`GRPC_URL_PATTERN`] states, for messages.
pub const GRPC_URL_RULE: &str =
    "must be grpc:// or grpcs:// with a host and a port, e.g. grpcs://peer0.example.org:7051";
/// The rule [`HTTP_URL_PATTERN`] and [`SAFE_URL_PATTERN`] state, for messages.
pub const HTTP_URL_RULE: &str =
    "must be an http:// or https:// URL with a host, without whitespace or <>'`()";
/// Why `location` may not be `ibm_saas`.
pub const LOCATION_RULE: &str =
    "may not be \"ibm_saas\": that marks components this console deployed";

/// The value at `path` in `node`, when set.
fn lookup<'a>(node: &'a Map<String, Json>, path: &[&str]) -> Option<&'a Json> {
    let (first, rest) = path.split_first()?;
    let mut cur = node.get(*first)?;
    for p in rest {
        cur = cur.get(*p)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// The string at `path`, when set.
fn text_at(node: &Map<String, Json>, path: &[&str]) -> Option<String> {
    lookup(node, path).and_then(Json::as_str).map(str::to_owned)
}

/// A stored certificate as the state shows it: its canonical PEM text when it is one.
fn pem_text_of(stored: &str) -> String {
    msp_certificate(stored).unwrap_or_else(|_| pem_text(stored))
}

/// A gRPC-web URL as the console UI imports it: without a port, the scheme's is added and
/// anything after the host dropped (apollo `utils/helper.js` `normalizeHttpURL`).
pub fn with_default_port(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if host.is_empty() || has_port {
        return url.to_owned();
    }
    let port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    format!("{}://{host}:{port}", scheme.to_ascii_lowercase())
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
    fn node_exports_carry_the_ui_bookkeeping_and_an_ordering_service_is_a_list() {
        let peer = json!({"type": "fabric-peer", "display_name": "P", "imported": true, "node_ou": {"enabled": true},
            "migrated_from": "", "console_type": "hlfoc", "location": "-"});
        let out: Json = serde_json::from_str(&export_node_json(&peer, DEFAULT_PLATFORM)).unwrap();
        assert_eq!(out["imported"], true);
        assert_eq!(out["node_ou"], json!({"enabled": true}));
        assert_eq!(out["console_type"], "hlfoc");
        assert!(out.get("migrated_from").is_none(), "falsy: left out");
        // An orderer with its own TLS certificate drops the deployer's client/server pair.
        let orderer = json!({"type": "fabric-orderer", "display_name": "O", "client_tls_cert": "C",
            "server_tls_cert": "S", "msp": {"component": {"tls_cert": "T"}}});
        let listed = export_nodes_json([&orderer, &peer], DEFAULT_PLATFORM);
        assert!(listed.starts_with("[\n    {\n"), "{listed}");
        let list: Json = serde_json::from_str(&listed).unwrap();
        assert_eq!(list[0]["tls_cert"], "T");
        assert!(list[0].get("client_tls_cert").is_none());
        assert_eq!(list[1]["display_name"], "P");
    }

    #[test]
    fn a_grpc_web_url_without_a_port_gets_the_schemes() {
        assert_eq!(
            with_default_port("https://peer.example.org"),
            "https://peer.example.org:443"
        );
        assert_eq!(with_default_port("HTTP://peer/x?y"), "http://peer:80");
        assert_eq!(
            with_default_port("https://peer:7443/x"),
            "https://peer:7443/x"
        );
        assert_eq!(with_default_port("https://[::1]"), "https://[::1]:443");
        assert_eq!(with_default_port("not a url"), "not a url");
    }

    #[test]
    fn a_node_definition_round_trips_through_its_import_body() {
        let certs = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/emulator/fixtures/console/certs"
        );
        let read = |f: &str| std::fs::read_to_string(format!("{certs}/{f}")).unwrap();
        let b64 = |f: &str| crate::resources::pem::console_b64(&read(f));
        let node = json!({"display_name": "Orderer1", "msp_id": "OrdererMSP", "cluster_id": "abc",
            "cluster_name": "OS", "grpcwp_url": "https://o:7443", "server_tls_cert": b64("orderer1-tls.pem"),
            "pem": b64("ord-tlsca.pem")});
        let d =
            NodeDefinition::from_export_node(node.as_object().unwrap(), NodeKind::Orderer).unwrap();
        assert!(d.missing().is_empty(), "{:?}", d.missing());
        assert!(d.problems().is_empty(), "{:?}", d.problems());
        assert_eq!(d.systemless, Some(false));
        assert_eq!(d.system_channel_id.as_deref(), Some(""));
        let mut doc = d.import_body(NodeKind::Orderer, None);
        doc["type"] = json!("fabric-orderer");
        let back = NodeDefinition::from_record(&doc);
        assert_eq!(
            back,
            NodeDefinition {
                carried: Map::new(),
                ..d.clone()
            }
        );
        assert!(back.edit_fields(&d, NodeKind::Orderer).is_empty());
        assert!(back.unremovable(&d).is_empty());
        let fewer = NodeDefinition {
            operations_url: None,
            ..d.clone()
        };
        let more = NodeDefinition {
            operations_url: Some("https://o:9443".into()),
            ..d
        };
        assert_eq!(fewer.unremovable(&more), ["operations_url"]);
        assert_eq!(
            json!(more.edit_fields(&fewer, NodeKind::Orderer)),
            json!({"operations_url": "https://o:9443"})
        );
        let bad = NodeDefinition {
            display_name: Some("<b>".into()),
            api_url: Some("grpcs://x".into()),
            location: Some("ibm_saas".into()),
            ..NodeDefinition::default()
        };
        let fields: Vec<&str> = bad.problems().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["display_name", "api_url", "location"]);
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
