//! `blockchain_peer_import`: a peer that runs elsewhere (another console's peer), imported into
//! this console as a record (POST /components/fabric-peer), from that console's peer export or
//! from explicit fields: the seed's "import every peer into every console".
//!
//! The record is what the console stores for a peer: its name, MSP id, URLs, location and
//! certificates (docs/dev/console-api.md#peer-and-orderer-records). Every stored field is
//! compared on read; what the console's edit takes is edited back in place (PUT
//! /components/fabric-peer/{id}), and what it cannot express (a removed URL or certificate, a
//! changed NodeOU setting) replaces the record.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::console::{Component, EditComponentRequest};
use crate::framework::{
    validators, ApplyError, AttributePath, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TypedResource,
    UpdateRequest,
};
use crate::resources::export::{
    export_node_json, export_nodes, NodeDefinition, NodeKind, DEFAULT_PLATFORM, GRPC_URL_PATTERN,
    GRPC_URL_RULE, HTTP_URL_PATTERN, HTTP_URL_RULE, LOCATION_RULE, NAME_CHARS, SAFE_URL_PATTERN,
};
use crate::resources::lifecycle::{
    self, changed, check_certificate, check_certificates, console_tags, pick, Naming,
};
use crate::resources::msp_definition::MSP_ID_PATTERN;
use crate::resources::pem::{canonical_pem, msp_certificate, same_certificate};
use crate::resources::records::{self, record_model, RecordResource};
use crate::resources::semantic::same_certificates;
use crate::{attr, tf_model};

/// The console's own tag on every peer (docs/dev/console-api.md#tags).
const SYSTEM_TAGS: [&str; 1] = ["fabric-peer"];
/// What the console shows as the location of a record imported without one.
pub const NO_LOCATION: &str = "-";

const PEER: Naming = Naming {
    component_type: "fabric-peer",
    noun: "peer",
    id_prefix: "peer",
};

