//! `blockchain_peer`: a Fabric peer that the console deploys (POST
//! /kubernetes/components/fabric-peer).
//!
//! The peer gets its identity and TLS certificate at creation, either by enrolling with a CA this
//! console knows (`enrollment`) or from certificates and keys enrolled elsewhere (`msp`). The
//! console never shows that input again (athena drops `crypto` from every answer and redacts the
//! enroll secrets: docs/dev/peer.md#crypto-is-write-only), so both blocks are write-only; what the
//! peer ended up with is read back as `ecert`, `tls_cert` and the roots.
//!
//! This file holds what is particular to peers: the schema and model, the create body, the
//! updates and how each shows on the console, the readiness probe (`/healthz`) and the mapping
//! from the console's view to state. Everything else is the shared `lifecycle`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use tokio_util::sync::CancellationToken;

use crate::clients::Clients;
use crate::console::{Component, CreatePeerRequest, PeerUpdate};
use crate::fabric::{FabricCaClient, Health, HealthError, SigningIdentity};
use crate::framework::{
    timeouts_block, validators, ApplyError, AttributePath, CreatePlan, CreateRequest,
    DeleteRequest, Diagnostic, Diagnostics, ModelPlan, NestedBlock, NestingMode, Private,
    ReadRequest, ResourceContext, Tf, TimeoutOp, Timeouts, TimeoutsModel, TypedResource,
    UpdateRequest,
};
use crate::resources::export::{export_node_json, DEFAULT_PLATFORM};
use crate::resources::fabric_ca::{ENROLL_ID_PATTERN, ENROLL_ID_RULE};
use crate::resources::lifecycle::{
    self, changed, resource, waiter::Check, ComponentKind, DeployedModel, DeployedResource,
};
use crate::resources::msp_definition::MSP_ID_PATTERN;
use crate::resources::pem::{
    canonical_pem, certificate_validator, console_b64, pem_bundle, pem_text, same_certificate,
    same_certificates_unordered,
};
use crate::resources::semantic::{
    kubernetes_quantity, same_certificate_set, same_json, same_quantity, same_version,
    QuantitiesCover,
};
use crate::{attr, tf_model};

/// Tags the console adds by itself to a created peer; they are not the user's.
const SYSTEM_TAGS: [&str; 2] = ["fabric-peer", "ibm_saas"];
/// At most this many user tags: the console takes 32 per component, and an edit sends its own
/// `fabric-peer` and `ibm_saas` back with them (docs/dev/console-api.md#tags).
const MAX_TAGS: usize = 30;
/// The enrollment CA's and the TLS CA's names on a console-deployed CA
/// (docs/dev/fabric-ca.md#ca-selection).
const DEFAULT_CA_NAME: &str = crate::resources::fabric_ca::DEFAULT_CA_NAME;
const DEFAULT_TLSCA_NAME: &str = "tlsca";
/// The console's state databases (OAS3 `state_db`); CouchDB when none is named.
const STATE_DBS: [&str; 2] = ["couchdb", "leveldb"];

const DEFAULTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// The peer's containers whose CPU and memory can be sized: the model's attribute prefix and
/// the key of the console's `resources` (docs/dev/peer.md#resources-and-storage).
const CONTAINERS: [(&str, &str); 4] = [
    ("peer", "peer"),
    ("proxy", "proxy"),
    ("statedb", "statedb"),
    ("chaincode_launcher", "chaincodelauncher"),
];

tf_model! {
    /// The `enrollment` block: how the peer enrolls its identity and TLS certificate at creation.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct EnrollmentModel {
        pub ca_api_url: Tf<String> => |a| a.optional().write_only()
            .description(
                "HTTPS URL of the Fabric CA server that enrolls the peer, e.g. \
                 `blockchain_ca.org1.api_url`. Its host and port must be those of a CA this console \
                 knows (created here or imported with `blockchain_ca_import`): the console refuses \
                 any other.",
            )
            .validate(validators::url_with_scheme(&["https"])),
        pub ca_name: Tf<String> => |a| a.optional().write_only()
            .description("Name of the enrollment CA in that server (`ca` when not set), e.g. `blockchain_ca.org1.ca_name`.")
            .validate(validators::not_empty()),
        pub ca_tls_cert: Tf<String> => |a| a.optional().write_only()
            .description("PEM certificate the CA's HTTPS is trusted by, e.g. `blockchain_ca.org1.tls_cert`.")
            .validate(certificate_validator()),
        pub enroll_id: Tf<String> => |a| a.optional().write_only()
            .description("Enroll id of the peer's identity, registered with type `peer` (e.g. `blockchain_ca_identity.peer0.enroll_id`).")
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub enroll_secret: Tf<String> => |a| a.optional().write_only().sensitive()
            .description("Enroll secret of `enroll_id`. Never stored in state or shown in plans.")
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub tlsca_api_url: Tf<String> => |a| a.optional().write_only()
            .description("HTTPS URL of the server of the TLS CA, when it is not `ca_api_url`.")
            .validate(validators::url_with_scheme(&["https"])),
        pub tlsca_name: Tf<String> => |a| a.optional().write_only()
            .description("Name of the TLS CA (`tlsca` when not set), e.g. `blockchain_ca.org1.tlsca_name`.")
            .validate(validators::not_empty()),
        pub tlsca_tls_cert: Tf<String> => |a| a.optional().write_only()
            .description("PEM certificate the TLS CA's HTTPS is trusted by, when it is not `ca_tls_cert`.")
            .validate(certificate_validator()),
        pub tls_enroll_id: Tf<String> => |a| a.optional().write_only()
            .description("Enroll id for the peer's TLS certificate at the TLS CA; `enroll_id` when not set.")
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub tls_enroll_secret: Tf<String> => |a| a.optional().write_only().sensitive()
            .description("Enroll secret of `tls_enroll_id`; `enroll_secret` when not set.")
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub csr_hosts: Tf<Vec<String>> => |a| a.optional().write_only()
            .description(
                "Extra host names (or IP addresses) for the subject alternative names of the peer's \
                 TLS certificate, e.g. `[\"peer0.org1.example.com\"]`; the console adds the peer's \
                 own addresses.",
            )
            .validate(validators::each_string(validators::length_between(1, 253)))
            .validate(validators::each_string(validators::regex_matches(
                r"^[^\s/,]+$",
                "must be a host name or IP address (no spaces, slashes or commas)",
            )))
            .validate(validators::unique_elements()),
    }
}

