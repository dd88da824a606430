//! `blockchain_ca_import`: a CA that another console runs (region 1's `blockchain_ca`),
//! imported into this console as a record (POST /components/fabric-ca), from that console's CA
//! export or from explicit fields.
//!
//! The record is what the console stores of an imported CA: its name, URLs and location, the
//! names of its two CAs, their roots and the server's TLS certificate
//! (docs/dev/console-api.md#imported-cas). The console's UI asks for the CA admin's and the TLS
//! CA admin's enroll id and secret when a CA is imported; here they are write-only and checked
//! once, before the record is created, by enrolling at both CAs: nothing of them is kept
//! (docs/dev/console-api.md#ca-import-credentials). Every stored field is compared on read;
//! the ones athena lets an edit change (`display_name`, `api_url`, `operations_url`, `ca_name`,
//! `location`, `tags`) are edited back in place, the others replace the record.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::clients::Clients;
use crate::console::{
    Component, EditComponentRequest, ImportCaMsp, ImportCaRequest, ImportMspCa, ImportMspComponent,
};
use crate::fabric::{CaEndpoint, EnrollRequest, FabricCaClient, FabricCaError, Refusal, Secret};
use crate::framework::{
    validators, ApplyError, AttributePath, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TypedResource,
    UpdateRequest,
};
use crate::resources::export::{export_node_json, DEFAULT_PLATFORM};
use crate::resources::fabric_ca::{ENROLL_ID_PATTERN, ENROLL_ID_RULE};
use crate::resources::lifecycle::{
    self, changed, pick, required, Naming, Operation, DEPLOYED_LOCATION,
};
use crate::resources::pem::{console_b64, msp_certificate, pem_bundle, pem_text, same_certificate};
use crate::resources::records::{self, record_model, RecordResource};
use crate::resources::semantic::same_certificates;
use crate::{attr, tf_model};

/// The console's own tag on every CA (docs/dev/console-api.md#tags).
const SYSTEM_TAGS: [&str; 1] = ["fabric-ca"];
/// At most this many user tags: the console takes 32 per component, its own included.
const MAX_TAGS: usize = 31;
/// Where the console says an imported component runs when nobody said
/// (docs/dev/console-api.md#component-documents).
const NO_LOCATION: &str = "-";
/// Characters athena removes from a display name or location before storing it
/// (docs/dev/console-api.md#imported-cas), refused here so that state and console agree.
const NAME_PATTERN: &str = "^[^<>`]*$";
/// Characters athena removes from a URL before storing it (docs/dev/console-api.md#imported-cas).
const URL_PATTERN: &str = r"^[^<>'`()\s]*$";

const CA: Naming = Naming {
    component_type: "fabric-ca",
    noun: "CA",
    id_prefix: "ca",
};

