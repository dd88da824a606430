//! Typed request and response bodies of the console API (`/ak/api/v3`).
//! Responses use `#[serde(default)]` throughout and keep unknown fields in
//! `extra`: real consoles add fields by version and by query flag.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::net::null_default;

/// A component as returned by GET /components/{id}, list, import and create.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Component {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Kubernetes object name of a deployed component (`"Error"` when the deployer failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dep_component_id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub display_name: String,
    /// `fabric-ca`, `fabric-peer`, `fabric-orderer` or `msp`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpcwp_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msp_id: Option<String>,
    /// `ibm_saas` for components created through the deployer; anything else is imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub tags: Vec<String>,
    /// Creation time, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_version: Option<String>,
    /// Fabric image version, e.g. `1.5.5-0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Kept as raw JSON: its shape differs per component type.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub resources: Value,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub storage: Value,
    /// As stored; the console replaces enroll secrets with `[redacted]`.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub config_override: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msp: Option<ComponentMsp>,
    /// Every other field (`message`, `*_parsed`, `node_ou`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"<part>": {key: value, …}}` with the fields that are set: the shape of the console's
/// `resources` and `storage` bodies, keyed by container (`ca`, `peer`, `statedb`, …). `None`
/// when none is set.
pub fn part_section(part: &str, fields: &[(&str, Option<Value>)]) -> Option<Value> {
    let set: Map<String, Value> = fields
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_string(), v)))
        .collect();
    (!set.is_empty()).then(|| serde_json::json!({ part: set }))
}

/// The registry the console seeds both Fabric CAs with: the CA admin, allowed to register anyone.
pub fn admin_registry(enroll_id: &str, enroll_secret: &str) -> Value {
    serde_json::json!({
        "registry": {
            "maxenrollments": -1,
            "identities": [{
                "name": enroll_id,
                "pass": enroll_secret,
                "type": "client",
                "attrs": {
                    "hf.Registrar.Roles": "*",
                    "hf.Registrar.DelegateRoles": "*",
                    "hf.Revoker": true,
                    "hf.IntermediateCA": true,
                    "hf.GenCRL": true,
                    "hf.Registrar.Attributes": "*",
                    "hf.AffiliationMgr": true
                }
            }]
        }
    })
}

impl Component {
    /// `resources.<part>.<kind>` (e.g. `resources.ca.requests`) as a string map.
    pub fn resource_map(&self, part: &str, kind: &str) -> Option<BTreeMap<String, String>> {
        let m = self.resources.get(part)?.get(kind)?.as_object()?;
        Some(
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect(),
        )
    }

    /// `storage.<part>.<key>` (e.g. `storage.ca.size`).
    pub fn storage_value(&self, part: &str, key: &str) -> Option<String> {
        Some(self.storage.get(part)?.get(key)?.as_str()?.to_owned())
    }

    /// The HSM's PKCS #11 endpoint: the console returns `hsm: {pkcs11endpoint}` as given.
    pub fn hsm_endpoint(&self) -> Option<&str> {
        self.extra.get("hsm")?.get("pkcs11endpoint")?.as_str()
    }

    /// `msp.ca`: the enrollment CA's name and roots.
    pub fn msp_ca(&self) -> Option<&MspCa> {
        self.msp.as_ref().and_then(|m| m.ca.as_ref())
    }

    /// `msp.tlsca`: the TLS CA's name and roots.
    pub fn msp_tlsca(&self) -> Option<&MspCa> {
        self.msp.as_ref().and_then(|m| m.tlsca.as_ref())
    }

    /// The CA's TLS certificate (base64 PEM), used to trust its endpoint.
    pub fn tls_cert(&self) -> Option<&str> {
        self.msp
            .as_ref()
            .and_then(|m| m.component.as_ref())
            .and_then(|c| c.tls_cert.as_deref())
    }
}

