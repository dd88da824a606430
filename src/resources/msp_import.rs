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
use serde_json::Value as Json;

use crate::console::Component;
use crate::framework::{
    validators, ApplyError, AttributePath, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TfValue, TypedResource,
    UpdateRequest,
};
use crate::resources::export::export_msp_json;
use crate::resources::lifecycle::{self, check_certificates, pick};
use crate::resources::msp_definition::{
    self, MspDefinition, MspRecord, MSP_ID_PATTERN, SYSTEM_TAGS,
};
use crate::resources::records::{self, record_model};
use crate::resources::semantic::{same_certificates, same_json};
use crate::{attr, tf_model};

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

pub struct MspImportResource;

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
        for (field, certs) in config.cert_lists() {
            check_certificates(AttributePath::attribute(field), certs, diags);
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
            p.console_export_json =
                lifecycle::export_unless_changed(unchanged, &prior.console_export_json);
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, MspImportModel>,
    ) -> Result<MspImportModel, ApplyError<MspImportModel>> {
        records::create(ctx, &req.planned, req.private).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, MspImportModel>,
    ) -> Result<Option<MspImportModel>, Diagnostics> {
        records::read(ctx, &req.state, req.private).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, MspImportModel>,
    ) -> Result<MspImportModel, ApplyError<MspImportModel>> {
        records::update(ctx, &req.prior, &req.planned).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, MspImportModel>,
    ) -> Result<(), Diagnostics> {
        records::delete(ctx, &req.prior, req.private).await
    }

    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<MspImportModel, Diagnostics> {
        records::import(ctx, id, self.type_name()).await
    }
}

impl MspImportModel {
    /// The certificate lists, by the console's field names.
    fn cert_lists(&self) -> [(&'static str, &Tf<Vec<String>>); 5] {
        [
            ("root_certs", &self.root_certs),
            ("intermediate_certs", &self.intermediate_certs),
            ("admins", &self.admins),
            ("tls_root_certs", &self.tls_root_certs),
            ("tls_intermediate_certs", &self.tls_intermediate_certs),
        ]
    }
}

/// Planned certificate lists equal in meaning to the prior state's take the state's spelling.
fn keep_equal_certificates(prior: &MspImportModel, p: &mut MspImportModel) {
    lifecycle::keep_equal_certificates([
        (&prior.root_certs, &mut p.root_certs),
        (&prior.intermediate_certs, &mut p.intermediate_certs),
        (&prior.admins, &mut p.admins),
        (&prior.tls_root_certs, &mut p.tls_root_certs),
        (&prior.tls_intermediate_certs, &mut p.tls_intermediate_certs),
    ]);
}

record_model!(MspImportModel);

impl MspRecord for MspImportModel {
    msp_definition::msp_record_fields!();

    /// `base` supplies the input the console does not keep (`export_json`).
    fn live_state(base: &Self, c: &Component) -> Self {
        let (d, doc) = MspDefinition::from_record(c);
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
}

#[cfg(test)]
mod tests;
