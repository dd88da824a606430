//! `blockchain_ordering_service_import`: an ordering service that runs elsewhere, imported into
//! this console from its export: the seed's "import the ordering service JSON".
//!
//! The console keeps an ordering service as one record per node (POST
//! /components/fabric-orderer each), held together by their `cluster_id`; a `cluster_name` or
//! `system_channel_id` edit on one node reaches every node of the cluster
//! (docs/dev/console-api.md#peer-and-orderer-records). One resource holds every node of one
//! cluster:
//!
//! - Create imports the nodes one by one, as the console UI does. It is all or nothing: when a
//!   node is refused, the nodes this create made are removed again; what cannot be removed, or
//!   a node whose create may or may not have happened, is recorded in a tainted state, so
//!   nothing is orphaned and the next apply replaces it (docs/dev/identity.md#ordering-services).
//! - Read compares every node: gone, or changed. Update removes, edits and adds nodes; a node
//!   whose change no edit can express (a removed URL or certificate) is removed and imported
//!   anew. A changed cluster id replaces the whole service (it cannot be edited).
//! - Delete removes every node.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::clients::Clients;
use crate::console::{Component, EditComponentRequest};
use crate::framework::{
    validators, ApplyError, CreatePlan, CreateRequest, DeleteRequest, Diagnostic, Diagnostics,
    ModelPlan, Private, ReadRequest, ResourceContext, Tf, TypedResource, UpdateRequest,
};
use crate::resources::export::{
    export_nodes, export_nodes_json, NodeDefinition, NodeKind, DEFAULT_PLATFORM, NAME_CHARS,
};
use crate::resources::lifecycle::{
    self, changed, console_tags, required, ComponentApi, CreateFailure, LifecycleError, Naming,
    Operation, Post,
};
use crate::resources::peer_import::NO_LOCATION;
use crate::resources::pem::{canonical_pem, msp_certificate};
use crate::resources::records::{operation, Records};
use crate::{attr, tf_model};

/// The console's own tag on every orderer (docs/dev/console-api.md#tags).
const SYSTEM_TAGS: [&str; 1] = ["fabric-orderer"];
/// The private-state key of node ids whose create was never confirmed.
const UNCONFIRMED_NODES: &str = "unconfirmed_nodes";
/// A cluster id as athena's id builder leaves it (docs/dev/console-api.md#peer-and-orderer-records).
const CLUSTER_ID_PATTERN: &str = "^[a-z][a-z0-9_-]{0,31}$";

const ORDERER: Naming = Naming {
    component_type: "fabric-orderer",
    noun: "ordering service node",
    id_prefix: "orderer",
};