tf_model! {
    /// The `msp` block: the peer's identity and TLS certificate, enrolled elsewhere.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MspCryptoModel {
        pub ecert: Tf<String> => |a| a.optional().write_only()
            .description("PEM enrollment (signing) certificate of the peer, issued by one of `ca_root_certs`.")
            .validate(certificate_validator()),
        pub ekey: Tf<String> => |a| a.optional().write_only().sensitive()
            .description("PEM private key of `ecert`. Never stored in state or shown in plans."),
        pub tls_cert: Tf<String> => |a| a.optional().write_only()
            .description("PEM TLS certificate of the peer, issued by one of `tlsca_root_certs`.")
            .validate(certificate_validator()),
        pub tls_key: Tf<String> => |a| a.optional().write_only().sensitive()
            .description("PEM private key of `tls_cert`. Never stored in state or shown in plans."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.optional().write_only()
            .description("PEM root certificates of the organization's enrollment CA.")
            .validate(validators::not_empty())
            .validate(validators::each_string(certificate_validator())),
        pub ca_intermediate_certs: Tf<Vec<String>> => |a| a.optional().write_only()
            .description("PEM intermediate certificates of the enrollment CA, if any.")
            .validate(validators::each_string(certificate_validator())),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.optional().write_only()
            .description("PEM root certificates of the organization's TLS CA.")
            .validate(validators::not_empty())
            .validate(validators::each_string(certificate_validator())),
        pub tlsca_intermediate_certs: Tf<Vec<String>> => |a| a.optional().write_only()
            .description("PEM intermediate certificates of the TLS CA, if any.")
            .validate(validators::each_string(certificate_validator())),
    }
}

/// A block that is never null: absent reads as every attribute null (tfplugin5 `GROUP`). Its
/// attributes are write-only, so its state is the same object whether the block was used or
/// not, and an import (which cannot know it) plans no change (docs/dev/peer.md#crypto-is-write-only).
fn write_only_group(b: NestedBlock, description: &str) -> NestedBlock {
    NestedBlock::new(b.type_name, NestingMode::Group, b.block).description(description)
}

/// The Kubernetes quantities map of one container's requests or limits.
fn sizing(a: crate::framework::Attribute, what: &str) -> crate::framework::Attribute {
    a.optional()
        .computed()
        .use_state_for_unknown()
        .semantic_equality_with(QuantitiesCover)
        .description(format!(
            "Kubernetes resource {what}, keys `cpu` and `memory` (e.g. `{{ cpu = \"200m\", memory = \
             \"400Mi\" }}`); the console's defaults when not set. Updated in place."
        ))
        .validate(validators::map_keys_one_of(&["cpu", "memory"]))
        .validate(validators::each_string(kubernetes_quantity(true)))
}

tf_model! {
    /// The state of one `blockchain_peer`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct PeerModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Console component id, derived by the console from `display_name`. Used for import."),
        pub display_name: Tf<String> => |a| a.required()
            .description("Name shown on the console tile (at most 64 characters). Changing it edits the record in place.")
            .validate(validators::not_empty())
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches(
                "[A-Za-z0-9]",
                "must contain an ASCII letter or digit: the console derives the component id from them",
            )),
        pub msp_id: Tf<String> => |a| a.required().requires_replace()
            .description("MSP id of the organization the peer belongs to (letters, digits, `-` and `.`, at most 250). Changing it forces a new peer.")
            .validate(validators::length_between(1, 250))
            .validate(validators::regex_matches(MSP_ID_PATTERN, "may contain only letters, digits, '-' and '.'")),
        pub admin_certs: Tf<BTreeSet<String>> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality_fn("same certificates", same_certificate_set)
            .description(
                "PEM certificates of the organization's administrators the peer accepts (its \
                 `admincerts`), e.g. `[blockchain_enrolled_identity.org1_admin.certificate]`. Set \
                 at creation and replaced as a whole in place; the console keeps each certificate \
                 once. Peers of organizations with NodeOUs accept any `admin` identity of the MSP \
                 as well.",
            )
            .validate(validators::length_between(0, 100))
            .validate(validators::each_string(certificate_validator())),
        pub state_db: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("State database: `couchdb` (the console's default) or `leveldb`. Changing it forces a new peer.")
            .validate(validators::one_of(&STATE_DBS)),
        pub zone: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .description("Kubernetes zone (node label) of the console's cluster to run the peer in. Updated in place."),
        pub region: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("Kubernetes region (node label) of the console's cluster. Changing it forces a new peer."),
        pub version: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality(same_version)
            .description("Fabric peer image version, e.g. `2.5.12-0` (see GET /kubernetes/fabric/versions). Defaults to the console's default; upgraded in place. `2.5.12` and `2.5.12-0` name the same release.")
            .validate(validators::not_empty()),
        pub peer_requests: Tf<BTreeMap<String, String>> => |a| sizing(a, "requests of the peer container"),
        pub peer_limits: Tf<BTreeMap<String, String>> => |a| sizing(a, "limits of the peer container"),
        pub proxy_requests: Tf<BTreeMap<String, String>> => |a| sizing(a, "requests of the gRPC-web proxy container"),
        pub proxy_limits: Tf<BTreeMap<String, String>> => |a| sizing(a, "limits of the gRPC-web proxy container"),
        pub statedb_requests: Tf<BTreeMap<String, String>> => |a| sizing(a, "requests of the state database container (CouchDB)"),
        pub statedb_limits: Tf<BTreeMap<String, String>> => |a| sizing(a, "limits of the state database container (CouchDB)"),
        pub chaincode_launcher_requests: Tf<BTreeMap<String, String>> => |a| sizing(a, "requests of the chaincode launcher container (Fabric 2)"),
        pub chaincode_launcher_limits: Tf<BTreeMap<String, String>> => |a| sizing(a, "limits of the chaincode launcher container (Fabric 2)"),
        pub storage_size: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .semantic_equality(same_quantity)
            .description("Size of the peer's ledger volume, e.g. `100Gi`. Storage is immutable on the console: changing it forces a new peer.")
            .validate(kubernetes_quantity(true)),
        pub storage_class: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("Kubernetes storage class of the peer's ledger volume. Changing it forces a new peer."),
        pub statedb_storage_size: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .semantic_equality(same_quantity)
            .description("Size of the state database's volume, e.g. `100Gi`. Changing it forces a new peer.")
            .validate(kubernetes_quantity(true)),
        pub statedb_storage_class: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("Kubernetes storage class of the state database's volume. Changing it forces a new peer."),
        pub config_override: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality_fn("same JSON", same_json)
            .description(
                "Overrides of the peer's `core.yaml`, as a JSON object (use `jsonencode`), e.g. \
                 `jsonencode({ peer = { gossip = { orgLeader = true } } })`: top-level keys \
                 `peer`, `chaincode` and `metrics`. The console refuses the settings it manages \
                 itself (`peer.listenAddress`, `peer.tls`, `vm`, ...). A change is sent in place and \
                 merged into the peer's settings.",
            ),
        pub hsm_pkcs11_endpoint: Tf<String> => |a| a.optional().requires_replace()
            .description(
                "URL of the PKCS #11 proxy of an HSM that keeps the peer's keys, e.g. \
                 `tcp://hsm.example.org:2347` (its label and pin go in `config_override` as \
                 `peer.BCCSP`). Changing it forces a new peer.",
            )
            .validate(validators::url_with_scheme(&["tcp", "tls", "http", "https"])),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional()
            .description("Console tags (lowercase, at most 32 characters each). The console's own `fabric-peer` and `ibm_saas` tags are not listed here.")
            .validate(validators::length_between(0, MAX_TAGS))
            .validate(validators::each_string(validators::lowercase()))
            .validate(validators::each_string(validators::length_between(1, 32))),
        pub api_url: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("gRPC URL of the peer (`grpcs://host:port`): endorsement, channel joins, the gateway."),
        pub grpcwp_url: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("HTTPS URL of the peer's gRPC-web proxy, which the console's browser client uses."),
        pub operations_url: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("HTTPS URL of the peer's operations endpoint (`/healthz`, metrics)."),
        pub tls_cert: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("PEM TLS certificate the peer serves; trust it (or `tlsca_root_certs`) to talk to `api_url`."),
        pub ecert: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("PEM enrollment certificate of the peer: its signing identity in the organization's MSP."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.computed().use_state_for_unknown()
            .description("PEM root certificates of the enrollment CA, as the console records them for the peer."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.computed().use_state_for_unknown()
            .description("PEM root certificates of the TLS CA that issued `tls_cert`."),
        pub export_json: Tf<String> => |a| a.computed()
            .description(
                "The peer as the console's export (download) button writes it: sorted keys, 4-space \
                 indent, base64 PEMs. Importing it into another console (its import button, or a \
                 peer import resource there) needs no downloaded file.",
            ),
        pub enrollment: Tf<EnrollmentModel> => block |b| write_only_group(b,
            "Enrollment of the peer's identity and TLS certificate at creation, with a CA this \
             console knows (the usual way; or use `msp`). Write-only: the console never shows it \
             again, so it is not stored in state, and a later change does not re-enroll the peer.",
        ),
        pub msp: Tf<MspCryptoModel> => block |b| write_only_group(b,
            "The peer's identity and TLS certificate with their keys, enrolled elsewhere (instead \
             of `enrollment`). Write-only: never stored in state; the console's view of the \
             certificates is in `ecert`, `tls_cert` and the root attributes.",
        ),
        pub timeouts: Tf<TimeoutsModel> => block |_| timeouts_block(
            &[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete],
            &DEFAULTS,
        ),
    }
}