tf_model! {
    /// The state of one `blockchain_ca_import`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CaImportModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Console component id of the CA record, derived from `display_name` as the console does. Used for import."),
        pub export_json: Tf<String> => |a| a.optional()
            .description(
                "The CA as another console exports it: the `export_json` of a `blockchain_ca`, the \
                 `console_export_json` of another `blockchain_ca_import`, or the file the console's \
                 CA export (download) button writes. Its fields are the defaults of the record's \
                 attributes below (legacy exports too: `name`, `ca_url`, `operations`, `pem`, \
                 `ca_name`, `tlsca_name`); an attribute set here overrides its field.",
            ),
        pub display_name: Tf<String> => |a| a.optional().computed()
            .description("Name shown on the console tile (at most 64 characters, none of `<>` and backtick, which the console would drop). Defaults to the export's. Edited in place.")
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches(
                "[A-Za-z0-9]",
                "must contain an ASCII letter or digit: the console derives the component id from them",
            ))
            .validate(validators::regex_matches(NAME_PATTERN, "must not contain <, > or a backtick (the console drops them)")),
        pub api_url: Tf<String> => |a| a.optional().computed()
            .description("HTTPS URL of the Fabric CA API (enroll, register, cainfo), e.g. `blockchain_ca.org1.api_url`. Defaults to the export's. Edited in place.")
            .validate(validators::url_with_scheme(&["https", "http"]))
            .validate(validators::regex_matches(URL_PATTERN, "must not contain spaces or any of <>'`() (the console drops them)")),
        pub operations_url: Tf<String> => |a| a.optional().computed()
            .description("HTTPS URL of the CA's operations endpoint (health, metrics). Defaults to the export's, else none. Edited in place.")
            .validate(validators::url_with_scheme(&["https", "http"]))
            .validate(validators::regex_matches(URL_PATTERN, "must not contain spaces or any of <>'`() (the console drops them)")),
        pub ca_name: Tf<String> => |a| a.optional().computed()
            .description("Name of the enrollment CA in the server (normally `ca`). Defaults to the export's. Edited in place.")
            .validate(validators::not_empty()),
        pub tlsca_name: Tf<String> => |a| a.optional().computed()
            .description("Name of the TLS CA in the server (normally `tlsca`). Defaults to the export's. The console cannot edit it: changing it imports a new record.")
            .validate(validators::not_empty()),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the enrollment CA (PEM or base64 of it). Defaults to the export's, else none. Changing them imports a new record."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.optional().computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificates of the TLS CA (PEM or base64 of it). Defaults to the export's, else none. Changing them imports a new record."),
        pub tls_cert: Tf<String> => |a| a.optional().computed()
            .semantic_equality(same_certificate)
            .description("PEM TLS certificate the CA's HTTPS endpoint serves (PEM or base64 of it); the admin check trusts it (and the roots) for `api_url`. Defaults to the export's. Changing it imports a new record."),
        pub location: Tf<String> => |a| a.optional().computed()
            .description("Where the CA runs, as the console records it (the export's `location`, e.g. `ibmcloud` for a CA another console deployed); `-` when nobody said. Must not be `ibm_saas`, which marks the console's own deployments. Edited in place.")
            .validate(validators::length_between(1, 1024))
            .validate(NotDeployedLocation)
            .validate(validators::regex_matches(NAME_PATTERN, "must not contain <, > or a backtick (the console drops them)")),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional()
            .description("Console tags (lowercase, at most 32 characters each). The console's own `fabric-ca` tag is not listed here. Edited in place.")
            .validate(validators::length_between(0, MAX_TAGS))
            .validate(validators::each_string(validators::lowercase()))
            .validate(validators::each_string(validators::length_between(1, 32))),
        pub admin_enroll_id: Tf<String> => |a| a.optional().sensitive().write_only()
            .description(
                "Enroll id of the CA administrator (the `admin_enroll_id` of the `blockchain_ca` in \
                 the other console). Needed to import the record: the provider enrolls it once at \
                 the enrollment CA, and at the TLS CA unless `tlsca_admin_enroll_id` is set, before \
                 the record is created, and discards the certificate. Write-only: never stored. \
                 Changing it later checks nothing (the record does not depend on it); a record \
                 imported with `terraform import` was never checked.",
            )
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub admin_enroll_secret: Tf<String> => |a| a.optional().sensitive().write_only()
            .description(
                "Enroll secret of `admin_enroll_id`. Write-only: never stored in state or shown in \
                 plans. Tried once per apply and never retried when refused: a Fabric CA locks an \
                 identity after 10 wrong passwords.",
            )
            .validate(validators::not_empty()),
        pub tlsca_admin_enroll_id: Tf<String> => |a| a.optional().sensitive().write_only()
            .description(
                "Enroll id of the TLS CA administrator, when it is not the CA administrator (a CA the \
                 console deployed has the same administrator in both). Checked like \
                 `admin_enroll_id`, at the TLS CA; needs `tlsca_admin_enroll_secret`. Write-only.",
            )
            .validate(validators::length_between(1, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub tlsca_admin_enroll_secret: Tf<String> => |a| a.optional().sensitive().write_only()
            .description("Enroll secret of `tlsca_admin_enroll_id`. Write-only, tried once per apply like `admin_enroll_secret`.")
            .validate(validators::not_empty()),
        pub console_export_json: Tf<String> => |a| a.computed()
            .description(
                "The record as this console's CA export (download) button writes it: sorted keys, \
                 4-space indent, base64 PEMs. Carries the CA on to a further console (its \
                 `export_json`).",
            ),
    }
}

/// athena refuses `location: ibm_saas` on an import (OAS3 `location_saas`,
/// `import.ca.invalid.location-ibm-saas-and-long-tag`): it marks the console's own deployments.
struct NotDeployedLocation;

impl validators::Validator for NotDeployedLocation {
    fn description(&self) -> String {
        format!("must not be {DEPLOYED_LOCATION}")
    }

    fn validate(&self, path: &AttributePath, v: &crate::framework::Value, diags: &mut Diagnostics) {
        if v.as_str() == Some(DEPLOYED_LOCATION) {
            diags.attribute_error(
                path.clone(),
                "Invalid attribute value",
                format!(
                    "{path} must not be {DEPLOYED_LOCATION:?}: the console keeps that location for \
                     the components it deploys itself."
                ),
            );
        }
    }
}