tf_model! {
    /// One node of an ordering service, as the console holds it.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrdererNodeModel {
        pub id: Tf<String> => |a| a.computed().description("Console component id of the node's record."),
        pub display_name: Tf<String> => |a| a.computed().description("Name of the node's tile."),
        pub msp_id: Tf<String> => |a| a.computed().description("MSP id of the node's organization."),
        pub api_url: Tf<String> => |a| a.computed().description("gRPC URL of the node."),
        pub grpcwp_url: Tf<String> => |a| a.computed().description("gRPC-web proxy URL of the node."),
        pub operations_url: Tf<String> => |a| a.computed().description("Operations URL of the node."),
        pub osnadmin_url: Tf<String> => |a| a.computed().description("Channel participation (osnadmin) URL of the node."),
        pub location: Tf<String> => |a| a.computed().description("Where the node runs."),
        pub tls_cert: Tf<String> => |a| a.computed().description("PEM TLS certificate of the node."),
        pub ecert: Tf<String> => |a| a.computed().description("PEM enrollment certificate of the node."),
        pub admin_certs: Tf<Vec<String>> => |a| a.computed().description("PEM certificates of the node's administrators."),
        pub ca_name: Tf<String> => |a| a.computed().description("Name of the enrollment CA."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.computed().description("PEM roots of the enrollment CA."),
        pub tlsca_name: Tf<String> => |a| a.computed().description("Name of the TLS CA."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.computed().description("PEM roots of the TLS CA."),
        pub systemless: Tf<bool> => |a| a.computed().description("Whether the node runs without a system channel."),
        pub system_channel_id: Tf<String> => |a| a.computed().description("The node's system channel."),
    }
}

tf_model! {
    /// The state of one `blockchain_ordering_service_import`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrderingServiceImportModel {
        pub id: Tf<String> => |a| a.computed()
            .description("The ordering service's cluster id on this console (its nodes' `cluster_id`). Used for import; a node's component id imports its whole cluster too."),
        pub export_json: Tf<String> => |a| a.required()
            .description(
                "The ordering service as another console exports it: the file its export \
                 (download) button writes for an ordering service (a JSON list of its nodes' \
                 exports; one node's export, or an object whose `raft` lists the nodes, is taken \
                 too), or the `console_export_json` of another `blockchain_ordering_service_import`. \
                 To give nodes by hand, write that list with `jsonencode`: per node \
                 `display_name`, `msp_id`, `grpcwp_url`, `api_url`, `osnadmin_url`, \
                 `operations_url`, `systemless`, and `msp` with `component.tls_cert` and \
                 `tlsca.root_certs` (base64 PEMs) at least. Every node is imported; nodes are \
                 matched to the console's records by display name, else by `api_url`.",
            ),
        pub cluster_name: Tf<String> => |a| a.optional().computed()
            .description("Name of the ordering service's tile (every node's `cluster_name`, at most 64 characters). Defaults to the export's. Edited in place on every node.")
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches("^[^<>`]*$", NAME_CHARS)),
        pub cluster_id: Tf<String> => |a| a.optional().computed()
            .description("The cluster id that groups the nodes into one ordering service on the console (lower case letters, digits, `-` and `_`, at most 32). Defaults to the export's, else to one derived from `cluster_name` as the console derives ids. The console cannot edit it: a change replaces every node.")
            .validate(validators::regex_matches(
                CLUSTER_ID_PATTERN,
                "must start with a lowercase letter and hold only lowercase letters, digits, '-' and '_' (at most 32)",
            )),
        pub tags: Tf<BTreeSet<String>> => |a| console_tags(a.optional()
            .description("Console tags of every node (lowercase; letters, digits and `-_+!@#$*?:,'`). The console's own `fabric-orderer` tag is not listed here.")),
        pub nodes: Tf<Vec<OrdererNodeModel>> => |a| a.computed()
            .description(
                "The ordering service's nodes as this console holds them, one record each: \
                 `id` (component id), `display_name`, `msp_id`, `api_url`, `grpcwp_url`, \
                 `operations_url`, `osnadmin_url`, `location`, `systemless`, \
                 `system_channel_id`, and the PEM certificates `tls_cert`, `ecert`, \
                 `admin_certs`, `ca_root_certs`, `tlsca_root_certs` with the CA names `ca_name`, \
                 `tlsca_name`. Compared with the export on every plan: a node changed on the \
                 console is edited back, a node deleted there is imported again.",
            ),
        pub console_export_json: Tf<String> => |a| a.computed()
            .description(
                "The ordering service as this console's export (download) button writes it: the \
                 list of its nodes' exports (sorted keys, 4-space indent, base64 PEMs). Carries \
                 it on to a further console.",
            ),
    }
}

pub struct OrderingServiceImportResource;

/// The nodes of an ordering service export, as the console UI's import reads them.
fn export_definitions(text: &str) -> Result<Vec<NodeDefinition>, String> {
    let nodes = export_nodes(text)?;
    if nodes.is_empty() {
        return Err("holds no node".to_owned());
    }
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            NodeDefinition::from_export_node(n, NodeKind::Orderer)
                .map_err(|e| format!("node {i} {e}"))
        })
        .collect()
}

/// The one value every node of the export has for a field, `Ok(None)` when none has one, or
/// the values when they disagree.
fn agreed(
    defs: &[NodeDefinition],
    field: impl Fn(&NodeDefinition) -> Option<String>,
) -> Result<Option<String>, Vec<String>> {
    let values: BTreeSet<String> = defs.iter().filter_map(&field).collect();
    match values.len() {
        0 => Ok(None),
        1 => Ok(values.into_iter().next()),
        _ => Err(values.into_iter().collect()),
    }
}

/// athena's id builder without its uniqueness step (docs/dev/console-api.md#peer-and-orderer-records):
/// what the console stores for a cluster id.
pub fn cluster_id_of(given: &str) -> String {
    let mut id: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    if id.is_empty() {
        id = "cluster".to_owned();
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert(0, 'c');
    }
    id.truncate(32);
    id
}

#[async_trait]
impl TypedResource for OrderingServiceImportResource {
    type Model = OrderingServiceImportModel;

