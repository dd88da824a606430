//! `blockchain_msp_import`: another organization's MSP definition, imported into this console
//! as a record (POST /components/msp), from that console's MSP export or from explicit fields.
//!
//! The definition is what the console stores: `msp_id`, the identity and TLS roots and
//! intermediates, the admin certificates, the NodeOU settings and `host_url`
//! (docs/dev/console-api.md#msp-records). Every stored field is compared on read, so an edit on
//! the console shows as drift and the next apply edits it back in place
//! (PUT /components/msp/{id}; `msp_id` too: it is editable on an imported MSP).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::clients::Clients;
use crate::console::{Component, EditComponentRequest};
use crate::framework::{
    validators, ApplyError, AttributePath, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TfValue, TypedResource,
    UpdateRequest,
};
use crate::resources::export::export_msp_json;
use crate::resources::lifecycle::{self, changed, required, CreateFailure, Naming, Operation};
use crate::resources::pem::{console_b64, msp_certificate};
use crate::resources::records::{Records, RECORD_LIMIT, RECORD_TIMEOUT};
use crate::resources::semantic::{same_certificates, same_json};
use crate::{attr, tf_model};

/// The console's own tag on every MSP record (docs/dev/console-api.md#tags).
const SYSTEM_TAGS: [&str; 1] = ["msp"];
/// athena's `invalid_msp_id` rule (validation-regex.json), as a whitelist.
pub const MSP_ID_PATTERN: &str = r"^[A-Za-z0-9.-]+$";

const MSP: Naming = Naming {
    component_type: "msp",
    noun: "MSP",
    id_prefix: "msp",
};

tf_model! {
    /// The state of one `blockchain_msp_import`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MspImportModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Console component id of the MSP record, derived by the console from `display_name`. Used for import."),
        pub export_json: Tf<String> => |a| a.optional()
            .description(
                "The MSP as another console exports it: the `export_json` of a `blockchain_msp`, or \
                 the file the console's MSP export (download) button writes. Its fields are the \
                 defaults of every attribute below; an attribute set here overrides its field.",
            ),
        pub display_name: Tf<String> => |a| a.optional().computed()
            .description("Name shown on the console tile (at most 64 characters). Defaults to the export's. Edited in place.")
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches(
                "[A-Za-z0-9]",
                "must contain an ASCII letter or digit: the console derives the component id from them",
            )),
        pub msp_id: Tf<String> => |a| a.optional().computed()
            .description("The organization's MSP id (letters, digits, `-` and `.`). Defaults to the export's. Edited in place.")
            .validate(validators::length_between(1, 250))
            .validate(validators::regex_matches(MSP_ID_PATTERN, "may contain only letters, digits, '-' and '.'")),
        pub root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the organization's identities (the enrollment CA's roots). Defaults to the export's; at least one is needed."),
        pub intermediate_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM intermediate CA certificates of the organization's identities. Defaults to the export's, else none."),
        pub admins: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM certificates of the organization's administrators. Defaults to the export's, else none."),
        pub tls_root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the organization's TLS CA. Defaults to the export's, else none."),
        pub tls_intermediate_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM intermediate certificates of the organization's TLS CA. Defaults to the export's, else none."),
        pub fabric_node_ous: Tf<String> => |a| a.optional().computed()
            .semantic_equality_fn("same JSON", same_json)
            .description("The MSP's NodeOU settings as JSON, as the console stores them (`enable`, `client_ou_identifier`, `peer_ou_identifier`, `admin_ou_identifier`, `orderer_ou_identifier`). Defaults to the export's, else none."),
        pub host_url: Tf<String> => |a| a.optional().computed()
            .description("URL of the console the MSP comes from (the console records it for signature collection). Defaults to the export's, else none.")
            .validate(validators::url_with_scheme(&["http", "https"])),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional()
            .description("Console tags (lowercase). The console's own `msp` tag is not listed here.")
            .validate(validators::each_string(validators::lowercase()))
            .validate(validators::each_string(validators::length_between(1, 32))),
        pub console_export_json: Tf<String> => |a| a.computed()
            .description(
                "The record as this console's MSP export (download) button writes it: sorted keys, \
                 4-space indent, base64 PEMs. Carries the MSP on to a further console.",
            ),
    }
}