tf_model! {
    /// The state of one `blockchain_peer_import`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct PeerImportModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Console component id of the peer record, derived by the console from `display_name`. Used for import."),
        pub export_json: Tf<String> => |a| a.optional()
            .description(
                "The peer as another console exports it: the `export_json` of a `blockchain_peer`, \
                 the `console_export_json` of another `blockchain_peer_import`, or the file the \
                 console's peer export (download) button writes. Its fields are the defaults of \
                 every attribute below; an attribute set here overrides its field.",
            ),
        pub display_name: Tf<String> => |a| a.optional().computed()
            .description("Name shown on the console tile (at most 64 characters). Defaults to the export's. Edited in place.")
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches(
                "[A-Za-z0-9]",
                "must contain an ASCII letter or digit: the console derives the component id from them",
            ))
            .validate(validators::regex_matches("^[^<>`]*$", NAME_CHARS)),
        pub msp_id: Tf<String> => |a| a.optional().computed()
            .description("MSP id of the peer's organization (letters, digits, `-` and `.`). Defaults to the export's. Edited in place.")
            .validate(validators::length_between(1, 250))
            .validate(validators::regex_matches(MSP_ID_PATTERN, "may contain only letters, digits, '-' and '.'"))
            .validate(validators::regex_matches(r"[A-Za-z0-9-]|\.\.\.", "may not be \".\" or \"..\"")),
        pub api_url: Tf<String> => |a| a.optional().computed()
            .description("The peer's gRPC URL, `grpc(s)://host:port`. Defaults to the export's, else none. Edited in place; removing it replaces the record.")
            .validate(validators::regex_matches(GRPC_URL_PATTERN, GRPC_URL_RULE)),
        pub grpcwp_url: Tf<String> => |a| a.optional().computed()
            .description("The peer's gRPC-web proxy URL (`https://host:port`), which the console's browser side talks to. Defaults to the export's (given the scheme's port when it has none, as the console's import does). Edited in place.")
            .validate(validators::regex_matches(HTTP_URL_PATTERN, HTTP_URL_RULE))
            .validate(validators::regex_matches(SAFE_URL_PATTERN, HTTP_URL_RULE)),
        pub operations_url: Tf<String> => |a| a.optional().computed()
            .description("The peer's operations URL (`https://host:port`: health, metrics). Defaults to the export's, else none. Edited in place; removing it replaces the record.")
            .validate(validators::regex_matches(HTTP_URL_PATTERN, HTTP_URL_RULE))
            .validate(validators::regex_matches(SAFE_URL_PATTERN, HTTP_URL_RULE)),
        pub location: Tf<String> => |a| a.optional().computed()
            .description("Where the peer runs, as the console shows it (an export from a console that deployed the peer names that console's platform). Defaults to the export's, else `-`. Never `ibm_saas`. Edited in place.")
            .validate(validators::length_between(1, 1024))
            .validate(validators::regex_matches("^[^<>`]*$", NAME_CHARS)),
        pub tls_cert: Tf<String> => |a| a.optional().computed()
            .semantic_equality(same_certificate)
            .description("PEM TLS certificate of the peer. Defaults to the export's; required. Edited in place.")
            .validate(validators::not_empty()),
        pub ecert: Tf<String> => |a| a.optional().computed()
            .semantic_equality(same_certificate)
            .description("PEM enrollment certificate of the peer. Defaults to the export's, else none. Edited in place; removing it replaces the record.")
            .validate(validators::not_empty()),
        pub admin_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM certificates of the peer's administrators. Defaults to the export's, else none. Edited in place."),
        pub ca_name: Tf<String> => |a| a.optional().computed()
            .description("Name of the enrollment CA inside its Fabric CA server (`msp.ca.name`). Defaults to the export's, else none. Edited in place; removing it replaces the record."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the enrollment CA. Defaults to the export's, else none. Edited in place; emptying them replaces the record."),
        pub tlsca_name: Tf<String> => |a| a.optional().computed()
            .description("Name of the TLS CA inside its Fabric CA server (`msp.tlsca.name`). Defaults to the export's, else none. Edited in place; removing it replaces the record."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the TLS CA that issued `tls_cert`. Defaults to the export's; at least one is needed. Edited in place."),
        pub node_ou_enabled: Tf<bool> => |a| a.optional().computed()
            .description("Whether the peer's MSP uses NodeOUs (the export's `node_ou.enabled`). Defaults to the export's, else not recorded. The console's edit does not take it: a change replaces the record."),
        pub tags: Tf<BTreeSet<String>> => |a| console_tags(a.optional()
            .description("Console tags (lowercase; letters, digits and `-_+!@#$*?:,'`). The console's own `fabric-peer` tag is not listed here.")),
        pub console_export_json: Tf<String> => |a| a.computed()
            .description(
                "The record as this console's peer export (download) button writes it: sorted \
                 keys, 4-space indent, base64 PEMs. Carries the peer on to a further console.",
            ),
    }
}

pub struct PeerImportResource;

/// The one peer of a peer export.
fn peer_export(text: &str) -> Result<NodeDefinition, String> {
    match export_nodes(text)?.as_slice() {
        [node] => NodeDefinition::from_export_node(node, NodeKind::Peer),
        nodes => Err(format!(
            "holds {} nodes; a peer export holds one",
            nodes.len()
        )),
    }
}

#[async_trait]
impl TypedResource for PeerImportResource {
    type Model = PeerImportModel;