    fn type_name(&self) -> &'static str {
        "blockchain_ordering_service_import"
    }

    fn description(&self) -> String {
        "An ordering service that runs elsewhere (run by another organization or another \
         console), imported into this console from its export so that this console's peers can \
         join its channels. The console keeps one record per node, grouped by the cluster id; \
         this resource holds all of them. Every node is compared on refresh: a node changed on \
         the console is edited back, a node deleted there is imported again."
            .to_owned()
    }

    /// The export is read and every node checked before anything is sent.
    fn validate_config(&self, config: &OrderingServiceImportModel, diags: &mut Diagnostics) {
        let at = || attr!(OrderingServiceImportModel, export_json);
        let Some(text) = config.export_json.known() else {
            return;
        };
        let defs = match export_definitions(text) {
            Ok(d) => d,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "Unusable ordering service export",
                        format!("export_json {e}."),
                    )
                    .at(at()),
                );
                return;
            }
        };
        let mut names = BTreeSet::new();
        for (i, d) in defs.iter().enumerate() {
            let mut problems: Vec<String> = d
                .problems()
                .into_iter()
                .map(|(field, problem)| format!("its {field} {problem}"))
                .collect();
            let missing = d.missing();
            if !missing.is_empty() {
                problems.push(format!("it has no {}", missing.join(", ")));
            }
            if let Some(name) = &d.display_name {
                if !names.insert(name.clone()) {
                    problems.push(format!(
                        "its display_name {name:?} is another node's too (a display name names one node on a console)"
                    ));
                }
            }
            for problem in problems {
                diags.push(
                    Diagnostic::error(
                        "Unusable ordering service export",
                        format!("export_json node {i}: {problem}."),
                    )
                    .at(at()),
                );
            }
        }
        if config.cluster_id.is_null() {
            if let Err(ids) = agreed(&defs, |d| d.cluster_id.as_deref().map(cluster_id_of)) {
                diags.push(
                    Diagnostic::error(
                        "Nodes of more than one ordering service",
                        format!(
                            "export_json holds nodes of the clusters {}; a \
                             blockchain_ordering_service_import holds one. Import each \
                             separately, or set cluster_id.",
                            ids.join(", ")
                        ),
                    )
                    .at(at()),
                );
            }
        }
        if config.cluster_name.is_null() {
            match agreed(&defs, |d| d.cluster_name.clone()) {
                Err(names) => {
                    diags.push(
                        Diagnostic::error(
                            "Nodes disagree on the ordering service's name",
                            format!(
                                "export_json names the ordering service {}; set cluster_name.",
                                names.join(", ")
                            ),
                        )
                        .at(attr!(OrderingServiceImportModel, cluster_name)),
                    );
                }
                Ok(None) => {
                    diags.push(
                        Diagnostic::error(
                            "No ordering service name",
                            "export_json gives no cluster_name: set cluster_name.",
                        )
                        .at(attr!(OrderingServiceImportModel, cluster_name)),
                    );
                }
                Ok(Some(_)) => {}
            }
        }
    }

    fn validate_create(
        &self,
        plan: &CreatePlan<'_, OrderingServiceImportModel>,
        diags: &mut Diagnostics,
    ) {
        let purpose = "import the ordering service";
        let p = plan.planned;
        plan.require(
            attr!(OrderingServiceImportModel, cluster_name),
            &p.cluster_name,
            purpose,
            diags,
        );
        plan.require(
            attr!(OrderingServiceImportModel, nodes),
            &p.nodes,
            purpose,
            diags,
        );
    }

    /// The nodes are planned from the export and matched to the records the state holds, so a
    /// node changed or deleted on the console plans its repair.
    async fn modify_plan(
        &self,
        _ctx: &ResourceContext,
        plan: ModelPlan<'_, OrderingServiceImportModel>,
    ) {
        let c = plan.config;
        let prior = plan.prior;
        let p = &mut *plan.planned;
        let defs = match &c.export_json {
            Tf::Known(text) => match export_definitions(text) {
                Ok(d) => Some(d),
                Err(_) => return, // validate_config reported it
            },
            _ => None,
        };
        let Some(defs) = defs else {
            // The export is not known yet: neither is anything it decides.
            p.cluster_name = if c.cluster_name.is_null() {
                Tf::Unknown
            } else {
                c.cluster_name.clone()
            };
            p.cluster_id = if c.cluster_id.is_null() {
                Tf::Unknown
            } else {
                c.cluster_id.clone()
            };
            p.id = p.cluster_id.clone();
            p.nodes = Tf::Unknown;
            p.console_export_json = Tf::Unknown;
            return;
        };
        if c.cluster_name.is_null() {
            p.cluster_name =
                Tf::from_option(agreed(&defs, |d| d.cluster_name.clone()).ok().flatten());
        }
        p.cluster_id = planned_cluster_id(c, prior, &defs, &p.cluster_name);
        p.id = p.cluster_id.clone();
        let mut replacing = false;
        if let (Some(prior), Tf::Known(new)) = (prior, &p.cluster_id) {
            if prior.cluster_id.known() != Some(new) {
                plan.requires_replace
                    .push(attr!(OrderingServiceImportModel, cluster_id));
                replacing = true;
            }
        }
        let kept: &[OrdererNodeModel] = match prior.and_then(|s| s.nodes.known()) {
            Some(nodes) if !replacing => nodes,
            _ => &[],
        };
        let desired = desired_nodes(&defs, &p.cluster_id, &p.cluster_name);
        p.nodes = Tf::Known(
            match_nodes(&desired, kept)
                .iter()
                .map(|(d, id)| node_model(d, id.clone().map(Tf::Known).unwrap_or(Tf::Unknown)))
                .collect(),
        );
        let unchanged = prior.is_some_and(|s| {
            !replacing && s.nodes == p.nodes && s.cluster_name == p.cluster_name && s.tags == p.tags
        });
        p.console_export_json = match prior {
            Some(s) if unchanged => s.console_export_json.clone(),
            _ => Tf::Unknown,
        };
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, OrderingServiceImportModel>,
    ) -> Result<OrderingServiceImportModel, ApplyError<OrderingServiceImportModel>> {
        let console = Clients::console(ctx)?;
        let records = Records::new(ORDERER, &console);
        create_service(&records, &operation(ctx), req.planned, req.private).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, OrderingServiceImportModel>,
    ) -> Result<Option<OrderingServiceImportModel>, Diagnostics> {
        let console = Clients::console(ctx)?;
        let records = Records::new(ORDERER, &console);
        read_service(&records, &req.state, req.private).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, OrderingServiceImportModel>,
    ) -> Result<OrderingServiceImportModel, ApplyError<OrderingServiceImportModel>> {
        let console = Clients::console(ctx)?;
        let records = Records::new(ORDERER, &console);
        update_service(
            &records,
            &operation(ctx),
            req.prior,
            req.planned,
            req.private,
        )
        .await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, OrderingServiceImportModel>,
    ) -> Result<(), Diagnostics> {
        let console = Clients::console(ctx)?;
        let records = Records::new(ORDERER, &console);
        delete_service(&records, &operation(ctx), &req.prior, req.private).await
    }
    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<OrderingServiceImportModel, Diagnostics> {
        let console = Clients::console(ctx)?;
        let records = Records::new(ORDERER, &console);
        let all = records.api.components().await.map_err(|e| {
            Diagnostics::from(ORDERER.console_failure(
                &records.api.console_url(),
                "list",
                "ordering services",
                &e,
            ))
        })?;
        let of_cluster: Vec<&Component> = all
            .iter()
            .filter(|c| c.component_type.as_deref() == Some(ORDERER.component_type))
            .filter(|c| cluster_of(c).as_deref() == Some(id))
            .collect();
        if of_cluster.iter().any(|c| ORDERER.holds(Post::Record, c)) {
            return Ok(with_id(id.to_owned()));
        }
        if !of_cluster.is_empty() {
            return Err(LifecycleError::new(
                format!("Cannot import {}", self.type_name()),
                format!(
                    "The ordering service with cluster id {id:?} was deployed by this console, \
                     not imported into it; manage it with the resource of the deployed type."
                ),
            )
            .into());
        }
        let node = records.import(id, self.type_name()).await?;
        Ok(with_id(cluster_of(&node).unwrap_or(node.id)))
    }
}