/// The definition an MSP record holds (certificates as canonical PEM text).
#[derive(Debug, Clone, Default, PartialEq)]
struct MspDefinition {
    display_name: Option<String>,
    msp_id: Option<String>,
    root_certs: Vec<String>,
    intermediate_certs: Vec<String>,
    admins: Vec<String>,
    tls_root_certs: Vec<String>,
    tls_intermediate_certs: Vec<String>,
    fabric_node_ous: Option<String>,
    host_url: Option<String>,
}

/// The certificate lists of a definition: the console's field name and the model's attribute.
const CERT_LISTS: [&str; 5] = [
    "root_certs",
    "intermediate_certs",
    "admins",
    "tls_root_certs",
    "tls_intermediate_certs",
];

impl MspDefinition {
    fn certs_mut(&mut self, field: &str) -> Option<&mut Vec<String>> {
        match field {
            "root_certs" => Some(&mut self.root_certs),
            "intermediate_certs" => Some(&mut self.intermediate_certs),
            "admins" => Some(&mut self.admins),
            "tls_root_certs" => Some(&mut self.tls_root_certs),
            "tls_intermediate_certs" => Some(&mut self.tls_intermediate_certs),
            _ => None,
        }
    }

    /// From a console document or an export of one. `strict`: a certificate that is not a
    /// usable X.509 v3 PEM is an error (an export); otherwise it is kept as given (what the
    /// console holds must show as it is).
    fn from_doc(doc: &Map<String, Json>, strict: bool) -> Result<Self, String> {
        let text = |k: &str| doc.get(k).and_then(Json::as_str).map(str::to_owned);
        let mut d = MspDefinition {
            display_name: text("display_name").or_else(|| text("name")),
            msp_id: text("msp_id"),
            fabric_node_ous: doc
                .get("fabric_node_ous")
                .filter(|v| !v.is_null())
                .map(Json::to_string),
            host_url: text("host_url"),
            ..Default::default()
        };
        for field in CERT_LISTS {
            let Some(value) = doc.get(field).filter(|v| !v.is_null()) else {
                continue;
            };
            let Some(items) = value.as_array() else {
                return Err(format!("`{field}` is not a list of certificates"));
            };
            let mut certs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let given = item.as_str().unwrap_or_default();
                match msp_certificate(given) {
                    Ok(pem) => certs.push(pem),
                    Err(e) if strict => return Err(format!("`{field}[{i}]` {e}")),
                    Err(_) => certs.push(crate::resources::pem::pem_text(given)),
                }
            }
            if let Some(slot) = d.certs_mut(field) {
                *slot = certs;
            }
        }
        Ok(d)
    }

    /// An MSP export (JSON text), checked: an object of type `msp` (when it says) with usable
    /// certificates.
    fn from_export(text: &str) -> Result<Self, String> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
        let Some(doc) = json.as_object() else {
            return Err("is not a JSON object".to_owned());
        };
        match doc.get("type").and_then(Json::as_str) {
            None | Some("msp") | Some("msp-external") => {}
            Some(other) => {
                return Err(format!(
                    "is the export of a {other}, not of an MSP (its `type` is {other:?})"
                ))
            }
        }
        Self::from_doc(doc, true)
    }
}

/// The planned value of one field: the configuration's, else the export's (unknown while the
/// export is), else `default`.
fn pick<T: Clone>(
    config: &Tf<T>,
    export: Option<&Tf<MspDefinition>>,
    from: impl Fn(&MspDefinition) -> Option<T>,
    default: Tf<T>,
) -> Tf<T> {
    match config {
        Tf::Known(_) | Tf::Unknown => config.clone(),
        Tf::Null => match export {
            Some(Tf::Unknown) => Tf::Unknown,
            Some(Tf::Known(d)) => from(d).map(Tf::Known).unwrap_or(default),
            _ => default,
        },
    }
}