/// The `msp` object of a component.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentMsp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<MspCa>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlsca: Option<MspCa>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<MspComponent>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `msp.ca` / `msp.tlsca`: the CA name and its root certificates (base64 PEM).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MspCa {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub root_certs: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `msp.component`: the component's own certificates (base64 PEM).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MspComponent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecert: Option<String>,
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub admin_certs: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{components:[...]}` of the list routes (also the 222 "none" answer).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ComponentList {
    #[serde(deserialize_with = "null_default")]
    pub components: Vec<Component>,
}

/// Body of POST /kubernetes/components/fabric-ca (OAS3 `CreateCaBody`).
/// `Debug` hides `config_override` and `hsm`, which carry enroll secrets.
#[derive(Clone, PartialEq, Default, Serialize)]
pub struct CreateCaRequest {
    pub display_name: String,
    /// Explicit component id. When `None`, the client derives and sends one so a
    /// lost response can be resolved without creating a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Must contain `ca.registry` (identities with their passwords).
    pub config_override: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hsm: Option<Value>,
}

impl fmt::Debug for CreateCaRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCaRequest")
            .field("display_name", &self.display_name)
            .field("id", &self.id)
            .field("config_override", &"[redacted]")
            .field("resources", &self.resources)
            .field("storage", &self.storage)
            .field("zone", &self.zone)
            .field("region", &self.region)
            .field("replicas", &self.replicas)
            .field("version", &self.version)
            .field("tags", &self.tags)
            .field("hsm", &self.hsm.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// One field of PUT /kubernetes/components/fabric-ca/{id}. The console takes
/// exactly one field per call, so the type allows nothing else. Serializes as
/// `{"<field>": value}`.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaUpdate {
    ConfigOverride(Value),
    Replicas(u32),
    Resources(Value),
    Version(String),
    Zone(String),
}

impl CaUpdate {
    /// The body field this update sets.
    pub fn field_name(&self) -> &'static str {
        match self {
            CaUpdate::ConfigOverride(_) => "config_override",
            CaUpdate::Replicas(_) => "replicas",
            CaUpdate::Resources(_) => "resources",
            CaUpdate::Version(_) => "version",
            CaUpdate::Zone(_) => "zone",
        }
    }
}

impl fmt::Debug for CaUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaUpdate::ConfigOverride(_) => f.write_str("ConfigOverride([redacted])"),
            CaUpdate::Replicas(n) => write!(f, "Replicas({n})"),
            CaUpdate::Resources(v) => write!(f, "Resources({v})"),
            CaUpdate::Version(v) => write!(f, "Version({v:?})"),
            CaUpdate::Zone(z) => write!(f, "Zone({z:?})"),
        }
    }
}

/// Body of POST /kubernetes/components/fabric-peer (OAS3 `CreatePeerBody`, no extra keys
/// allowed). `Debug` hides `crypto` (enroll secrets, private keys) and `config_override`.
#[derive(Clone, PartialEq, Default, Serialize)]
pub struct CreatePeerRequest {
    pub display_name: String,
    pub msp_id: String,
    /// `{enrollment: {component, ca, tlsca}}` or `{msp: {component, ca, tlsca}}`.
    pub crypto: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_override: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_db: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hsm: Option<Value>,
}

impl fmt::Debug for CreatePeerRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatePeerRequest")
            .field("display_name", &self.display_name)
            .field("msp_id", &self.msp_id)
            .field("crypto", &"[redacted]")
            .field(
                "config_override",
                &self.config_override.as_ref().map(|_| "[redacted]"),
            )
            .field("resources", &self.resources)
            .field("storage", &self.storage)
            .field("state_db", &self.state_db)
            .field("zone", &self.zone)
            .field("region", &self.region)
            .field("version", &self.version)
            .field("tags", &self.tags)
            .field("hsm", &self.hsm.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// One field of PUT /kubernetes/components/fabric-peer/{id} (OAS3 `UpdatePeerBody`, one field
/// per request). Serializes as `{"<field>": value}`.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerUpdate {
    /// Every administrator certificate of the peer (base64 PEM): the whole set, replacing the
    /// one the peer has.
    AdminCerts(Vec<String>),
    /// Merged into the peer's core.yaml overrides.
    ConfigOverride(Value),
    Resources(Value),
    Version(String),
    Zone(String),
}

impl PeerUpdate {
    /// The body field this update sets.
    pub fn field_name(&self) -> &'static str {
        match self {
            PeerUpdate::AdminCerts(_) => "admin_certs",
            PeerUpdate::ConfigOverride(_) => "config_override",
            PeerUpdate::Resources(_) => "resources",
            PeerUpdate::Version(_) => "version",
            PeerUpdate::Zone(_) => "zone",
        }
    }
}

impl fmt::Debug for PeerUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerUpdate::AdminCerts(c) => write!(f, "AdminCerts({} certificates)", c.len()),
            PeerUpdate::ConfigOverride(_) => f.write_str("ConfigOverride([redacted])"),
            PeerUpdate::Resources(v) => write!(f, "Resources({v})"),
            PeerUpdate::Version(v) => write!(f, "Version({v:?})"),
            PeerUpdate::Zone(z) => write!(f, "Zone({z:?})"),
        }
    }
}

/// Body of PUT /components/{type}/{id}: edits the console's record only.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct EditComponentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations_url: Option<String>,
    /// Renames `msp.ca.name` on a CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Replaces the tag list; the console adds the type tag back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Record fields of one type, sent as they are (an MSP's `msp_id` and certificates).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl EditComponentRequest {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Body of POST /components/fabric-ca (OAS3 `ImportCaBody`, no extra keys allowed).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImportCaRequest {
    pub display_name: String,
    /// Explicit id; when `None` the client derives one (as for create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `https://host:port` of the Fabric CA.
    pub api_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations_url: Option<String>,
    /// Must not be `ibm_saas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    pub msp: ImportCaMsp,
}