    fn type_name(&self) -> &'static str {
        "blockchain_peer_import"
    }

    fn description(&self) -> String {
        "A peer that runs elsewhere (for example region 2's peer in region 1's console), imported \
         into this console from another console's peer export or from explicit fields, so this \
         console can use it (channels, chaincode). The console keeps it as a record; nothing is \
         deployed. Every stored field is compared on refresh: drift is edited back in place, or \
         the record is replaced where the console's edit cannot express the change."
            .to_owned()
    }

    /// The export and every certificate given are checked before anything is sent.
    fn validate_config(&self, config: &PeerImportModel, diags: &mut Diagnostics) {
        if let Some(text) = config.export_json.known() {
            match peer_export(text) {
                Err(e) => {
                    diags.push(
                        Diagnostic::error("Unusable peer export", format!("export_json {e}."))
                            .at(attr!(PeerImportModel, export_json)),
                    );
                }
                Ok(d) => {
                    for (field, problem) in d.problems() {
                        diags.push(
                            Diagnostic::error(
                                "Unusable peer export",
                                format!("export_json: the peer's {field} {problem}."),
                            )
                            .at(attr!(PeerImportModel, export_json)),
                        );
                    }
                }
            }
        }
        check_certificate(attr!(PeerImportModel, tls_cert), &config.tls_cert, diags);
        check_certificate(attr!(PeerImportModel, ecert), &config.ecert, diags);
        let lists = [
            (attr!(PeerImportModel, admin_certs), &config.admin_certs),
            (attr!(PeerImportModel, ca_root_certs), &config.ca_root_certs),
            (
                attr!(PeerImportModel, tlsca_root_certs),
                &config.tlsca_root_certs,
            ),
        ];
        for (path, certs) in lists {
            check_certificates(path, certs, diags);
        }
        if config.tlsca_root_certs.known().is_some_and(Vec::is_empty) {
            diags.push(no_tls_root(attr!(PeerImportModel, tlsca_root_certs)));
        }
        if config.location.as_str() == Some("ibm_saas") {
            diags.push(
                Diagnostic::error("Invalid location", format!("location {LOCATION_RULE}."))
                    .at(attr!(PeerImportModel, location)),
            );
        }
        if config.export_json.is_null() && config.display_name.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing peer definition",
                    "Set export_json (another console's peer export), or give the peer's fields: \
                     display_name, msp_id, grpcwp_url, tls_cert and tlsca_root_certs at least.",
                )
                .at(attr!(PeerImportModel, display_name)),
            );
        }
    }

    /// What the peer needs to be imported, from the configuration or the export.
    fn validate_create(&self, plan: &CreatePlan<'_, PeerImportModel>, diags: &mut Diagnostics) {
        let purpose = "import the peer (set it, or give export_json)";
        let p = plan.planned;
        plan.require(
            attr!(PeerImportModel, display_name),
            &p.display_name,
            purpose,
            diags,
        );
        plan.require(attr!(PeerImportModel, msp_id), &p.msp_id, purpose, diags);
        plan.require(
            attr!(PeerImportModel, grpcwp_url),
            &p.grpcwp_url,
            purpose,
            diags,
        );
        plan.require(
            attr!(PeerImportModel, tls_cert),
            &p.tls_cert,
            purpose,
            diags,
        );
        let roots = plan.require(
            attr!(PeerImportModel, tlsca_root_certs),
            &p.tlsca_root_certs,
            purpose,
            diags,
        );
        if roots.is_some_and(Vec::is_empty) {
            diags.push(no_tls_root(attr!(PeerImportModel, tlsca_root_certs)));
        }
    }

    /// Every stored field is planned as the configuration and the export want it, so a record
    /// edited on the console plans an edit back, or a replacement where no edit can do it.
    async fn modify_plan(&self, _ctx: &ResourceContext, plan: ModelPlan<'_, PeerImportModel>) {
        let c = plan.config;
        let export = match &c.export_json {
            Tf::Known(text) => match peer_export(text) {
                Ok(d) => Some(Tf::Known(d)),
                Err(_) => return, // validate_config reported it
            },
            Tf::Unknown => Some(Tf::Unknown),
            Tf::Null => None,
        };
        let e = export.as_ref();
        let none = || Tf::Known(Vec::new());
        let p = &mut *plan.planned;
        p.display_name = pick(&c.display_name, e, |d| d.display_name.clone(), Tf::Null);
        p.msp_id = pick(&c.msp_id, e, |d| d.msp_id.clone(), Tf::Null);
        p.api_url = pick(&c.api_url, e, |d| d.api_url.clone(), Tf::Null);
        p.grpcwp_url = pick(&c.grpcwp_url, e, |d| d.grpcwp_url.clone(), Tf::Null);
        p.operations_url = pick(&c.operations_url, e, |d| d.operations_url.clone(), Tf::Null);
        p.location = pick(
            &c.location,
            e,
            |d| d.location.clone(),
            Tf::Known(NO_LOCATION.to_owned()),
        );
        p.tls_cert = pick(&c.tls_cert, e, |d| d.tls_cert.clone(), Tf::Null);
        p.ecert = pick(&c.ecert, e, |d| d.ecert.clone(), Tf::Null);
        p.admin_certs = pick(&c.admin_certs, e, |d| Some(d.admin_certs.clone()), none());
        p.ca_name = pick(&c.ca_name, e, |d| d.ca_name.clone(), Tf::Null);
        p.ca_root_certs = pick(
            &c.ca_root_certs,
            e,
            |d| Some(d.ca_root_certs.clone()),
            none(),
        );
        p.tlsca_name = pick(&c.tlsca_name, e, |d| d.tlsca_name.clone(), Tf::Null);
        p.tlsca_root_certs = pick(
            &c.tlsca_root_certs,
            e,
            |d| Some(d.tlsca_root_certs.clone()),
            none(),
        );
        p.node_ou_enabled = pick(&c.node_ou_enabled, e, |d| d.node_ou_enabled, Tf::Null);
        let Some(prior) = plan.prior else { return };
        keep_equal_certificates(prior, p);
        // What an edit cannot express needs a new record.
        if all_known(p) {
            for field in definition(p).unremovable(&definition(prior)) {
                plan.requires_replace.push(AttributePath::attribute(field));
            }
        }
        if !plan.requires_replace.is_empty() {
            p.console_export_json = Tf::Unknown;
            return;
        }
        let unchanged = *p
            == PeerImportModel {
                console_export_json: p.console_export_json.clone(),
                export_json: p.export_json.clone(),
                ..prior.clone()
            };
        p.console_export_json =
            lifecycle::export_unless_changed(unchanged, &prior.console_export_json);
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, PeerImportModel>,
    ) -> Result<PeerImportModel, ApplyError<PeerImportModel>> {
        records::create(ctx, &req.planned, req.private).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, PeerImportModel>,
    ) -> Result<Option<PeerImportModel>, Diagnostics> {
        records::read(ctx, &req.state, req.private).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, PeerImportModel>,
    ) -> Result<PeerImportModel, ApplyError<PeerImportModel>> {
        records::update(ctx, &req.prior, &req.planned).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, PeerImportModel>,
    ) -> Result<(), Diagnostics> {
        records::delete(ctx, &req.prior, req.private).await
    }

    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<PeerImportModel, Diagnostics> {
        records::import(ctx, id, self.type_name()).await
    }
}