impl PeerModel {
    /// Requests and limits of each container, with the console's key and the requests' path.
    fn containers(&self) -> [ContainerSizing<'_>; 4] {
        let [peer, proxy, statedb, launcher] = CONTAINERS;
        [
            (
                peer.1,
                &self.peer_requests,
                &self.peer_limits,
                attr!(PeerModel, peer_requests),
            ),
            (
                proxy.1,
                &self.proxy_requests,
                &self.proxy_limits,
                attr!(PeerModel, proxy_requests),
            ),
            (
                statedb.1,
                &self.statedb_requests,
                &self.statedb_limits,
                attr!(PeerModel, statedb_requests),
            ),
            (
                launcher.1,
                &self.chaincode_launcher_requests,
                &self.chaincode_launcher_limits,
                attr!(PeerModel, chaincode_launcher_requests),
            ),
        ]
    }
}

impl PeerModel {
    /// Requests and limits of each container, in [`PeerModel::containers`] order, to change.
    fn sizing_mut(&mut self) -> [SizingMut<'_>; 4] {
        [
            (&mut self.peer_requests, &mut self.peer_limits),
            (&mut self.proxy_requests, &mut self.proxy_limits),
            (&mut self.statedb_requests, &mut self.statedb_limits),
            (
                &mut self.chaincode_launcher_requests,
                &mut self.chaincode_launcher_limits,
            ),
        ]
    }
}

/// A container's requests and limits, to change.
type SizingMut<'a> = (
    &'a mut Tf<BTreeMap<String, String>>,
    &'a mut Tf<BTreeMap<String, String>>,
);

/// A container's console key, its requests and limits, and the path of its requests.
type ContainerSizing<'a> = (
    &'static str,
    &'a Tf<BTreeMap<String, String>>,
    &'a Tf<BTreeMap<String, String>>,
    AttributePath,
);

impl EnrollmentModel {
    /// Whether the configuration uses the block (any attribute set or still unknown).
    fn used(&self) -> bool {
        !(self.ca_api_url.is_null()
            && self.ca_name.is_null()
            && self.ca_tls_cert.is_null()
            && self.enroll_id.is_null()
            && self.enroll_secret.is_null()
            && self.tlsca_api_url.is_null()
            && self.tlsca_name.is_null()
            && self.tlsca_tls_cert.is_null()
            && self.tls_enroll_id.is_null()
            && self.tls_enroll_secret.is_null()
            && self.csr_hosts.is_null())
    }
}

impl MspCryptoModel {
    /// Whether the configuration uses the block.
    fn used(&self) -> bool {
        !(self.ecert.is_null()
            && self.ekey.is_null()
            && self.tls_cert.is_null()
            && self.tls_key.is_null()
            && self.ca_root_certs.is_null()
            && self.ca_intermediate_certs.is_null()
            && self.tlsca_root_certs.is_null()
            && self.tlsca_intermediate_certs.is_null())
    }
}

/// The peer's `/healthz`, as the readiness probe asks it (a trait so tests can answer).
#[async_trait]
pub trait HealthProbe: Send + Sync {
    async fn healthz(
        &self,
        operations_url: &str,
        trusted: Option<&[u8]>,
    ) -> Result<Health, HealthError>;
}

/// The provider block's Fabric client, bound to Terraform's Stop.
pub struct OperationsProbe {
    fabric: FabricCaClient,
    cancel: CancellationToken,
}

#[async_trait]
impl HealthProbe for OperationsProbe {
    async fn healthz(
        &self,
        operations_url: &str,
        trusted: Option<&[u8]>,
    ) -> Result<Health, HealthError> {
        self.fabric
            .healthz(operations_url, trusted, &self.cancel)
            .await
    }
}

/// The peer's part in the shared lifecycle: its type, its updates, its readiness probe.
pub struct PeerKind<P: HealthProbe> {
    probe: P,
}

#[async_trait]
impl<P: HealthProbe> ComponentKind for PeerKind<P> {
    const TYPE: &'static str = "fabric-peer";
    const NOUN: &'static str = "peer";
    const ID_PREFIX: &'static str = "peer";
    type Update = PeerUpdate;