pub struct MspImportResource;

fn operation(ctx: &ResourceContext) -> Operation {
    Operation::new(RECORD_TIMEOUT, RECORD_LIMIT, ctx.cancelled())
}

#[async_trait]
impl TypedResource for MspImportResource {
    type Model = MspImportModel;

    fn type_name(&self) -> &'static str {
        "blockchain_msp_import"
    }

    fn description(&self) -> String {
        "Another organization's MSP definition, imported into this console (for example region \
         1's organization MSP in region 2's console): from that console's MSP export, or from \
         explicit fields. The console keeps it as a record; nothing is deployed. Every stored \
         field is compared on refresh and edited back in place when it drifts."
            .to_owned()
    }

    /// The export and every certificate given are checked before anything is sent.
    fn validate_config(&self, config: &MspImportModel, diags: &mut Diagnostics) {
        if let Some(text) = config.export_json.known() {
            if let Err(e) = MspDefinition::from_export(text) {
                diags.push(
                    Diagnostic::error("Unusable MSP export", format!("export_json {e}."))
                        .at(attr!(MspImportModel, export_json)),
                );
            }
        }
        let lists = [
            (attr!(MspImportModel, root_certs), &config.root_certs),
            (
                attr!(MspImportModel, intermediate_certs),
                &config.intermediate_certs,
            ),
            (attr!(MspImportModel, admins), &config.admins),
            (
                attr!(MspImportModel, tls_root_certs),
                &config.tls_root_certs,
            ),
            (
                attr!(MspImportModel, tls_intermediate_certs),
                &config.tls_intermediate_certs,
            ),
        ];
        for (path, certs) in lists {
            check_certificates(path, certs, diags);
        }
        if config.root_certs.known().is_some_and(Vec::is_empty) {
            diags.push(
                Diagnostic::error(
                    "No root certificate",
                    "An MSP needs at least one root certificate (the console refuses an empty list).",
                )
                .at(attr!(MspImportModel, root_certs)),
            );
        }
        if let Some(ous) = config.fabric_node_ous.known() {
            if !serde_json::from_str::<Json>(ous).is_ok_and(|j| j.is_object()) {
                diags.push(
                    Diagnostic::error(
                        "Invalid NodeOU settings",
                        "fabric_node_ous must be a JSON object, e.g. jsonencode({ enable = true, ... }).",
                    )
                    .at(attr!(MspImportModel, fabric_node_ous)),
                );
            }
        }
        if config.export_json.is_null() && config.display_name.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing MSP definition",
                    "Set export_json (another console's MSP export), or give the MSP's fields: \
                     display_name, msp_id and root_certs at least.",
                )
                .at(attr!(MspImportModel, display_name)),
            );
        }
    }

    /// What the MSP needs to be imported, from the configuration or the export.
    fn validate_create(&self, plan: &CreatePlan<'_, MspImportModel>, diags: &mut Diagnostics) {
        let purpose = "import the MSP (set it, or give export_json)";
        let p = plan.planned;
        plan.require(
            attr!(MspImportModel, display_name),
            &p.display_name,
            purpose,
            diags,
        );
        plan.require(attr!(MspImportModel, msp_id), &p.msp_id, purpose, diags);
        if let Some(roots) = plan.require(
            attr!(MspImportModel, root_certs),
            &p.root_certs,
            purpose,
            diags,
        ) {
            if roots.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "No root certificate",
                        "The MSP export has no root_certs; an MSP needs at least one.",
                    )
                    .at(attr!(MspImportModel, root_certs)),
                );
            }
        }
    }

    /// Every stored field is planned as the configuration and the export want it, so a record
    /// edited on the console plans an edit back.
    async fn modify_plan(&self, _ctx: &ResourceContext, plan: ModelPlan<'_, MspImportModel>) {
        let c = plan.config;
        let export = match &c.export_json {
            Tf::Known(text) => match MspDefinition::from_export(text) {
                Ok(d) => Some(Tf::Known(d)),
                Err(_) => return, // validate_config reported it
            },
            Tf::Unknown => Some(Tf::Unknown),
            Tf::Null => None,
        };
        let export = export.as_ref();
        let none = || Tf::Known(Vec::new());
        let p = &mut *plan.planned;
        p.display_name = pick(
            &c.display_name,
            export,
            |d| d.display_name.clone(),
            Tf::Null,
        );
        p.msp_id = pick(&c.msp_id, export, |d| d.msp_id.clone(), Tf::Null);
        p.root_certs = pick(
            &c.root_certs,
            export,
            |d| Some(d.root_certs.clone()),
            none(),
        );
        p.intermediate_certs = pick(
            &c.intermediate_certs,
            export,
            |d| Some(d.intermediate_certs.clone()),
            none(),
        );
        p.admins = pick(&c.admins, export, |d| Some(d.admins.clone()), none());
        p.tls_root_certs = pick(
            &c.tls_root_certs,
            export,
            |d| Some(d.tls_root_certs.clone()),
            none(),
        );
        p.tls_intermediate_certs = pick(
            &c.tls_intermediate_certs,
            export,
            |d| Some(d.tls_intermediate_certs.clone()),
            none(),
        );
        p.fabric_node_ous = pick(
            &c.fabric_node_ous,
            export,
            |d| d.fabric_node_ous.clone(),
            Tf::Null,
        );
        p.host_url = pick(&c.host_url, export, |d| d.host_url.clone(), Tf::Null);
        // Kept values equal in meaning stay as the state spells them (no spurious diff).
        if let Some(prior) = plan.prior {
            keep_equal_certificates(prior, p);
            if p.fabric_node_ous != prior.fabric_node_ous
                && same_json(&p.fabric_node_ous.to_tf(), &prior.fabric_node_ous.to_tf())
            {
                p.fabric_node_ous = prior.fabric_node_ous.clone();
            }
            let unchanged = *p
                == MspImportModel {
                    console_export_json: p.console_export_json.clone(),
                    export_json: p.export_json.clone(),
                    ..prior.clone()
                };
            if unchanged && p.console_export_json.is_unknown() {
                p.console_export_json = prior.console_export_json.clone();
            }
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, MspImportModel>,
    ) -> Result<MspImportModel, ApplyError<MspImportModel>> {
        let console = Clients::console(ctx)?;
        let CreateRequest {
            planned, private, ..
        } = req;
        let display_name = required(&planned.display_name, attr!(MspImportModel, display_name))?;
        let body = import_body(&planned);
        let records = Records::new(MSP, &console);
        match records.create(&operation(ctx), &display_name, &body).await {
            Ok(c) => Ok(applied_state(&planned, &c)),
            Err(CreateFailure::Unconfirmed { id, error }) => {
                lifecycle::mark_unconfirmed(private);
                let partial = MspImportModel {
                    id: Tf::Known(id),
                    display_name: planned.display_name.clone(),
                    ..MspImportModel::default()
                };
                Err(ApplyError::partial(Diagnostics::from(error), partial))
            }
            Err(CreateFailure::NotCreated(e)) => Err(Diagnostics::from(e).into()),
            Err(CreateFailure::NotReady { component, error }) => Err(ApplyError::partial(
                Diagnostics::from(error),
                applied_state(&planned, &component),
            )),
        }
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, MspImportModel>,
    ) -> Result<Option<MspImportModel>, Diagnostics> {
        let console = Clients::console(ctx)?;
        let Some(id) = req.state.id.known() else {
            return Ok(None);
        };
        let found = Records::new(MSP, &console).read(id).await?;
        lifecycle::confirm(req.private);
        Ok(found.map(|c| live_state(&req.state, &c)))
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, MspImportModel>,
    ) -> Result<MspImportModel, ApplyError<MspImportModel>> {
        let console = Clients::console(ctx)?;
        let UpdateRequest { prior, planned, .. } = req;
        let id = required(&prior.id, attr!(MspImportModel, id))?;
        let edit = record_edit(&prior, &planned);
        let current = Records::new(MSP, &console)
            .edit(&operation(ctx), &id, &edit)
            .await
            .map_err(Diagnostics::from)?;
        Ok(applied_state(&planned, &current))
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, MspImportModel>,
    ) -> Result<(), Diagnostics> {
        let console = Clients::console(ctx)?;
        let Some(id) = req.prior.id.known() else {
            return Ok(());
        };
        let unconfirmed = lifecycle::is_unconfirmed(req.private);
        Records::new(MSP, &console)
            .remove(
                &operation(ctx),
                id,
                req.prior.display_name.as_str(),
                unconfirmed,
            )
            .await
            .map_err(Diagnostics::from)
    }

    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<MspImportModel, Diagnostics> {
        let console = Clients::console(ctx)?;
        let c = Records::new(MSP, &console)
            .import(id, self.type_name())
            .await?;
        Ok(MspImportModel {
            id: Tf::Known(c.id),
            ..MspImportModel::default()
        })
    }
}