/// What a CA record holds (certificates as PEM text), from a console document or an export.
#[derive(Debug, Clone, Default, PartialEq)]
struct CaRecord {
    display_name: Option<String>,
    api_url: Option<String>,
    operations_url: Option<String>,
    location: Option<String>,
    ca_name: Option<String>,
    tlsca_name: Option<String>,
    ca_root_certs: Vec<String>,
    tlsca_root_certs: Vec<String>,
    tls_cert: Option<String>,
    /// Bookkeeping fields the console's import passes on from an export as they are.
    passed_on: Map<String, Json>,
}

/// The export fields the console's import passes on when set (FOC
/// `packages/apollo/src/rest/CertificateAuthorityRestApi.js` `importCA`), all of them in
/// OAS3 `ImportCaBody`. `imported` is not among them: athena decides it.
const PASSED_ON: [&str; 3] = ["migrated_from", "cluster_type", "console_type"];

/// JavaScript truthiness of an export field (the UI reads them with `||` and `?:`).
fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::String(s) => !s.is_empty(),
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => true,
    }
}

impl CaRecord {
    /// From a CA export, as the console's import-from-file reads one
    /// (docs/dev/console-api.md#ca-exports-as-import-input): aliases for older consoles,
    /// `msp` as it is when present, else the legacy names. Every certificate must be a usable
    /// X.509 v3 PEM (the console refuses others).
    fn from_export(text: &str) -> Result<Self, String> {
        let json: Json = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
        let doc = json
            .as_object()
            .ok_or("must be a JSON object: one CA's export")?;
        let field = |k: &str| doc.get(k).filter(|v| truthy(v));
        let text = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| field(k).and_then(Json::as_str).map(str::to_owned))
        };
        if let Some(t) = field("type") {
            if t.as_str() != Some(CA.component_type) {
                return Err(format!(
                    "is the export of a {}, not of a CA (its `type` must be \"fabric-ca\")",
                    t.as_str().unwrap_or("component of unknown type")
                ));
            }
        }
        let mut r = CaRecord {
            display_name: text(&["display_name", "short_name", "name"]),
            api_url: text(&["api_url", "ca_url"]),
            operations_url: text(&["operations_url", "operations"]),
            location: text(&["location"]),
            ..Default::default()
        };
        for key in PASSED_ON {
            if let Some(v) = field(key) {
                r.passed_on.insert(key.to_owned(), v.clone());
            }
        }
        let certificate = |path: &str, v: &Json| -> Result<String, String> {
            msp_certificate(v.as_str().unwrap_or_default()).map_err(|e| format!("`{path}` {e}"))
        };
        let roots = |path: &str, v: Option<&Json>| -> Result<Vec<String>, String> {
            let Some(v) = v.filter(|v| !v.is_null()) else {
                return Ok(Vec::new());
            };
            let items = v
                .as_array()
                .ok_or_else(|| format!("`{path}` is not a list of certificates"))?;
            items
                .iter()
                .enumerate()
                .map(|(i, c)| certificate(&format!("{path}[{i}]"), c))
                .collect()
        };
        match field("msp") {
            Some(msp) => {
                let part = |p: &str| msp.get(p).filter(|v| truthy(v));
                let name = |p: &str| {
                    part(p)
                        .and_then(|m| m.get("name"))
                        .and_then(Json::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                r.ca_name = name("ca");
                r.tlsca_name = name("tlsca");
                r.ca_root_certs = roots(
                    "msp.ca.root_certs",
                    part("ca").and_then(|m| m.get("root_certs")),
                )?;
                r.tlsca_root_certs = roots(
                    "msp.tlsca.root_certs",
                    part("tlsca").and_then(|m| m.get("root_certs")),
                )?;
                let tls = part("component")
                    .and_then(|c| c.get("tls_cert"))
                    .filter(|v| truthy(v));
                r.tls_cert = tls
                    .map(|v| certificate("msp.component.tls_cert", v))
                    .transpose()?;
            }
            None => {
                r.ca_name = text(&["ca_name"]);
                r.tlsca_name = text(&["tlsca_name"]);
                let tls = field("tls_cert").or_else(|| field("pem"));
                r.tls_cert = tls.map(|v| certificate("tls_cert", v)).transpose()?;
            }
        }
        Ok(r)
    }

    /// From the console's document: kept as the console holds it (a certificate that is not a
    /// usable PEM shows as given, so it can be seen and replaced).
    fn from_component(c: &Component) -> Self {
        let pems = |ca: Option<&crate::console::MspCa>| {
            ca.map(|m| m.root_certs.iter().map(|p| pem_text(p)).collect())
                .unwrap_or_default()
        };
        let mut passed_on = Map::new();
        for key in PASSED_ON {
            if let Some(v) = c.extra.get(key).filter(|v| truthy(v)) {
                passed_on.insert(key.to_owned(), v.clone());
            }
        }
        CaRecord {
            display_name: Some(c.display_name.clone()),
            api_url: c.api_url.clone(),
            operations_url: c.operations_url.clone(),
            location: c.location.clone(),
            ca_name: c.msp_ca().and_then(|m| m.name.clone()),
            tlsca_name: c.msp_tlsca().and_then(|m| m.name.clone()),
            ca_root_certs: pems(c.msp_ca()),
            tlsca_root_certs: pems(c.msp_tlsca()),
            tls_cert: c.tls_cert().map(pem_text),
            passed_on,
        }
    }
}