    fn update_field(update: &PeerUpdate) -> &'static str {
        update.field_name()
    }

    fn reflects(c: &Component, update: &PeerUpdate) -> bool {
        reflects(c, update)
    }

    /// The peer is ready when its operations endpoint reports every check passing
    /// (docs/dev/peer.md#readiness-via-healthz), over TLS trusting the peer's TLS CA roots and
    /// its own TLS certificate.
    async fn probe_ready(&self, c: &Component) -> Result<Check<()>, String> {
        let Some(url) = c.operations_url.as_deref().filter(|u| !u.is_empty()) else {
            return Err("the console reports no operations_url for it".to_owned());
        };
        let roots = c
            .msp_tlsca()
            .map(|m| m.root_certs.as_slice())
            .unwrap_or_default();
        let trusted = pem_bundle(roots.iter().map(String::as_str).chain(c.tls_cert()));
        match self.probe.healthz(url, trusted.as_deref()).await {
            Ok(Health::Ok) => Ok(Check::Done(())),
            Ok(Health::Unavailable(why)) => Ok(Check::Pending(format!("unhealthy: {why}"))),
            Err(e) if e.is_not_serving_yet() => Ok(Check::Pending(e.to_string())),
            Err(e) => Err(e.to_string()),
        }
    }
}

pub struct PeerResource;

/// The peer's part in the shared resource CRUD (`lifecycle::resource`).
impl DeployedResource for PeerResource {
    type State = PeerModel;
    type Kind = PeerKind<OperationsProbe>;
    const DEFAULTS: Timeouts = DEFAULTS;
    const SYSTEM_TAGS: &'static [&'static str] = &SYSTEM_TAGS;

    /// The console client and the peer kind of the provider block a call comes from.
    fn parts(
        ctx: &ResourceContext,
    ) -> Result<(crate::console::ConsoleClient, PeerKind<OperationsProbe>), Diagnostics> {
        let console = Clients::console(ctx)?;
        let kind = PeerKind {
            probe: OperationsProbe {
                fabric: Clients::fabric_ca(ctx)?,
                cancel: ctx.cancelled(),
            },
        };
        Ok((console, kind))
    }

    fn create_body(planned: &PeerModel, config: &PeerModel) -> Result<Json, Diagnostics> {
        create_body(planned, config)
    }

    fn deployment_updates(
        prior: &PeerModel,
        planned: &PeerModel,
        config: &PeerModel,
    ) -> Vec<PeerUpdate> {
        deployment_updates(prior, planned, config)
    }

    /// The crypto blocks are never null (docs/dev/peer.md#crypto-is-write-only).
    fn imported(id: String) -> PeerModel {
        PeerModel {
            id: Tf::Known(id),
            enrollment: Tf::Known(EnrollmentModel::default()),
            msp: Tf::Known(MspCryptoModel::default()),
            ..PeerModel::default()
        }
    }
}

#[async_trait]
impl TypedResource for PeerResource {
    type Model = PeerModel;

    fn type_name(&self) -> &'static str {
        "blockchain_peer"
    }

    fn description(&self) -> String {
        "A Hyperledger Fabric peer deployed by the console: it enrolls its identity and TLS \
         certificate with a CA this console knows (or takes certificates enrolled elsewhere), \
         and the apply waits until its operations endpoint reports it healthy."
            .to_owned()
    }

    fn validate_config(&self, config: &PeerModel, diags: &mut Diagnostics) {
        for (_, requests, limits, path) in config.containers() {
            lifecycle::check_sizing(requests, limits, path, diags);
        }
        if let Some(id) = config.msp_id.as_str() {
            if id == "." || id == ".." {
                diags.push(
                    Diagnostic::error(
                        "Invalid MSP id",
                        format!("msp_id {id:?} is not a valid MSP id (the console refuses \".\" and \"..\")."),
                    )
                    .at(attr!(PeerModel, msp_id)),
                );
            }
        }
        check_crypto(config, diags);
        check_admin_certs(&config.admin_certs, diags);
        if let Some(text) = config.config_override.as_str() {
            if let Err(e) = check_config_override(text, ConfigUse::Create) {
                diags.push(
                    Diagnostic::error("Invalid config_override", e)
                        .at(attr!(PeerModel, config_override)),
                );
            }
        }
        let statedb_sizing = !config.statedb_requests.is_null() || !config.statedb_limits.is_null();
        if config.state_db.as_str() == Some("leveldb") && statedb_sizing {
            diags.push(
                Diagnostic::error(
                    "LevelDB has no container to size",
                    "A peer with state_db = \"leveldb\" keeps its state database inside the \
                     peer container: size peer_requests and peer_limits instead of \
                     statedb_requests and statedb_limits.",
                )
                .at(attr!(PeerModel, statedb_requests)),
            );
        }
        let statedb_storage =
            !config.statedb_storage_size.is_null() || !config.statedb_storage_class.is_null();
        if statedb_storage && config.storage_size.is_null() && config.storage_class.is_null() {
            diags.push(
                Diagnostic::error(
                    "State database storage needs peer storage",
                    "The console takes storage settings only with the peer's own (its \
                     `storage.peer` is required): set storage_size (or storage_class) too.",
                )
                .at(attr!(PeerModel, storage_size)),
            );
        }
    }

    /// A create (or a replacement's create) needs the peer's crypto: checked at plan, so a
    /// replacement never destroys a peer it cannot recreate. An existing peer (imported, or
    /// created before) needs neither block.
    fn validate_create(&self, plan: &CreatePlan<'_, PeerModel>, diags: &mut Diagnostics) {
        let c = plan.config;
        let enrollment = c.enrollment.known().is_some_and(EnrollmentModel::used);
        let msp = c.msp.known().is_some_and(MspCryptoModel::used);
        if !enrollment && !msp {
            diags.push(
                Diagnostic::error(
                    "Missing peer crypto",
                    "Creating the peer needs its identity: an `enrollment` block (a CA this \
                     console knows, the peer's enroll id and secret) or an `msp` block \
                     (certificates and keys enrolled elsewhere).",
                )
                .at(attr!(PeerModel, enrollment)),
            );
        }
    }

    /// A version the console cannot deploy, and a config_override change the console's update
    /// refuses, are caught at plan, not after a create or during an update.
    async fn modify_plan(&self, ctx: &ResourceContext, plan: ModelPlan<'_, PeerModel>) {
        if let (Some(prior), Some(text)) = (plan.prior, plan.config.config_override.as_str()) {
            let same = prior
                .config_override
                .as_str()
                .is_some_and(|p| same_json_text(p, text));
            if !same {
                if let Err(e) = check_config_override(text, ConfigUse::Update) {
                    plan.diagnostics.push(
                        Diagnostic::error("config_override cannot be changed so", e)
                            .at(attr!(PeerModel, config_override)),
                    );
                }
            }
        }
        if let Some(prior) = plan.prior {
            unknown_followed_limits(prior, plan.config, plan.planned);
        }
        let prior = plan.prior.map(|p| &p.version);
        let path = attr!(PeerModel, version);
        let check = (
            &plan.config.version,
            prior,
            path,
            same_version as fn(&str, &str) -> bool,
        );
        lifecycle::check_version(ctx, check, |v| &v.peer, plan.diagnostics).await;
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, PeerModel>,
    ) -> Result<PeerModel, ApplyError<PeerModel>> {
        resource::create::<Self>(ctx, req).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, PeerModel>,
    ) -> Result<Option<PeerModel>, Diagnostics> {
        resource::read::<Self>(ctx, req).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, PeerModel>,
    ) -> Result<PeerModel, ApplyError<PeerModel>> {
        resource::update::<Self>(ctx, req).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, PeerModel>,
    ) -> Result<(), Diagnostics> {
        resource::delete::<Self>(ctx, req).await
    }

    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<PeerModel, Diagnostics> {
        resource::import::<Self>(ctx, id, self.type_name()).await
    }
}