/// Errors at `path[i]` for each given certificate that is not a usable X.509 v3 PEM.
fn check_certificates(path: AttributePath, certs: &Tf<Vec<String>>, diags: &mut Diagnostics) {
    for (i, cert) in certs.known().into_iter().flatten().enumerate() {
        if let Err(e) = msp_certificate(cert) {
            let at = path.clone().index(i64::try_from(i).unwrap_or(i64::MAX));
            diags.push(Diagnostic::error("Unusable certificate", format!("{at} {e}.")).at(at));
        }
    }
}

/// Planned certificate lists equal in meaning to the prior state's take the state's spelling.
fn keep_equal_certificates(prior: &MspImportModel, p: &mut MspImportModel) {
    let pairs = [
        (&prior.root_certs, &mut p.root_certs),
        (&prior.intermediate_certs, &mut p.intermediate_certs),
        (&prior.admins, &mut p.admins),
        (&prior.tls_root_certs, &mut p.tls_root_certs),
        (&prior.tls_intermediate_certs, &mut p.tls_intermediate_certs),
    ];
    for (kept, planned) in pairs {
        if planned.is_known()
            && kept.is_known()
            && same_certificates(&kept.to_tf(), &planned.to_tf())
        {
            *planned = kept.clone();
        }
    }
}