pub struct CaImportResource;

#[async_trait]
impl TypedResource for CaImportResource {
    type Model = CaImportModel;

    fn type_name(&self) -> &'static str {
        "blockchain_ca_import"
    }

    fn description(&self) -> String {
        "A CA that another console runs (for example region 1's `blockchain_ca`), imported into \
         this console so that its users and deployments can use it: from that console's CA \
         export, or from explicit fields. The console keeps it as a record; nothing is deployed. \
         As the console's own import asks, the CA admin's (and TLS CA admin's) enroll id and \
         secret are given, write-only, and checked once before the record is created by \
         enrolling at both CAs; they are never stored. Every stored field is compared on \
         refresh: the editable ones are edited back in place, a change of the others imports a \
         new record."
            .to_owned()
    }

    /// The export, the certificates given and the admin credentials are checked before
    /// anything is sent.
    fn validate_config(&self, config: &CaImportModel, diags: &mut Diagnostics) {
        if let Some(text) = config.export_json.known() {
            if let Err(e) = CaRecord::from_export(text) {
                diags.push(
                    Diagnostic::error("Unusable CA export", format!("export_json {e}."))
                        .at(attr!(CaImportModel, export_json)),
                );
            }
        }
        let roots = [
            (attr!(CaImportModel, ca_root_certs), &config.ca_root_certs),
            (
                attr!(CaImportModel, tlsca_root_certs),
                &config.tlsca_root_certs,
            ),
        ];
        for (path, certs) in roots {
            lifecycle::check_certificates(path, certs, diags);
        }
        lifecycle::check_certificate(attr!(CaImportModel, tls_cert), &config.tls_cert, diags);
        // A TLS CA admin of its own comes with its secret, and the other way round.
        let pairs = [
            (
                &config.tlsca_admin_enroll_id,
                &config.tlsca_admin_enroll_secret,
                attr!(CaImportModel, tlsca_admin_enroll_secret),
                "tlsca_admin_enroll_secret is needed with tlsca_admin_enroll_id",
            ),
            (
                &config.tlsca_admin_enroll_secret,
                &config.tlsca_admin_enroll_id,
                attr!(CaImportModel, tlsca_admin_enroll_id),
                "tlsca_admin_enroll_id is needed with tlsca_admin_enroll_secret",
            ),
        ];
        for (given, missing, path, detail) in pairs {
            if !given.is_null() && missing.is_null() {
                diags.push(Diagnostic::error("Incomplete TLS CA admin", detail).at(path));
            }
        }
        if config.export_json.is_null() && config.display_name.is_null() {
            diags.push(
                Diagnostic::error(
                    "Missing CA definition",
                    "Set export_json (another console's CA export), or give the CA's fields: \
                     display_name, api_url, ca_name, tlsca_name and tls_cert at least.",
                )
                .at(attr!(CaImportModel, display_name)),
            );
        }
    }

    /// What the import needs: the record's required fields (from the configuration or the
    /// export; a field of an export not known yet is checked when it is) and the admin
    /// credentials, so that a replacement never removes a record it cannot import again.
    fn validate_create(&self, plan: &CreatePlan<'_, CaImportModel>, diags: &mut Diagnostics) {
        let purpose = "import the CA (set it, or give export_json)";
        let (c, p) = (plan.config, plan.planned);
        let export_pending = c.export_json.is_unknown();
        let fields = [
            (
                attr!(CaImportModel, display_name),
                &c.display_name,
                &p.display_name,
            ),
            (attr!(CaImportModel, api_url), &c.api_url, &p.api_url),
            (attr!(CaImportModel, ca_name), &c.ca_name, &p.ca_name),
            (
                attr!(CaImportModel, tlsca_name),
                &c.tlsca_name,
                &p.tlsca_name,
            ),
            (attr!(CaImportModel, tls_cert), &c.tls_cert, &p.tls_cert),
        ];
        for (path, configured, planned) in fields {
            if export_pending && configured.is_null() && planned.is_unknown() {
                continue;
            }
            plan.require(path, planned, purpose, diags);
        }
        let check = "import the CA: it is checked by enrolling at the CA first";
        plan.require(
            attr!(CaImportModel, admin_enroll_id),
            &c.admin_enroll_id,
            check,
            diags,
        );
        plan.require(
            attr!(CaImportModel, admin_enroll_secret),
            &c.admin_enroll_secret,
            check,
            diags,
        );
    }

    /// Every stored field is planned as the configuration and the export want it: a record
    /// edited on the console plans an edit back, and a change athena cannot edit a new record.
    async fn modify_plan(&self, _ctx: &ResourceContext, plan: ModelPlan<'_, CaImportModel>) {
        let c = plan.config;
        let export = match &c.export_json {
            Tf::Known(text) => match CaRecord::from_export(text) {
                Ok(r) => Some(Tf::Known(r)),
                Err(_) => return, // validate_config reported it
            },
            Tf::Unknown => Some(Tf::Unknown),
            Tf::Null => None,
        };
        let export = export.as_ref();
        let none = || Tf::Known(Vec::new());
        let p = &mut *plan.planned;
        let text = |config: &Tf<String>, from: fn(&CaRecord) -> &Option<String>, default| {
            pick(config, export, |r| from(r).clone(), default)
        };
        p.display_name = text(&c.display_name, |r| &r.display_name, Tf::Null);
        p.api_url = text(&c.api_url, |r| &r.api_url, Tf::Null);
        p.operations_url = text(&c.operations_url, |r| &r.operations_url, Tf::Null);
        p.location = text(&c.location, |r| &r.location, Tf::Known(NO_LOCATION.into()));
        p.ca_name = text(&c.ca_name, |r| &r.ca_name, Tf::Null);
        p.tlsca_name = text(&c.tlsca_name, |r| &r.tlsca_name, Tf::Null);
        p.tls_cert = text(&c.tls_cert, |r| &r.tls_cert, Tf::Null);
        p.ca_root_certs = pick(
            &c.ca_root_certs,
            export,
            |r| Some(r.ca_root_certs.clone()),
            none(),
        );
        p.tlsca_root_certs = pick(
            &c.tlsca_root_certs,
            export,
            |r| Some(r.tlsca_root_certs.clone()),
            none(),
        );
        let Some(prior) = plan.prior else { return };
        keep_equal_certificates(prior, p);
        // What athena cannot edit on a CA (OAS3 `EditCaDataBody`, `edit.ca.msp-not-editable`)
        // is a new record.
        let fixed = [
            (
                attr!(CaImportModel, tlsca_name),
                changes(&prior.tlsca_name, &p.tlsca_name),
            ),
            (
                attr!(CaImportModel, tls_cert),
                changes(&prior.tls_cert, &p.tls_cert),
            ),
            (
                attr!(CaImportModel, ca_root_certs),
                changes(&prior.ca_root_certs, &p.ca_root_certs),
            ),
            (
                attr!(CaImportModel, tlsca_root_certs),
                changes(&prior.tlsca_root_certs, &p.tlsca_root_certs),
            ),
        ];
        let mut replacing = !plan.requires_replace.is_empty();
        for (path, changed) in fixed {
            if changed && !plan.requires_replace.contains(&path) {
                plan.requires_replace.push(path);
                replacing = true;
            }
        }
        if replacing {
            p.id = Tf::Unknown;
            p.console_export_json = Tf::Unknown;
            return;
        }
        // The export of the record changes only with what it shows (not with tags or inputs).
        let shown = |m: &CaImportModel| CaImportModel {
            export_json: Tf::Null,
            tags: Tf::Null,
            console_export_json: Tf::Null,
            admin_enroll_id: Tf::Null,
            admin_enroll_secret: Tf::Null,
            tlsca_admin_enroll_id: Tf::Null,
            tlsca_admin_enroll_secret: Tf::Null,
            ..m.clone()
        };
        if shown(p) == shown(prior) && p.console_export_json.is_unknown() {
            p.console_export_json = prior.console_export_json.clone();
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, CaImportModel>,
    ) -> Result<CaImportModel, ApplyError<CaImportModel>> {
        // The console first: nothing is enrolled for a create that could not reach it.
        Clients::console(ctx)?;
        let fabric = Clients::fabric_ca(ctx)?;
        let CreateRequest {
            planned,
            config,
            private,
        } = req;
        required(&planned.display_name, attr!(CaImportModel, display_name))?;
        let op = records::operation(ctx);
        // Before anything is created: one enroll per CA, never repeated.
        for check in admin_checks(&planned, &config)? {
            check.run(&fabric, &op).await?;
        }
        records::create_within(ctx, &op, &planned, private).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, CaImportModel>,
    ) -> Result<Option<CaImportModel>, Diagnostics> {
        records::read(ctx, &req.state, req.private).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, CaImportModel>,
    ) -> Result<CaImportModel, ApplyError<CaImportModel>> {
        records::update(ctx, &req.prior, &req.planned).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, CaImportModel>,
    ) -> Result<(), Diagnostics> {
        records::delete(ctx, &req.prior, req.private).await
    }

    /// By component id. The admin credentials of an imported record are not known, and
    /// nothing checks them afterwards: they are only checked when this resource creates the
    /// record.
    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<CaImportModel, Diagnostics> {
        records::import(ctx, id, self.type_name()).await
    }
}