/// Imports every node, all or nothing (docs/dev/identity.md#ordering-services).
async fn create_service<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    op: &Operation,
    planned: OrderingServiceImportModel,
    private: &mut Private,
) -> Result<OrderingServiceImportModel, ApplyError<OrderingServiceImportModel>> {
    let desired = apply_nodes(&planned)?;
    let cluster_id = required(
        &planned.cluster_id,
        attr!(OrderingServiceImportModel, cluster_id),
    )?;
    cluster_is_free(records, &cluster_id).await?;
    let tags = planned_tags(&planned);
    let mut created: Vec<Component> = Vec::new();
    for (d, _) in match_nodes(&desired, &[]) {
        let name = d.display_name.clone().unwrap_or_default();
        let body = d.import_body(NodeKind::Orderer, tags.as_deref());
        match records.create(op, &name, &body).await {
            Ok(c) => created.push(records.full_view(c).await),
            Err(CreateFailure::NotReady { component, error }) => {
                created.push(*component);
                return Err(partial(&planned, &created, &[], error));
            }
            Err(CreateFailure::Unconfirmed { id, error }) => {
                private.set(UNCONFIRMED_NODES, vec![id.clone()]);
                let unsure = OrdererNodeModel {
                    id: Tf::Known(id),
                    display_name: Tf::Known(name),
                    ..OrdererNodeModel::default()
                };
                return Err(partial(&planned, &created, &[unsure], error));
            }
            Err(CreateFailure::NotCreated(error)) => {
                // All or nothing: take back the nodes this create made.
                let left = roll_back(records, op, created).await;
                if left.is_empty() {
                    let mut diags = Diagnostics::from(error);
                    diags.push(Diagnostic::warning(
                        "Nothing was imported",
                        "The nodes imported before this one were removed again.",
                    ));
                    return Err(diags.into());
                }
                return Err(partial(&planned, &left, &[], error));
            }
        }
    }
    Ok(applied_state(&planned, &created))
}