/// The peer record's part in the shared record CRUD (`records`).
impl RecordResource for PeerImportModel {
    const NAMING: Naming = PEER;
    fn import_body(&self) -> Json {
        import_body(self)
    }
    /// The display name and tags, and each stored field that differs.
    fn record_edit(prior: &Self, planned: &Self) -> EditComponentRequest {
        EditComponentRequest {
            display_name: changed(&prior.display_name, &planned.display_name).cloned(),
            tags: (prior.tags != planned.tags)
                .then(|| lifecycle::tags_to_send(&planned.tags, &[], &SYSTEM_TAGS)),
            fields: definition(planned).edit_fields(&definition(prior), NodeKind::Peer),
            ..EditComponentRequest::default()
        }
    }
    fn record_state(base: &Self, c: &Component) -> Self {
        live_state(base, c)
    }
}

fn no_tls_root(path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "No TLS CA root certificate",
        "A peer import needs at least one root certificate of the TLS CA (msp.tlsca.root_certs).",
    )
    .at(path)
}

/// Whether every stored field of the plan is known (the export is).
fn all_known(p: &PeerImportModel) -> bool {
    [
        p.display_name.is_unknown(),
        p.msp_id.is_unknown(),
        p.api_url.is_unknown(),
        p.grpcwp_url.is_unknown(),
        p.operations_url.is_unknown(),
        p.location.is_unknown(),
        p.tls_cert.is_unknown(),
        p.ecert.is_unknown(),
        p.admin_certs.is_unknown(),
        p.ca_name.is_unknown(),
        p.ca_root_certs.is_unknown(),
        p.tlsca_name.is_unknown(),
        p.tlsca_root_certs.is_unknown(),
        p.node_ou_enabled.is_unknown(),
    ]
    .iter()
    .all(|unknown| !unknown)
}