/// The CA record's part in the shared record CRUD (`records`).
impl RecordResource for CaImportModel {
    const NAMING: Naming = CA;
    fn import_body(&self) -> Json {
        import_body(self)
    }
    fn record_edit(prior: &Self, planned: &Self) -> EditComponentRequest {
        record_edit(prior, planned)
    }
    fn record_state(base: &Self, c: &Component) -> Self {
        live_state(base, c)
    }
}

/// A planned value that replaces the record when it differs from the state (unknown counts:
/// it may differ).
fn changes<T: PartialEq>(prior: &Tf<T>, planned: &Tf<T>) -> bool {
    planned.is_unknown() || planned != prior
}

/// Planned certificates equal in meaning to the prior state's take the state's spelling.
fn keep_equal_certificates(prior: &CaImportModel, p: &mut CaImportModel) {
    lifecycle::keep_equal_certificates([
        (&prior.ca_root_certs, &mut p.ca_root_certs),
        (&prior.tlsca_root_certs, &mut p.tlsca_root_certs),
    ]);
    lifecycle::keep_equal_certificate([(&prior.tls_cert, &mut p.tls_cert)]);
}

/// The console's form of a certificate: base64 of its canonical PEM.
fn console_cert(pem: &str) -> String {
    console_b64(&msp_certificate(pem).unwrap_or_else(|_| pem.to_owned()))
}