/// `msp` of an imported CA.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImportCaMsp {
    pub ca: ImportMspCa,
    pub tlsca: ImportMspCa,
    pub component: ImportMspComponent,
}

/// `msp.ca` / `msp.tlsca` of an import body.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImportMspCa {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_certs: Option<Vec<String>>,
}

/// `msp.component` of a CA import body.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImportMspComponent {
    /// Base64 PEM of the CA's TLS certificate.
    pub tls_cert: String,
}

/// GET /kubernetes/fabric/versions: `{versions:{ca:{..},peer:{..},orderer:{..}}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FabricVersions {
    #[serde(deserialize_with = "null_default")]
    pub versions: FabricVersionsByType,
}

/// Supported versions per component type, keyed by version string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FabricVersionsByType {
    #[serde(deserialize_with = "null_default")]
    pub ca: BTreeMap<String, FabricVersion>,
    #[serde(deserialize_with = "null_default")]
    pub peer: BTreeMap<String, FabricVersion>,
    #[serde(deserialize_with = "null_default")]
    pub orderer: BTreeMap<String, FabricVersion>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One supported Fabric release.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FabricVersion {
    /// Used when a create names no version.
    #[serde(deserialize_with = "null_default")]
    pub default: bool,
    #[serde(deserialize_with = "null_default")]
    pub version: String,
    pub image: Value,
}

/// Options of GET /components/{id}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetOptions {
    /// `deployment_attrs=included`: resources, storage, zone, version, ... (live with `cache_skip`).
    pub deployment_attrs: bool,
    /// `parsed_certs=included`: adds `*_parsed` certificate details (kept in `extra`).
    pub parsed_certs: bool,
    /// `cache=skip`: bypasses athena's 30 s memory cache; use after every write.
    pub cache_skip: bool,
}

impl GetOptions {
    /// A fresh read (cache skipped), the right choice after any write.
    pub fn fresh() -> Self {
        Self {
            cache_skip: true,
            ..Self::default()
        }
    }