/// Every node the state holds, as the console has it now; `None` when none is left.
async fn read_service<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    state: &OrderingServiceImportModel,
    private: &mut Private,
) -> Result<Option<OrderingServiceImportModel>, Diagnostics> {
    let found = match state.nodes.known() {
        Some(nodes) => {
            let unsure: Vec<String> = private.get(UNCONFIRMED_NODES).unwrap_or_default();
            let mut found = Vec::new();
            for node in nodes {
                let Some(id) = node.id.known() else { continue };
                let Some(c) = records.read(id).await? else {
                    continue; // deleted behind Terraform's back: planned again
                };
                // An unconfirmed create is ours only when the id holds our node.
                if unsure.contains(id) && node.display_name.as_str() != Some(&c.display_name) {
                    continue;
                }
                found.push(c);
            }
            found
        }
        None => match state.id.known() {
            Some(id) => discover(records, id).await?,
            None => Vec::new(),
        },
    };
    private.remove(UNCONFIRMED_NODES);
    if found.is_empty() {
        return Ok(None);
    }
    Ok(Some(live_state(state, &found)))
}

/// Removes, edits and imports nodes until the console holds the planned ones.
async fn update_service<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    op: &Operation,
    prior: OrderingServiceImportModel,
    planned: OrderingServiceImportModel,
    private: &mut Private,
) -> Result<OrderingServiceImportModel, ApplyError<OrderingServiceImportModel>> {
    let desired = apply_nodes(&planned)?;
    let cluster_id = required(
        &planned.cluster_id,
        attr!(OrderingServiceImportModel, cluster_id),
    )?;
    let prior_nodes: Vec<OrdererNodeModel> = prior.nodes.known().cloned().unwrap_or_default();
    // A cluster id the export changed during apply: every node is new.
    let moved = prior.cluster_id.known() != Some(&cluster_id);
    if moved {
        cluster_is_free(records, &cluster_id).await?;
    }
    let kept_from: &[OrdererNodeModel] = if moved { &[] } else { &prior_nodes };
    let planned_nodes = match_nodes(&desired, kept_from);
    let keep: BTreeSet<&String> = planned_nodes
        .iter()
        .filter_map(|(_, id)| id.as_ref())
        .collect();
    let unsure: Vec<String> = private.get(UNCONFIRMED_NODES).unwrap_or_default();
    // Nodes no longer wanted, or to be imported anew, go first (their names are free then).
    let mut remaining: Vec<OrdererNodeModel> = Vec::new();
    for node in &prior_nodes {
        let Some(id) = node.id.known() else { continue };
        if keep.contains(id) {
            remaining.push(node.clone());
            continue;
        }
        let removed = records
            .remove(op, id, node.display_name.as_str(), unsure.contains(id))
            .await;
        if let Err(e) = removed {
            let others: Vec<OrdererNodeModel> = prior_nodes
                .iter()
                .filter(|n| n.id.known().is_some_and(|i| keep.contains(i) || i == id))
                .cloned()
                .collect();
            return Err(partial(&prior, &[], &others, e));
        }
    }
    private.remove(UNCONFIRMED_NODES);
    let tags = planned_tags(&planned);
    let rename = changed(&prior.cluster_name, &planned.cluster_name).cloned();
    let mut done: Vec<Component> = Vec::new();
    for (d, id) in &planned_nodes {
        let result = match id {
            Some(id) => {
                let Some(before) = prior_nodes.iter().find(|n| n.id.known() == Some(id)) else {
                    continue;
                };
                let mut fields = d.edit_fields(&node_definition(before), NodeKind::Orderer);
                if let Some(name) = &rename {
                    fields.insert("cluster_name".into(), Json::String(name.clone()));
                }
                let edit = EditComponentRequest {
                    display_name: changed(
                        &before.display_name,
                        &Tf::from_option(d.display_name.clone()),
                    )
                    .cloned(),
                    tags: (prior.tags != planned.tags)
                        .then(|| lifecycle::tags_to_send(&planned.tags, &[], &SYSTEM_TAGS)),
                    fields,
                    ..EditComponentRequest::default()
                };
                records.edit(op, id, &edit).await
            }
            None => {
                let name = d.display_name.clone().unwrap_or_default();
                let body = d.import_body(NodeKind::Orderer, tags.as_deref());
                match records.create(op, &name, &body).await {
                    Ok(c) => Ok(records.full_view(c).await),
                    Err(CreateFailure::NotReady { component, error }) => {
                        done.push(*component);
                        Err(error)
                    }
                    Err(CreateFailure::NotCreated(error)) => Err(error),
                    Err(CreateFailure::Unconfirmed { id, error }) => {
                        private.set(UNCONFIRMED_NODES, vec![id.clone()]);
                        remaining.push(OrdererNodeModel {
                            id: Tf::Known(id),
                            display_name: Tf::Known(name),
                            ..OrdererNodeModel::default()
                        });
                        Err(error)
                    }
                }
            }
        };
        match result {
            Ok(c) => {
                remaining.retain(|n| n.id.known() != Some(&c.id));
                done.push(c);
            }
            Err(e) => return Err(partial(&planned, &done, &remaining, e)),
        }
    }
    Ok(applied_state(&planned, &done))
}