/// POST /components/fabric-ca: what the console's UI sends for an imported CA (FOC
/// `packages/apollo/src/rest/CertificateAuthorityRestApi.js` `importCA`: `display_name`,
/// `api_url`, `operations_url`, `location`, `msp` and the passed-on bookkeeping fields), in
/// the form OAS3 `ImportCaBody` takes: no `type` (the route names it), no empty root lists
/// (at least one item), `location` only when one was given, and the tags.
fn import_body(planned: &CaImportModel) -> Json {
    let text = |v: &Tf<String>| v.known().cloned().unwrap_or_default();
    let roots = |v: &Tf<Vec<String>>| {
        let certs: Vec<String> = v
            .known()
            .into_iter()
            .flatten()
            .map(|p| console_cert(p))
            .collect();
        (!certs.is_empty()).then_some(certs)
    };
    let request = ImportCaRequest {
        display_name: text(&planned.display_name),
        id: None,
        api_url: text(&planned.api_url),
        operations_url: planned.operations_url.known().cloned(),
        location: planned
            .location
            .known()
            .filter(|l| l.as_str() != NO_LOCATION)
            .cloned(),
        tags: planned.tags.known().map(|t| t.iter().cloned().collect()),
        msp: ImportCaMsp {
            ca: ImportMspCa {
                name: text(&planned.ca_name),
                root_certs: roots(&planned.ca_root_certs),
            },
            tlsca: ImportMspCa {
                name: text(&planned.tlsca_name),
                root_certs: roots(&planned.tlsca_root_certs),
            },
            component: ImportMspComponent {
                tls_cert: planned
                    .tls_cert
                    .as_str()
                    .map(console_cert)
                    .unwrap_or_default(),
            },
        },
    };
    let mut body = serde_json::to_value(&request).unwrap_or_default();
    if let (Some(m), Some(export)) = (
        body.as_object_mut(),
        planned
            .export_json
            .known()
            .and_then(|t| CaRecord::from_export(t).ok()),
    ) {
        m.extend(export.passed_on);
    }
    body
}

/// The edit a plan needs: each editable field whose planned value differs from the state
/// (OAS3 `EditCaDataBody`; `ca_name` renames `msp.ca.name`, recorded `edit.ca`).
fn record_edit(prior: &CaImportModel, planned: &CaImportModel) -> EditComponentRequest {
    EditComponentRequest {
        display_name: changed(&prior.display_name, &planned.display_name).cloned(),
        api_url: changed(&prior.api_url, &planned.api_url).cloned(),
        operations_url: changed(&prior.operations_url, &planned.operations_url).cloned(),
        ca_name: changed(&prior.ca_name, &planned.ca_name).cloned(),
        location: changed(&prior.location, &planned.location).cloned(),
        tags: (prior.tags != planned.tags)
            .then(|| lifecycle::tags_to_send(&planned.tags, &[], &SYSTEM_TAGS)),
        ..EditComponentRequest::default()
    }
}