/// The console's form of a certificate list.
fn console_certs(certs: &Tf<Vec<String>>) -> Vec<Json> {
    certs
        .known()
        .into_iter()
        .flatten()
        .map(|pem| {
            Json::String(console_b64(
                &msp_certificate(pem).unwrap_or_else(|_| pem.clone()),
            ))
        })
        .collect()
}

/// The record fields of `m` that an import or an edit sends; `only` limits them to those
/// named (an edit sends what changed).
fn record_fields(m: &MspImportModel, include: impl Fn(&str) -> bool) -> Map<String, Json> {
    let mut out = Map::new();
    if include("msp_id") {
        if let Some(id) = m.msp_id.known() {
            out.insert("msp_id".into(), Json::String(id.clone()));
        }
    }
    let lists = [
        ("root_certs", &m.root_certs),
        ("intermediate_certs", &m.intermediate_certs),
        ("admins", &m.admins),
        ("tls_root_certs", &m.tls_root_certs),
        ("tls_intermediate_certs", &m.tls_intermediate_certs),
    ];
    for (field, certs) in lists {
        if include(field) {
            out.insert(field.into(), Json::Array(console_certs(certs)));
        }
    }
    if include("fabric_node_ous") {
        let ous = m
            .fabric_node_ous
            .known()
            .and_then(|s| serde_json::from_str::<Json>(s).ok())
            .unwrap_or(Json::Null);
        out.insert("fabric_node_ous".into(), ous);
    }
    if include("host_url") {
        let url = m
            .host_url
            .known()
            .cloned()
            .map(Json::String)
            .unwrap_or(Json::Null);
        out.insert("host_url".into(), url);
    }
    out
}