/// Removes every node the state holds (an unconfirmed one only when its id holds it).
async fn delete_service<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    op: &Operation,
    prior: &OrderingServiceImportModel,
    private: &Private,
) -> Result<(), Diagnostics> {
    let unsure: Vec<String> = private.get(UNCONFIRMED_NODES).unwrap_or_default();
    let mut diags = Diagnostics::default();
    for node in prior.nodes.known().into_iter().flatten() {
        let Some(id) = node.id.known() else { continue };
        let removed = records
            .remove(op, id, node.display_name.as_str(), unsure.contains(id))
            .await;
        if let Err(e) = removed {
            diags.extend(Diagnostics::from(e));
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(())
    }
}

fn with_id(id: String) -> OrderingServiceImportModel {
    OrderingServiceImportModel {
        id: Tf::Known(id),
        ..OrderingServiceImportModel::default()
    }
}

/// The `cluster_id` a console record has, if any.
fn cluster_of(c: &Component) -> Option<String> {
    c.extra
        .get("cluster_id")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The planned cluster id: the configuration's, the export's, the state's, else one derived
/// from the cluster name (so a rename alone never moves the service).
fn planned_cluster_id(
    c: &OrderingServiceImportModel,
    prior: Option<&OrderingServiceImportModel>,
    defs: &[NodeDefinition],
    cluster_name: &Tf<String>,
) -> Tf<String> {
    if !c.cluster_id.is_null() {
        return c.cluster_id.clone();
    }
    if let Ok(Some(id)) = agreed(defs, |d| d.cluster_id.as_deref().map(cluster_id_of)) {
        return Tf::Known(id);
    }
    if let Some(id) = prior.and_then(|s| s.cluster_id.known()) {
        return Tf::Known(id.clone());
    }
    match cluster_name {
        Tf::Known(name) => Tf::Known(cluster_id_of(name)),
        Tf::Unknown => Tf::Unknown,
        Tf::Null => Tf::Null,
    }
}

/// The nodes to import: the export's, in the service's cluster.
fn desired_nodes(
    defs: &[NodeDefinition],
    cluster_id: &Tf<String>,
    cluster_name: &Tf<String>,
) -> Vec<NodeDefinition> {
    defs.iter()
        .map(|d| NodeDefinition {
            cluster_id: cluster_id.known().cloned(),
            cluster_name: cluster_name.known().cloned(),
            ..d.clone()
        })
        .collect()
}

/// The nodes an apply imports, from the planned export (known at apply).
fn apply_nodes(planned: &OrderingServiceImportModel) -> Result<Vec<NodeDefinition>, Diagnostics> {
    let text = required(
        &planned.export_json,
        attr!(OrderingServiceImportModel, export_json),
    )?;
    let defs = export_definitions(&text).map_err(|e| {
        Diagnostics::from(
            Diagnostic::error(
                "Unusable ordering service export",
                format!("export_json {e}."),
            )
            .at(attr!(OrderingServiceImportModel, export_json)),
        )
    })?;
    Ok(desired_nodes(
        &defs,
        &planned.cluster_id,
        &planned.cluster_name,
    ))
}

/// Each wanted node with the id of the record it keeps (`None`: imported anew), in the order
/// the state lists them: kept nodes in the state's order, then new ones in the export's.
/// A wanted node keeps the record with its display name, else the one with its `api_url`,
/// unless the change is one no edit can express.
fn match_nodes(
    desired: &[NodeDefinition],
    prior: &[OrdererNodeModel],
) -> Vec<(NodeDefinition, Option<String>)> {
    let prior_defs: Vec<NodeDefinition> = prior.iter().map(node_definition).collect();
    let mut taken = vec![false; prior.len()];
    let mut matched: Vec<Option<usize>> = vec![None; desired.len()];
    let keys: [fn(&NodeDefinition) -> &Option<String>; 2] = [|d| &d.display_name, |d| &d.api_url];
    for key in keys {
        for (i, d) in desired.iter().enumerate() {
            if matched[i].is_some() || key(d).is_none() {
                continue;
            }
            let found = (0..prior.len()).find(|&j| !taken[j] && key(&prior_defs[j]) == key(d));
            if let Some(j) = found {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }
    }
    let mut kept: Vec<(usize, NodeDefinition, String)> = Vec::new();
    let mut new: Vec<(NodeDefinition, Option<String>)> = Vec::new();
    for (i, d) in desired.iter().enumerate() {
        let keeps = matched[i].filter(|&j| d.unremovable(&prior_defs[j]).is_empty());
        match keeps.and_then(|j| prior[j].id.known().map(|id| (j, id.clone()))) {
            Some((j, id)) => kept.push((j, d.clone(), id)),
            None => new.push((d.clone(), None)),
        }
    }
    kept.sort_by_key(|(j, _, _)| *j);
    kept.into_iter()
        .map(|(_, d, id)| (d, Some(id)))
        .chain(new)
        .collect()
}

/// The state's model of a node.
fn node_model(d: &NodeDefinition, id: Tf<String>) -> OrdererNodeModel {
    let text = |v: &Option<String>| Tf::from_option(v.clone());
    OrdererNodeModel {
        id,
        display_name: text(&d.display_name),
        msp_id: text(&d.msp_id),
        api_url: text(&d.api_url),
        grpcwp_url: text(&d.grpcwp_url),
        operations_url: text(&d.operations_url),
        osnadmin_url: text(&d.osnadmin_url),
        location: Tf::Known(d.location.clone().unwrap_or_else(|| NO_LOCATION.to_owned())),
        tls_cert: text(&d.tls_cert),
        ecert: text(&d.ecert),
        admin_certs: Tf::Known(d.admin_certs.clone()),
        ca_name: text(&d.ca_name),
        ca_root_certs: Tf::Known(d.ca_root_certs.clone()),
        tlsca_name: text(&d.tlsca_name),
        tlsca_root_certs: Tf::Known(d.tlsca_root_certs.clone()),
        systemless: Tf::Known(d.systemless.unwrap_or(false)),
        system_channel_id: Tf::Known(d.system_channel_id.clone().unwrap_or_default()),
    }
}

/// The node a state's model describes (certificates in canonical PEM).
fn node_definition(m: &OrdererNodeModel) -> NodeDefinition {
    let text = |t: &Tf<String>| t.known().cloned();
    let pem = |c: &String| msp_certificate(c).unwrap_or_else(|_| canonical_pem(c));
    let certs = |t: &Tf<Vec<String>>| t.known().into_iter().flatten().map(pem).collect();
    NodeDefinition {
        display_name: text(&m.display_name),
        msp_id: text(&m.msp_id),
        api_url: text(&m.api_url),
        grpcwp_url: text(&m.grpcwp_url),
        operations_url: text(&m.operations_url),
        osnadmin_url: text(&m.osnadmin_url),
        location: text(&m.location),
        tls_cert: m.tls_cert.known().map(pem),
        ecert: m.ecert.known().map(pem),
        admin_certs: certs(&m.admin_certs),
        ca_name: text(&m.ca_name),
        ca_root_certs: certs(&m.ca_root_certs),
        tlsca_name: text(&m.tlsca_name),
        tlsca_root_certs: certs(&m.tlsca_root_certs),
        systemless: m.systemless.known().copied(),
        system_channel_id: text(&m.system_channel_id),
        ..NodeDefinition::default()
    }
}

fn planned_tags(planned: &OrderingServiceImportModel) -> Option<Vec<String>> {
    planned.tags.known().map(|t| t.iter().cloned().collect())
}

/// The identity rule for a whole service (docs/dev/identity.md#ordering-services): no import
/// into a cluster id that orderers on this console already have.
async fn cluster_is_free<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    cluster_id: &str,
) -> Result<(), Diagnostics> {
    let url = records.api.console_url();
    let all = records.api.components().await.map_err(|e| {
        Diagnostics::from(ORDERER.console_failure(
            &url,
            "create",
            &format!("cluster {cluster_id:?}"),
            &e,
        ))
    })?;
    let holders: Vec<&str> = all
        .iter()
        .filter(|c| c.component_type.as_deref() == Some(ORDERER.component_type))
        .filter(|c| cluster_of(c).as_deref() == Some(cluster_id))
        .map(|c| c.id.as_str())
        .collect();
    if holders.is_empty() {
        return Ok(());
    }
    Err(LifecycleError::new(
        format!("An ordering service with cluster id {cluster_id:?} already exists"),
        format!(
            "The console {url} already has orderers with cluster id {cluster_id:?} ({}), and no \
             resource of this Terraform state holds them. To manage them, import the service: \
             `terraform import <resource address> {cluster_id}`, or an `import {{ id = \
             \"{cluster_id}\" }}` block. To import another one, give this resource a different \
             cluster_id. Nothing was imported.",
            holders.join(", ")
        ),
    )
    .into())
}

/// Removes the nodes a failed create made; returns those still there.
async fn roll_back<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    op: &Operation,
    created: Vec<Component>,
) -> Vec<Component> {
    let mut left = Vec::new();
    for c in created {
        if let Err(e) = records
            .remove(op, &c.id, Some(&c.display_name), false)
            .await
        {
            tracing::warn!(id = %c.id, "could not take back an imported node: {}", e.detail);
            left.push(c);
        }
    }
    left
}

/// The error of an apply that stopped halfway, with a state holding every node that exists
/// (`done` as the console answered, `others` as last known), so nothing is orphaned.
fn partial(
    base: &OrderingServiceImportModel,
    done: &[Component],
    others: &[OrdererNodeModel],
    error: LifecycleError,
) -> ApplyError<OrderingServiceImportModel> {
    let mut state = if done.is_empty() {
        OrderingServiceImportModel {
            nodes: Tf::Known(Vec::new()),
            console_export_json: Tf::Null,
            ..base.clone()
        }
    } else {
        live_state(base, done)
    };
    let mut nodes = state.nodes.known().cloned().unwrap_or_default();
    nodes.extend(others.iter().cloned());
    state.nodes = Tf::Known(nodes);
    state.id = base.cluster_id.clone();
    state.cluster_id = base.cluster_id.clone();
    ApplyError::partial(Diagnostics::from(error), state)
}

/// The records of the service `id` names: the imported orderers with that cluster id, else
/// the one imported orderer with that component id (a node of no cluster).
async fn discover<A: ComponentApi + ?Sized>(
    records: &Records<'_, A>,
    id: &str,
) -> Result<Vec<Component>, Diagnostics> {
    let all = records.api.components().await.map_err(|e| {
        Diagnostics::from(ORDERER.console_failure(
            &records.api.console_url(),
            "read",
            &format!("{id:?}"),
            &e,
        ))
    })?;
    let ours = |c: &&Component| ORDERER.holds(Post::Record, c);
    let mut ids: Vec<&str> = all
        .iter()
        .filter(ours)
        .filter(|c| cluster_of(c).as_deref() == Some(id))
        .map(|c| c.id.as_str())
        .collect();
    if ids.is_empty() {
        ids = all
            .iter()
            .filter(ours)
            .filter(|c| c.id == id)
            .map(|c| c.id.as_str())
            .collect();
    }
    // The list shows no `ecert` or `admin_certs`; the refresh's view of each record does
    // (docs/dev/console-api.md#views-per-call).
    let mut found = Vec::new();
    for node in ids {
        if let Some(c) = records.read(node).await? {
            found.push(c);
        }
    }
    Ok(found)
}

/// The one value all nodes share, else the first that differs from what the state held (so
/// a plan sees the difference and edits every node).
fn shared<T: PartialEq + Clone>(values: &[T], held: &T) -> Option<T> {
    let first = values.first()?;
    if values.iter().all(|v| v == first) {
        return Some(first.clone());
    }
    values.iter().find(|v| *v != held).cloned()
}

/// State after create/update: the planned values where known, the console's for the rest.
fn applied_state(
    planned: &OrderingServiceImportModel,
    nodes: &[Component],
) -> OrderingServiceImportModel {
    lifecycle::keep_planned(planned, live_state(planned, nodes))
}

/// State from the console's records, in the order given. `base` (plan or prior state)
/// supplies the input the console does not keep (`export_json`) and what the state held.
fn live_state(
    base: &OrderingServiceImportModel,
    nodes: &[Component],
) -> OrderingServiceImportModel {
    let docs: Vec<Json> = nodes
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_else(|_| Json::Object(Map::new())))
        .collect();
    let defs: Vec<NodeDefinition> = docs.iter().map(NodeDefinition::from_record).collect();
    let models: Vec<OrdererNodeModel> = defs
        .iter()
        .zip(nodes)
        .map(|(d, c)| node_model(d, Tf::Known(c.id.clone())))
        .collect();
    let cluster_ids: Vec<Tf<String>> = defs
        .iter()
        .map(|d| Tf::from_option(d.cluster_id.clone()))
        .collect();
    let names: Vec<Tf<String>> = defs
        .iter()
        .map(|d| Tf::from_option(d.cluster_name.clone()))
        .collect();
    let tags: Vec<Tf<BTreeSet<String>>> = nodes
        .iter()
        .map(|c| lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS))
        .collect();
    let cluster_id = shared(&cluster_ids, &base.cluster_id).unwrap_or_default();
    let id = match &cluster_id {
        Tf::Known(id) => Tf::Known(id.clone()),
        _ => nodes
            .first()
            .map(|c| Tf::Known(c.id.clone()))
            .unwrap_or_default(),
    };
    OrderingServiceImportModel {
        id,
        export_json: base.export_json.clone(),
        cluster_name: shared(&names, &base.cluster_name).unwrap_or_default(),
        cluster_id,
        tags: shared(&tags, &base.tags).unwrap_or_default(),
        nodes: Tf::Known(models),
        console_export_json: Tf::Known(export_nodes_json(&docs, DEFAULT_PLATFORM)),
    }
}

#[cfg(test)]
mod tests;