// ---- plan-time checks ----

/// The crypto blocks: at most one, and the one used complete enough for the console
/// (OAS3 `CryptoObject`: `enrollment.ca` needs host, port, name, tls_cert, enroll_id and
/// enroll_secret; `msp.component` needs ekey, ecert, tls_key and tls_cert, `msp.ca` and
/// `msp.tlsca` their roots). Unknown values are checked once known.
fn check_crypto(config: &PeerModel, diags: &mut Diagnostics) {
    let enrollment = config.enrollment.known().filter(|e| e.used());
    let msp = config.msp.known().filter(|m| m.used());
    if enrollment.is_some() && msp.is_some() {
        diags.push(
            Diagnostic::error(
                "Two ways to give the peer its identity",
                "Use either the enrollment block (enroll with a CA) or the msp block \
                 (certificates enrolled elsewhere), not both: the console takes one.",
            )
            .at(attr!(PeerModel, msp)),
        );
    }
    let missing = |block: &str, name: &str, why: &str, diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::error(
                format!("Incomplete {block} block"),
                format!("{block}.{name} is needed: {why}."),
            )
            .at(AttributePath::attribute(block).attr(name)),
        );
    };
    if let Some(e) = enrollment {
        let needed = [
            (
                "ca_api_url",
                e.ca_api_url.is_null(),
                "the CA the peer enrolls with",
            ),
            (
                "ca_tls_cert",
                e.ca_tls_cert.is_null(),
                "the certificate the CA's HTTPS is trusted by",
            ),
            ("enroll_id", e.enroll_id.is_null(), "the peer's enroll id"),
            (
                "enroll_secret",
                e.enroll_secret.is_null(),
                "the peer's enroll secret",
            ),
        ];
        for (name, null, why) in needed {
            if null {
                missing("enrollment", name, why, diags);
            }
        }
    }
    if let Some(m) = msp {
        let needed = [
            (
                "ecert",
                m.ecert.is_null(),
                "the peer's enrollment certificate",
            ),
            ("ekey", m.ekey.is_null(), "the key of ecert"),
            (
                "tls_cert",
                m.tls_cert.is_null(),
                "the peer's TLS certificate",
            ),
            ("tls_key", m.tls_key.is_null(), "the key of tls_cert"),
            (
                "ca_root_certs",
                m.ca_root_certs.is_null(),
                "the enrollment CA's roots",
            ),
            (
                "tlsca_root_certs",
                m.tlsca_root_certs.is_null(),
                "the TLS CA's roots",
            ),
        ];
        for (name, null, why) in needed {
            if null {
                missing("msp", name, why, diags);
            }
        }
        let pairs = [
            ("ekey", &m.ecert, &m.ekey),
            ("tls_key", &m.tls_cert, &m.tls_key),
        ];
        for (name, cert, key) in pairs {
            if let (Some(cert), Some(key)) = (cert.as_str(), key.as_str()) {
                // The error names the certificate, never the key.
                if let Err(e) = SigningIdentity::from_pem(cert, key) {
                    diags.push(
                        Diagnostic::error(
                            "Key does not fit its certificate",
                            format!("msp.{name} is not the private key of its certificate: {e}."),
                        )
                        .at(AttributePath::attribute("msp").attr(name)),
                    );
                }
            }
        }
    }
}

/// The same certificate twice (in another spelling) is refused: the console would keep it
/// once (docs/dev/peer.md#admin-certificates) and every plan would show the difference.
fn check_admin_certs(certs: &Tf<BTreeSet<String>>, diags: &mut Diagnostics) {
    let Some(certs) = certs.known() else { return };
    let list: Vec<&String> = certs.iter().collect();
    for (i, a) in list.iter().enumerate() {
        if list[..i].iter().any(|b| same_certificate(a, b)) {
            diags.push(
                Diagnostic::error(
                    "Repeated admin certificate",
                    "admin_certs lists the same certificate twice (in two spellings); the \
                     console keeps each certificate once. List it once.",
                )
                .at(attr!(PeerModel, admin_certs)),
            );
            return;
        }
    }
}

/// Whether a config_override is for a create or an update: the console's update refuses a
/// few more keys (OAS3 `ConfigPeerUpdate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigUse {
    Create,
    Update,
}

/// The keys the console refuses in a peer's config_override (OAS3 `ConfigPeerCreate` /
/// `ConfigPeerUpdate` `x-validate_illegal_keys`; names compared case-insensitively, as the
/// console does): "automatically populated" settings it manages itself.
fn illegal_config_keys(usage: ConfigUse) -> Vec<(&'static [&'static str], &'static str)> {
    let mut keys: Vec<(&'static [&'static str], &'static str)> = vec![
        (&[], "vm"),
        (&[], "operations"),
        (&["peer"], "listenAddress"),
        (&["peer"], "address"),
        (&["peer"], "addressAutoDetect"),
        (&["peer"], "gomaxprocs"),
        (&["peer"], "tls"),
        (&["peer"], "fileSystemPath"),
        (&["peer"], "localMspType"),
        (&["peer"], "profile"),
        (&["peer", "gossip"], "bootstrap"),
        (&["peer", "gossip"], "endpoint"),
        (&["peer", "gossip"], "externalEndpoint"),
        (&["chaincode"], "id"),
        (&["chaincode"], "builder"),
        (&["chaincode"], "pull"),
        (&["chaincode"], "car"),
        (&["chaincode"], "java"),
        (&["chaincode"], "node"),
        (&["chaincode", "golang"], "runtime"),
    ];
    if usage == ConfigUse::Update {
        keys.push((&[], "ledger"));
        keys.push((&["peer"], "BCCSP"));
    }
    keys
}