/// State from the console's record. `base` (plan or prior state) supplies the input the
/// console does not keep (`export_json`) and whether the user manages tags at all.
fn live_state(base: &CaImportModel, c: &Component) -> CaImportModel {
    let r = CaRecord::from_component(c);
    let doc = serde_json::to_value(c).unwrap_or_default();
    CaImportModel {
        id: Tf::Known(c.id.clone()),
        export_json: base.export_json.clone(),
        display_name: Tf::Known(c.display_name.clone()),
        api_url: Tf::from_option(r.api_url),
        operations_url: Tf::from_option(r.operations_url),
        location: Tf::Known(r.location.unwrap_or_else(|| NO_LOCATION.into())),
        ca_name: Tf::from_option(r.ca_name),
        tlsca_name: Tf::from_option(r.tlsca_name),
        ca_root_certs: Tf::Known(r.ca_root_certs),
        tlsca_root_certs: Tf::Known(r.tlsca_root_certs),
        tls_cert: Tf::from_option(r.tls_cert),
        tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
        admin_enroll_id: Tf::Null,
        admin_enroll_secret: Tf::Null,
        tlsca_admin_enroll_id: Tf::Null,
        tlsca_admin_enroll_secret: Tf::Null,
        console_export_json: Tf::Known(export_node_json(&doc, DEFAULT_PLATFORM)),
    }
}

/// One admin to enroll at one CA of the imported server, and where a refusal points.
#[derive(Clone)]
struct AdminCheck {
    ca: CaEndpoint,
    /// `CA` or `TLS CA`, in messages.
    which: &'static str,
    enroll_id: String,
    secret: Secret,
    id_path: AttributePath,
    secret_path: AttributePath,
    name_path: AttributePath,
    /// The CA admin's credentials, used at the TLS CA because it has none of its own.
    borrowed: bool,
}

/// The two checks an import makes: the CA admin at `ca_name`, then the TLS CA admin (the CA
/// admin unless one is set) at `tlsca_name`, over HTTPS trusted by the record's TLS
/// certificate and roots.
fn admin_checks(
    planned: &CaImportModel,
    config: &CaImportModel,
) -> Result<Vec<AdminCheck>, Diagnostics> {
    let (Some(id), Some(secret)) = (
        config.admin_enroll_id.known(),
        config.admin_enroll_secret.known(),
    ) else {
        return Err(Diagnostic::error(
            "Missing CA admin credentials",
            "admin_enroll_id and admin_enroll_secret are needed to import the CA: they are checked \
             by enrolling at the CA before the record is created.",
        )
        .at(attr!(CaImportModel, admin_enroll_id))
        .into());
    };
    let api_url = required(&planned.api_url, attr!(CaImportModel, api_url))?;
    let ca_name = required(&planned.ca_name, attr!(CaImportModel, ca_name))?;
    let tlsca_name = required(&planned.tlsca_name, attr!(CaImportModel, tlsca_name))?;
    let trusted = pem_bundle(
        planned
            .tls_cert
            .as_str()
            .into_iter()
            .chain(
                planned
                    .ca_root_certs
                    .known()
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            )
            .chain(
                planned
                    .tlsca_root_certs
                    .known()
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            ),
    );
    let endpoint = |name: String| CaEndpoint {
        api_url: api_url.trim_end_matches('/').to_owned(),
        ca_name: name,
        tls_root_pem: trusted.clone(),
    };
    let ca = AdminCheck {
        ca: endpoint(ca_name),
        which: "CA",
        enroll_id: id.clone(),
        secret: Secret::new(secret.clone()),
        id_path: attr!(CaImportModel, admin_enroll_id),
        secret_path: attr!(CaImportModel, admin_enroll_secret),
        name_path: attr!(CaImportModel, ca_name),
        borrowed: false,
    };
    let own_tls_admin = (
        config.tlsca_admin_enroll_id.known(),
        config.tlsca_admin_enroll_secret.known(),
    );
    let tlsca = match own_tls_admin {
        (Some(tls_id), Some(tls_secret)) => AdminCheck {
            ca: endpoint(tlsca_name),
            which: "TLS CA",
            enroll_id: tls_id.clone(),
            secret: Secret::new(tls_secret.clone()),
            id_path: attr!(CaImportModel, tlsca_admin_enroll_id),
            secret_path: attr!(CaImportModel, tlsca_admin_enroll_secret),
            name_path: attr!(CaImportModel, tlsca_name),
            borrowed: false,
        },
        _ => AdminCheck {
            ca: endpoint(tlsca_name),
            which: "TLS CA",
            borrowed: true,
            name_path: attr!(CaImportModel, tlsca_name),
            ..ca.clone()
        },
    };
    Ok(vec![ca, tlsca])
}