/// POST /components/msp: what apollo's MSP import sends (`MspRestApi.importMSP`), without the
/// fields it would leave undefined (empty lists, no NodeOUs, no host URL) and with the tags.
fn import_body(planned: &MspImportModel) -> Json {
    let mut body = record_fields(planned, |_| true);
    body.retain(|k, v| match v {
        Json::Null => false,
        Json::Array(a) => k == "root_certs" || !a.is_empty(),
        _ => true,
    });
    body.insert(
        "display_name".into(),
        Json::String(planned.display_name.known().cloned().unwrap_or_default()),
    );
    if let Some(tags) = planned.tags.known() {
        body.insert("tags".into(), serde_json::json!(tags));
    }
    Json::Object(body)
}

/// The edit a plan needs: each stored field whose planned value differs from the state.
fn record_edit(prior: &MspImportModel, planned: &MspImportModel) -> EditComponentRequest {
    let differs = |field: &str| -> bool {
        match field {
            "msp_id" => changed(&prior.msp_id, &planned.msp_id).is_some(),
            "root_certs" => prior.root_certs != planned.root_certs,
            "intermediate_certs" => prior.intermediate_certs != planned.intermediate_certs,
            "admins" => prior.admins != planned.admins,
            "tls_root_certs" => prior.tls_root_certs != planned.tls_root_certs,
            "tls_intermediate_certs" => {
                prior.tls_intermediate_certs != planned.tls_intermediate_certs
            }
            "fabric_node_ous" => prior.fabric_node_ous != planned.fabric_node_ous,
            "host_url" => prior.host_url != planned.host_url,
            _ => false,
        }
    };
    EditComponentRequest {
        display_name: changed(&prior.display_name, &planned.display_name).cloned(),
        tags: (prior.tags != planned.tags)
            .then(|| lifecycle::tags_to_send(&planned.tags, &[], &SYSTEM_TAGS)),
        fields: record_fields(planned, differs),
        ..EditComponentRequest::default()
    }
}

/// State after create/update: the planned values where known, the console's for the rest.
fn applied_state(planned: &MspImportModel, c: &Component) -> MspImportModel {
    lifecycle::keep_planned(planned, live_state(planned, c))
}

/// State from the console's record. `base` (plan or prior state) supplies the input the
/// console does not keep (`export_json`) and whether the user manages tags at all.
fn live_state(base: &MspImportModel, c: &Component) -> MspImportModel {
    let doc = serde_json::to_value(c).unwrap_or_default();
    let d = doc
        .as_object()
        .map(|o| MspDefinition::from_doc(o, false).unwrap_or_default())
        .unwrap_or_default();
    MspImportModel {
        id: Tf::Known(c.id.clone()),
        export_json: base.export_json.clone(),
        display_name: Tf::Known(c.display_name.clone()),
        msp_id: Tf::from_option(c.msp_id.clone()),
        root_certs: Tf::Known(d.root_certs),
        intermediate_certs: Tf::Known(d.intermediate_certs),
        admins: Tf::Known(d.admins),
        tls_root_certs: Tf::Known(d.tls_root_certs),
        tls_intermediate_certs: Tf::Known(d.tls_intermediate_certs),
        fabric_node_ous: Tf::from_option(d.fabric_node_ous),
        host_url: Tf::from_option(d.host_url),
        tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
        console_export_json: Tf::Known(export_msp_json(&doc)),
    }
}

#[cfg(test)]
mod tests;