/// A config_override the console takes: a JSON object of `peer`, `chaincode` and `metrics`
/// without the keys it manages itself.
fn check_config_override(text: &str, usage: ConfigUse) -> Result<(), String> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| format!("config_override is not valid JSON: {e}"))?;
    let Some(top) = json.as_object() else {
        return Err("config_override must be a JSON object".to_owned());
    };
    let illegal = illegal_config_keys(usage);
    let unknown: Vec<&String> = top
        .keys()
        .filter(|key| {
            let known = ["peer", "chaincode", "metrics"];
            let refused = illegal
                .iter()
                .any(|(parents, k)| parents.is_empty() && k.eq_ignore_ascii_case(key));
            !refused && !known.iter().any(|k| k.eq_ignore_ascii_case(key))
        })
        .collect();
    if let Some(key) = unknown.first() {
        return Err(format!(
            "config_override.{key} is not a setting the console takes for a peer (only peer, \
             chaincode and metrics are)"
        ));
    }
    let get = |obj: &Map<String, Json>, key: &str| -> Option<Json> {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let mut refused = Vec::new();
    for (parents, key) in illegal {
        let mut here = Some(json.clone());
        for p in parents {
            here = here
                .as_ref()
                .and_then(Json::as_object)
                .and_then(|o| get(o, p));
        }
        if here
            .as_ref()
            .and_then(Json::as_object)
            .is_some_and(|o| get(o, key).is_some())
        {
            let path: Vec<&str> = parents.iter().copied().chain([key]).collect();
            refused.push(format!("config_override.{}", path.join(".")));
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        let when = match usage {
            ConfigUse::Create => "",
            ConfigUse::Update => " on an update",
        };
        Err(format!(
            "the console sets {} itself and refuses it{when}; remove it",
            refused.join(", ")
        ))
    }
}

fn same_json_text(a: &str, b: &str) -> bool {
    same_json(
        &crate::framework::Value::string(a),
        &crate::framework::Value::string(b),
    )
}

// ---- the create body ----

/// The create body (without `id`, which the lifecycle chooses). The crypto comes from the
/// configuration: its write-only values are not in the plan.
fn create_body(planned: &PeerModel, config: &PeerModel) -> Result<Json, Diagnostics> {
    let admin_certs = admin_certs_b64(&planned.admin_certs);
    let crypto = match (
        config.enrollment.known().filter(|e| e.used()),
        config.msp.known().filter(|m| m.used()),
    ) {
        (Some(e), _) => enrollment_crypto(e, &admin_certs),
        (None, Some(m)) => msp_crypto(m, &admin_certs),
        (None, None) => Err((
            attr!(PeerModel, enrollment),
            "an enrollment or msp block is needed to create the peer".to_owned(),
        )),
    }
    .map_err(|(path, detail)| {
        Diagnostics::from(Diagnostic::error("Cannot build the peer's crypto", detail).at(path))
    })?;
    let config_override = match planned.config_override.as_str() {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| {
            Diagnostics::from(
                Diagnostic::error("Invalid config_override", e.to_string())
                    .at(attr!(PeerModel, config_override)),
            )
        })?),
        None => None,
    };
    let request = CreatePeerRequest {
        display_name: planned.display_name.known().cloned().unwrap_or_default(),
        msp_id: planned.msp_id.known().cloned().unwrap_or_default(),
        crypto,
        config_override,
        resources: resources_json(planned),
        storage: storage_json(planned),
        state_db: planned.state_db.known().cloned(),
        zone: planned.zone.known().cloned(),
        region: planned.region.known().cloned(),
        version: planned.version.known().cloned(),
        tags: planned.tags.known().map(|t| t.iter().cloned().collect()),
        hsm: planned
            .hsm_pkcs11_endpoint
            .known()
            .map(|e| json!({ "pkcs11endpoint": e })),
    };
    serde_json::to_value(&request).map_err(|e| {
        Diagnostic::error("Cannot build the peer create request", e.to_string()).into()
    })
}

/// The admin certificates as the console takes them (base64 of the PEM text).
fn admin_certs_b64(certs: &Tf<BTreeSet<String>>) -> Vec<String> {
    certs
        .known()
        .into_iter()
        .flatten()
        .map(|c| console_b64(&canonical_pem(&pem_text(c))))
        .collect()
}

/// A crypto value that could not be built: where, and why.
type CryptoError = (AttributePath, String);

/// `crypto.enrollment` (OAS3 `CryptoObject.enrollment`; the console passes it to the deployer
/// as `enrollment.{component,tls}`: docs/dev/peer.md#the-create-body).
fn enrollment_crypto(e: &EnrollmentModel, admin_certs: &[String]) -> Result<Json, CryptoError> {
    let at = |name: &str| AttributePath::attribute("enrollment").attr(name);
    let need = |v: &Tf<String>, name: &str| -> Result<String, CryptoError> {
        v.known()
            .cloned()
            .ok_or_else(|| (at(name), format!("enrollment.{name} is needed")))
    };
    let ca_url = need(&e.ca_api_url, "ca_api_url")?;
    let ca_cert = need(&e.ca_tls_cert, "ca_tls_cert")?;
    let enroll_id = need(&e.enroll_id, "enroll_id")?;
    let enroll_secret = need(&e.enroll_secret, "enroll_secret")?;
    let tlsca_url = e.tlsca_api_url.known().cloned().unwrap_or(ca_url.clone());
    let tlsca_cert = e.tlsca_tls_cert.known().cloned().unwrap_or(ca_cert.clone());
    let (ca_host, ca_port) = host_and_port(&ca_url).map_err(|d| (at("ca_api_url"), d))?;
    let (tls_host, tls_port) = host_and_port(&tlsca_url).map_err(|d| (at("tlsca_api_url"), d))?;
    let name = |v: &Tf<String>, default: &str| v.known().cloned().unwrap_or(default.to_owned());
    let b64 = |pem: &str| console_b64(&canonical_pem(&pem_text(pem)));
    let mut tlsca = json!({
        "host": tls_host,
        "port": tls_port,
        "name": name(&e.tlsca_name, DEFAULT_TLSCA_NAME),
        "tls_cert": b64(&tlsca_cert),
        "enroll_id": e.tls_enroll_id.known().cloned().unwrap_or(enroll_id.clone()),
        "enroll_secret": e.tls_enroll_secret.known().cloned().unwrap_or(enroll_secret.clone()),
    });
    if let Some(hosts) = e.csr_hosts.known().filter(|h| !h.is_empty()) {
        tlsca["csr_hosts"] = json!(hosts);
    }
    Ok(json!({"enrollment": {
        "component": {"admincerts": admin_certs},
        "ca": {
            "host": ca_host,
            "port": ca_port,
            "name": name(&e.ca_name, DEFAULT_CA_NAME),
            "tls_cert": b64(&ca_cert),
            "enroll_id": enroll_id,
            "enroll_secret": enroll_secret,
        },
        "tlsca": tlsca,
    }}))
}