impl AdminCheck {
    /// One enroll (its certificate is dropped). A refusal is never retried: each wrong
    /// password counts towards the CA's lockout (docs/dev/fabric-ca.md#enroll-authentication).
    async fn run(&self, fabric: &FabricCaClient, op: &Operation) -> Result<(), Diagnostics> {
        let req = EnrollRequest {
            enroll_id: self.enroll_id.clone(),
            secret: self.secret.clone(),
            ..EnrollRequest::default()
        };
        let outcome = op
            .bounded(fabric.enroll(&self.ca, &req, op.cancellation()))
            .await;
        match outcome {
            Ok(Ok(_enrollment)) => {
                tracing::info!(ca = %self.ca.ca_name, "the admin credentials enrolled at the {}", self.which);
                Ok(())
            }
            Ok(Err(e)) => Err(self.refused(&e).into()),
            Err(_) => Err(Diagnostic::error(
                format!("The {} admin check did not finish", self.which),
                format!(
                    "The enroll at the {} {:?} of {} did not finish within {} or was \
                     interrupted. Nothing was imported; the next apply checks again.",
                    self.which,
                    self.ca.ca_name,
                    self.ca.api_url,
                    op.describe_limit()
                ),
            )
            .into()),
        }
    }

    /// The diagnostic of a failed enroll, at the attribute it is about; never the secret (the
    /// CA's messages do not carry it).
    fn refused(&self, e: &FabricCaError) -> Diagnostic {
        let id_attr = self.id_path.to_string();
        let secret_attr = self.secret_path.to_string();
        let borrowed = if self.borrowed {
            " (the CA admin's, as tlsca_admin_enroll_id is not set: set it when the TLS CA has \
             another administrator)"
        } else {
            ""
        };
        let nothing = "Nothing was imported.";
        match e.refusal() {
            Some(Refusal::AuthenticationFailure) => {
                let locked = matches!(e, FabricCaError::Refused { code: Some(73), .. });
                let advice = if locked {
                    "The CA has locked this identity after too many wrong passwords; its \
                     administrator must reset it (fabric-ca-client identity modify) before it can \
                     enroll again."
                } else {
                    "A Fabric CA answers this for a wrong secret, an unknown enroll id, an identity \
                     that used up its enrollments or was revoked. The provider tried once and will \
                     not retry before the next apply: the CA locks an identity after 10 wrong \
                     passwords."
                };
                Diagnostic::error(
                    format!("The {} refused the admin credentials", self.which),
                    format!("{e}. Check {id_attr} and {secret_attr}{borrowed}. {advice} {nothing}"),
                )
                .at(self.secret_path.clone())
            }
            Some(Refusal::UnknownCa) => Diagnostic::error(
                format!("No such {}", self.which),
                format!(
                    "{e}. {} names no CA of the server. {nothing}",
                    self.name_path
                ),
            )
            .at(self.name_path.clone()),
            _ if e.is_uncertain() => Diagnostic::error(
                format!("The {} admin check is uncertain", self.which),
                format!(
                    "{e}. The credentials may be right; the provider does not enroll again in this \
                     apply. {nothing} The next apply checks again."
                ),
            ),
            _ => match e {
                FabricCaError::Transport { detail, .. }
                    if crate::net::tls::is_certificate_rejection(detail) =>
                {
                    Diagnostic::error(
                        "The CA's TLS certificate is not trusted",
                        format!(
                            "{e}. The check trusts tls_cert and the root certificates of the \
                             record (and the provider's bundle). {nothing}"
                        ),
                    )
                    .at(attr!(CaImportModel, tls_cert))
                }
                FabricCaError::Config(_)
                | FabricCaError::Transport { .. }
                | FabricCaError::Timeout { .. } => {
                    Diagnostic::error("Cannot reach the CA", format!("{e}. {nothing}"))
                        .at(attr!(CaImportModel, api_url))
                }
                _ => Diagnostic::error(
                    format!("The {} admin check failed", self.which),
                    format!("{e}. {nothing}"),
                )
                .at(self.secret_path.clone()),
            },
        }
    }
}

record_model!(CaImportModel);

#[cfg(test)]
mod tests;