    /// The query pairs for these options.
    pub(crate) fn query(&self) -> Vec<(&'static str, &'static str)> {
        let mut q = Vec::new();
        if self.deployment_attrs {
            q.push(("deployment_attrs", "included"));
        }
        if self.parsed_certs {
            q.push(("parsed_certs", "included"));
        }
        if self.cache_skip {
            q.push(("cache", "skip"));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testutil::recorded;

    #[test]
    fn recorded_ca_decodes_with_msp_and_keeps_unknown_fields() {
        let c: Component = serde_json::from_str(&recorded("components.get.ca").body).unwrap();
        assert_eq!(c.id, "org1ca");
        assert_eq!(c.display_name, "Org1 CA");
        assert_eq!(c.component_type.as_deref(), Some("fabric-ca"));
        assert_eq!(c.api_url.as_deref(), Some("https://127.0.0.1:27054"));
        assert_eq!(c.location.as_deref(), Some("-"));
        assert_eq!(c.imported, Some(true));
        assert_eq!(c.tags, ["fabric-ca", "org1", "tf"]);
        let msp = c.msp.as_ref().unwrap();
        assert_eq!(msp.ca.as_ref().unwrap().name.as_deref(), Some("ca"));
        assert_eq!(msp.tlsca.as_ref().unwrap().root_certs.len(), 1);
        assert!(c.tls_cert().unwrap().starts_with("LS0tLS1CRUdJTi"));
        assert!(c.timestamp.is_some());

        let parsed: Component =
            serde_json::from_str(&recorded("components.get.ca.parsed-certs").body).unwrap();
        let ca = parsed.msp.unwrap().ca.unwrap();
        assert!(
            ca.extra.contains_key("root_certs_parsed"),
            "{:?}",
            ca.extra.keys()
        );
    }

    #[test]
    fn recorded_peer_edit_and_list_decode() {
        let p: Component =
            serde_json::from_str(&recorded("components.get.peer.deployment-attrs").body).unwrap();
        assert_eq!(p.component_type.as_deref(), Some("fabric-peer"));
        assert_eq!(p.msp_id.as_deref(), Some("Org1MSP"));
        assert!(p.grpcwp_url.is_some());
        let odd: Component =
            serde_json::from_str(&recorded("k8s.components.get-peer-with-deployment-attrs").body)
                .unwrap();
        assert_eq!(odd.dep_component_id.as_deref(), Some("Error"));
        let e: Component = serde_json::from_str(&recorded("edit.ca").body).unwrap();
        assert_eq!(e.display_name, "Org1 CA (edited)");
        assert!(e.edited_timestamp.is_some());
        assert_eq!(e.extra.get("message"), Some(&Value::from("ok")));
        let list: ComponentList = serde_json::from_str(&recorded("components.list").body).unwrap();
        assert!(list.components.len() >= 4);
        assert!(list.components.iter().all(|c| !c.id.is_empty()));
    }

    #[test]
    fn recorded_222_bodies_are_empty_lists() {
        for name in [
            "components.list-by-type.empty.fabric-ca",
            "components.list-by-tag.no-match",
        ] {
            let r = recorded(name);
            assert_eq!(r.status, 222);
            let list: ComponentList = serde_json::from_str(&r.body).unwrap();
            assert!(list.components.is_empty());
        }
    }

    #[test]
    fn create_request_skips_unset_fields_and_hides_secrets_in_debug() {
        let req = CreateCaRequest {
            display_name: "Org1 CA".into(),
            config_override: serde_json::json!({"ca": {"registry": {"maxenrollments": -1,
                "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]}}}),
            replicas: Some(1),
            ..Default::default()
        };
        let body = serde_json::to_value(&req).unwrap();
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["display_name", "config_override", "replicas"]
        );
        assert!(!format!("{req:?}").contains("adminpw"));
    }

    #[test]
    fn nulls_become_defaults() {
        let c: Component = serde_json::from_str(
            r#"{"id":"x","display_name":null,"tags":null,"msp":{"component":{}},"type":"fabric-ca"}"#,
        )
        .unwrap();
        assert!(c.tags.is_empty());
        assert_eq!(c.display_name, "");
        assert_eq!(c.tls_cert(), None);
    }

    #[test]
    fn fabric_versions_decode() {
        let v: FabricVersions = serde_json::from_str(
            r#"{"versions":{"ca":{"1.5.5-0":{"default":true,"version":"1.5.5-0","image":{"caImage":"x"}}},"peer":{},"orderer":{}}}"#,
        )
        .unwrap();
        assert!(v.versions.ca["1.5.5-0"].default);
    }

    #[test]
    fn get_options_map_to_query_pairs() {
        assert!(GetOptions::default().query().is_empty());
        let all = GetOptions {
            deployment_attrs: true,
            parsed_certs: true,
            cache_skip: true,
        };
        assert_eq!(
            all.query(),
            [
                ("deployment_attrs", "included"),
                ("parsed_certs", "included"),
                ("cache", "skip")
            ]
        );
    }
}