/// `crypto.msp` (OAS3 `CryptoObject.msp`, certificates and keys as base64 PEM). Intermediate
/// certificates go as `intermediate_certs`, the name the console forwards to its deployer
/// (docs/dev/peer.md#the-create-body).
fn msp_crypto(m: &MspCryptoModel, admin_certs: &[String]) -> Result<Json, CryptoError> {
    let at = |name: &str| AttributePath::attribute("msp").attr(name);
    let b64 = |v: &Tf<String>, name: &str| -> Result<String, CryptoError> {
        v.known()
            .map(|pem| console_b64(&canonical_pem(&pem_text(pem))))
            .ok_or_else(|| (at(name), format!("msp.{name} is needed")))
    };
    let list = |v: &Tf<Vec<String>>| -> Vec<String> {
        v.known()
            .into_iter()
            .flatten()
            .map(|pem| console_b64(&canonical_pem(&pem_text(pem))))
            .collect()
    };
    let chain = |roots: &Tf<Vec<String>>, intermediates: &Tf<Vec<String>>, name: &str| {
        let roots = list(roots);
        if roots.is_empty() {
            return Err((at(name), format!("msp.{name} is needed")));
        }
        let mut ca = json!({ "root_certs": roots });
        let intermediates = list(intermediates);
        if !intermediates.is_empty() {
            ca["intermediate_certs"] = json!(intermediates);
        }
        Ok(ca)
    };
    Ok(json!({"msp": {
        "component": {
            "ekey": b64(&m.ekey, "ekey")?,
            "ecert": b64(&m.ecert, "ecert")?,
            "tls_key": b64(&m.tls_key, "tls_key")?,
            "tls_cert": b64(&m.tls_cert, "tls_cert")?,
            "admin_certs": admin_certs,
        },
        "ca": chain(&m.ca_root_certs, &m.ca_intermediate_certs, "ca_root_certs")?,
        "tlsca": chain(&m.tlsca_root_certs, &m.tlsca_intermediate_certs, "tlsca_root_certs")?,
    }}))
}

/// The host and port of a CA URL, as the console's enrollment takes them (the port a number,
/// 443 when an https URL names none).
fn host_and_port(url: &str) -> Result<(String, u16), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{url:?} names no host"))?;
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| format!("{url:?} names no port"))?;
    Ok((host.to_owned(), port))
}