/// Planned certificates equal in meaning to the prior state's take the state's spelling.
fn keep_equal_certificates(prior: &PeerImportModel, p: &mut PeerImportModel) {
    lifecycle::keep_equal_certificates([
        (&prior.admin_certs, &mut p.admin_certs),
        (&prior.ca_root_certs, &mut p.ca_root_certs),
        (&prior.tlsca_root_certs, &mut p.tlsca_root_certs),
    ]);
    lifecycle::keep_equal_certificate([
        (&prior.tls_cert, &mut p.tls_cert),
        (&prior.ecert, &mut p.ecert),
    ]);
}

/// The node a model describes (its known values; certificates in canonical PEM).
fn definition(m: &PeerImportModel) -> NodeDefinition {
    let text = |t: &Tf<String>| t.known().cloned();
    let pem = |c: &String| msp_certificate(c).unwrap_or_else(|_| canonical_pem(c));
    let cert = |t: &Tf<String>| t.known().map(pem);
    let certs = |t: &Tf<Vec<String>>| t.known().into_iter().flatten().map(pem).collect();
    NodeDefinition {
        display_name: text(&m.display_name),
        msp_id: text(&m.msp_id),
        api_url: text(&m.api_url),
        grpcwp_url: text(&m.grpcwp_url),
        operations_url: text(&m.operations_url),
        location: text(&m.location),
        tls_cert: cert(&m.tls_cert),
        ecert: cert(&m.ecert),
        admin_certs: certs(&m.admin_certs),
        ca_name: text(&m.ca_name),
        ca_root_certs: certs(&m.ca_root_certs),
        tlsca_name: text(&m.tlsca_name),
        tlsca_root_certs: certs(&m.tlsca_root_certs),
        node_ou_enabled: m.node_ou_enabled.known().copied(),
        ..NodeDefinition::default()
    }
}

/// POST /components/fabric-peer: the console UI's import of the planned peer, with the
/// export's bookkeeping fields and the tags.
fn import_body(planned: &PeerImportModel) -> Json {
    let mut d = definition(planned);
    // The console shows a record imported without a location as `-`; the UI sends none.
    d.location = d.location.filter(|l| l != NO_LOCATION);
    if let Some(export) = planned
        .export_json
        .known()
        .and_then(|t| peer_export(t).ok())
    {
        d.carried = export.carried;
    }
    let tags: Option<Vec<String>> = planned.tags.known().map(|t| t.iter().cloned().collect());
    d.import_body(NodeKind::Peer, tags.as_deref())
}

/// State from the console's record. `base` (plan or prior state) supplies the input the
/// console does not keep (`export_json`) and whether the user manages tags at all.
fn live_state(base: &PeerImportModel, c: &Component) -> PeerImportModel {
    let doc = serde_json::to_value(c).unwrap_or_else(|_| Json::Object(Map::new()));
    let d = NodeDefinition::from_record(&doc);
    PeerImportModel {
        id: Tf::Known(c.id.clone()),
        export_json: base.export_json.clone(),
        display_name: Tf::Known(c.display_name.clone()),
        msp_id: Tf::from_option(d.msp_id),
        api_url: Tf::from_option(d.api_url),
        grpcwp_url: Tf::from_option(d.grpcwp_url),
        operations_url: Tf::from_option(d.operations_url),
        location: Tf::Known(d.location.unwrap_or_else(|| NO_LOCATION.to_owned())),
        tls_cert: Tf::from_option(d.tls_cert),
        ecert: Tf::from_option(d.ecert),
        admin_certs: Tf::Known(d.admin_certs),
        ca_name: Tf::from_option(d.ca_name),
        ca_root_certs: Tf::Known(d.ca_root_certs),
        tlsca_name: Tf::from_option(d.tlsca_name),
        tlsca_root_certs: Tf::Known(d.tlsca_root_certs),
        node_ou_enabled: Tf::from_option(d.node_ou_enabled),
        tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
        console_export_json: Tf::Known(export_node_json(&doc, DEFAULT_PLATFORM)),
    }
}

record_model!(PeerImportModel);

#[cfg(test)]
mod tests;