/// `resources: {peer: {requests, limits}, proxy: ..., statedb: ..., chaincodelauncher: ...}`
/// with what the plan sets.
fn resources_json(m: &PeerModel) -> Option<Json> {
    let mut out = Map::new();
    for (part, requests, limits, _) in m.containers() {
        let mut entry = Map::new();
        if let Some(r) = requests.known() {
            entry.insert("requests".into(), json!(r));
        }
        if let Some(l) = limits.known() {
            entry.insert("limits".into(), json!(l));
        }
        if !entry.is_empty() {
            out.insert(part.to_owned(), Json::Object(entry));
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

/// `storage: {peer: {size, class}, statedb: {size, class}}` with what the plan sets.
fn storage_json(m: &PeerModel) -> Option<Json> {
    let mut out = Map::new();
    let parts = [
        ("peer", &m.storage_size, &m.storage_class),
        ("statedb", &m.statedb_storage_size, &m.statedb_storage_class),
    ];
    for (part, size, class) in parts {
        let mut entry = Map::new();
        if let Some(s) = size.known() {
            entry.insert("size".into(), json!(s));
        }
        if let Some(c) = class.known() {
            entry.insert("class".into(), json!(c));
        }
        if !entry.is_empty() {
            out.insert(part.to_owned(), Json::Object(entry));
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

// ---- updates ----

/// The deployment updates a plan needs, in the order they are sent: the image version alone
/// first (it restarts the pods), then sizing, the core.yaml overrides, the admin certificates,
/// and placement last.
fn deployment_updates(
    prior: &PeerModel,
    planned: &PeerModel,
    config: &PeerModel,
) -> Vec<PeerUpdate> {
    let mut updates = Vec::new();
    if let Some(v) = changed(&prior.version, &planned.version) {
        updates.push(PeerUpdate::Version(v.clone()));
    }
    updates.extend(resources_update(prior, planned, config).map(PeerUpdate::Resources));
    if let Some(text) = changed(&prior.config_override, &planned.config_override) {
        if let Ok(json) = serde_json::from_str::<Json>(text) {
            updates.push(PeerUpdate::ConfigOverride(json));
        }
    }
    if let Some(certs) = changed(&prior.admin_certs, &planned.admin_certs) {
        let listed = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        let same = prior
            .admin_certs
            .known()
            .is_some_and(|p| same_certificates_unordered(&listed(p), &listed(certs)));
        if !same {
            updates.push(PeerUpdate::AdminCerts(admin_certs_b64(
                &planned.admin_certs,
            )));
        }
    }
    if let Some(z) = changed(&prior.zone, &planned.zone) {
        updates.push(PeerUpdate::Zone(z.clone()));
    }
    updates
}

/// Limits the configuration leaves to the console follow changed requests (athena copies
/// requests to limits not given), so they are known only after the apply.
fn unknown_followed_limits(prior: &PeerModel, config: &PeerModel, planned: &mut PeerModel) {
    let configured: Vec<bool> = config.containers().iter().map(|c| !c.2.is_null()).collect();
    let prior_requests: Vec<Tf<BTreeMap<String, String>>> =
        prior.containers().iter().map(|c| c.1.clone()).collect();
    for (i, (requests, limits)) in planned.sizing_mut().into_iter().enumerate() {
        if !configured[i] && changed(&prior_requests[i], requests).is_some() {
            *limits = Tf::Unknown;
        }
    }
}

/// The `resources` of an update: each container whose sizing changes, with its requests, and
/// its limits only when the configuration sets them (athena copies the requests to limits not
/// given; limits the console chose are not sent back, where they could be below the new
/// requests). The state database's entry goes under `couchdb`, the only name an update passes
/// to the deployer (docs/dev/peer.md#resources-and-storage).
fn resources_update(prior: &PeerModel, planned: &PeerModel, config: &PeerModel) -> Option<Json> {
    let mut out = Map::new();
    let containers = prior
        .containers()
        .into_iter()
        .zip(planned.containers())
        .zip(config.containers());
    for ((p, n), c) in containers {
        let (key, requests, limits) = (n.0, n.1, n.2);
        let configured_limits = !c.2.is_null();
        let requests_changed = changed(p.1, requests).is_some();
        let limits_changed = configured_limits && changed(p.2, limits).is_some();
        let Some(requests) = requests.known() else {
            continue;
        };
        if !requests_changed && !limits_changed {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("requests".into(), json!(requests));
        if let Some(l) = limits.known().filter(|_| configured_limits) {
            entry.insert("limits".into(), json!(l));
        }
        let key = if key == "statedb" { "couchdb" } else { key };
        out.insert(key.to_owned(), Json::Object(entry));
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

/// Whether the console's view of the peer shows `update` applied. A field the console does not
/// report, the zone (docs/dev/console-api.md#zone-changes) and the config overrides (merged into
/// the peer's settings) count as applied once the PUT succeeded; the next read shows any
/// difference as drift.
fn reflects(c: &Component, update: &PeerUpdate) -> bool {
    match update {
        PeerUpdate::Version(v) => c.version.as_deref().is_some_and(|cv| same_version(cv, v)),
        PeerUpdate::Zone(_) | PeerUpdate::ConfigOverride(_) => true,
        PeerUpdate::AdminCerts(wanted) => {
            console_admin_certs(c).is_none_or(|have| same_certificates_unordered(wanted, &have))
        }
        PeerUpdate::Resources(wanted) => {
            let Some(parts) = wanted.as_object() else {
                return true;
            };
            parts.iter().all(|(part, sizing)| {
                ["requests", "limits"].iter().all(|kind| {
                    let live = resource_map(c, part, kind);
                    let Some(want) = sizing.get(kind).and_then(Json::as_object) else {
                        return true;
                    };
                    want.iter().all(|(k, v)| {
                        let have = live.as_ref().and_then(|m| m.get(k)).map(String::as_str);
                        matches!((v.as_str(), have), (Some(a), Some(b)) if same_quantity(a, b))
                    })
                })
            })
        }
    }
}

// ---- the console's view ----

/// `msp.component.admin_certs`, when the console reports them (only with the deployment
/// attributes: docs/dev/console-api.md#views-per-call).
fn console_admin_certs(c: &Component) -> Option<Vec<String>> {
    let component = c.msp.as_ref()?.component.as_ref()?;
    Some(component.admin_certs.clone())
}

/// `resources.<part>.<kind>`; the state database's sizing also under the console's legacy
/// names (`couchdb`, `leveldb`: docs/dev/peer.md#resources-and-storage).
fn resource_map(c: &Component, part: &str, kind: &str) -> Option<BTreeMap<String, String>> {
    let names: &[&str] = if part == "statedb" {
        &["statedb", "couchdb", "leveldb"]
    } else {
        std::slice::from_ref(&part)
    };
    names.iter().find_map(|p| c.resource_map(p, kind))
}

/// `storage.<part>.<key>`, the state database's also under its legacy names.
fn storage_value(c: &Component, part: &str, key: &str) -> Option<String> {
    let names: &[&str] = if part == "statedb" {
        &["statedb", "couchdb", "leveldb"]
    } else {
        std::slice::from_ref(&part)
    };
    names.iter().find_map(|p| c.storage_value(p, key))
}

impl DeployedModel for PeerModel {
    lifecycle::deployed_model_fields!();

    fn live_state(base: &Self, c: &Component) -> Self {
        live_state(base, c)
    }
    /// The crypto blocks are never null (docs/dev/peer.md#crypto-is-write-only).
    fn unconfirmed(id: String, planned: &Self) -> Self {
        PeerModel {
            id: Tf::Known(id),
            display_name: planned.display_name.clone(),
            msp_id: planned.msp_id.clone(),
            enrollment: Tf::Known(EnrollmentModel::default()),
            msp: Tf::Known(MspCryptoModel::default()),
            timeouts: planned.timeouts.clone(),
            ..PeerModel::default()
        }
    }
}

/// State from the console's view of the peer. `base` (plan or prior state) supplies what the
/// console cannot report: the timeouts block, the HSM endpoint when not shown, whether the
/// user manages tags and config overrides at all. Equivalent spellings are the framework's
/// business (semantic equality).
fn live_state(base: &PeerModel, c: &Component) -> PeerModel {
    let text = |v: &Option<String>| Tf::from_option(v.clone().filter(|s| !s.is_empty()));
    let sizing = |part: &str, kind: &str| Tf::from_option(resource_map(c, part, kind));
    let storage = |part: &str, key: &str| Tf::from_option(storage_value(c, part, key));
    let hsm_pkcs11_endpoint = match c.hsm_endpoint() {
        Some(endpoint) => Tf::Known(endpoint.to_string()),
        None if base.hsm_pkcs11_endpoint.is_known() => base.hsm_pkcs11_endpoint.clone(),
        None => Tf::Null,
    };
    let pems = |ca: Option<&crate::console::MspCa>| {
        Tf::Known(
            ca.map(|m| m.root_certs.iter().map(|p| pem_text(p)).collect())
                .unwrap_or_default(),
        )
    };
    let component = c.msp.as_ref().and_then(|m| m.component.as_ref());
    let admin_certs = match console_admin_certs(c) {
        Some(certs) => Tf::Known(certs.iter().map(|p| canonical_pem(&pem_text(p))).collect()),
        None => base.admin_certs.clone().or_known(Tf::Null),
    };
    let config_override = match &c.config_override {
        Json::Null => Tf::Null,
        Json::Object(o) if o.is_empty() && !base.config_override.is_known() => Tf::Null,
        v => Tf::Known(v.to_string()),
    };
    let doc = serde_json::to_value(c).unwrap_or_default();
    PeerModel {
        id: Tf::Known(c.id.clone()),
        display_name: Tf::Known(c.display_name.clone()),
        msp_id: text(&c.msp_id),
        admin_certs,
        state_db: Tf::from_option(
            c.extra
                .get("state_db")
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        ),
        zone: text(&c.zone),
        region: text(&c.region),
        version: text(&c.version),
        peer_requests: sizing("peer", "requests"),
        peer_limits: sizing("peer", "limits"),
        proxy_requests: sizing("proxy", "requests"),
        proxy_limits: sizing("proxy", "limits"),
        statedb_requests: sizing("statedb", "requests"),
        statedb_limits: sizing("statedb", "limits"),
        chaincode_launcher_requests: sizing("chaincodelauncher", "requests"),
        chaincode_launcher_limits: sizing("chaincodelauncher", "limits"),
        storage_size: storage("peer", "size"),
        storage_class: storage("peer", "class"),
        statedb_storage_size: storage("statedb", "size"),
        statedb_storage_class: storage("statedb", "class"),
        config_override,
        hsm_pkcs11_endpoint,
        tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
        api_url: text(&c.api_url),
        grpcwp_url: text(&c.grpcwp_url),
        operations_url: text(&c.operations_url),
        tls_cert: Tf::from_option(c.tls_cert().map(pem_text)),
        ecert: Tf::from_option(component.and_then(|m| m.ecert.as_deref()).map(pem_text)),
        ca_root_certs: pems(c.msp_ca()),
        tlsca_root_certs: pems(c.msp_tlsca()),
        export_json: Tf::Known(export_node_json(&doc, DEFAULT_PLATFORM)),
        enrollment: Tf::Known(EnrollmentModel::default()),
        msp: Tf::Known(MspCryptoModel::default()),
        timeouts: match &base.timeouts {
            Tf::Unknown => Tf::Null,
            t => t.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
