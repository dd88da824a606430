//! `blockchain_msp`: the organization's own MSP definition, as the console's "Create MSP
//! definition" panel builds it (apollo `GenerateMSPModal`): the identity and TLS roots and
//! intermediates from the CA's `/cainfo` chains, the admin certificates given, the NodeOU
//! settings built from the chain, and the console's URL as `host_url`
//! (docs/dev/msp.md#what-the-console-builds). Kept as a console record like an imported MSP:
//! the definition and record lifecycle are `msp_definition`'s.
//!
//! The chains are read at plan time (one `/cainfo` per CA and CA name per provider process:
//! `FabricCaClient::ca_info_once`), so a CA whose chain changed (re-created, new root) plans an
//! in-place edit of the certificate lists and NodeOU settings; so does a record edited on the
//! console (docs/dev/msp.md#when-the-chain-changes).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use crate::clients::Clients;
use crate::console::Component;
use crate::fabric::{CaEndpoint, Certificate};
use crate::framework::{
    validators, ApplyError, CreatePlan, CreateRequest, DeleteRequest, Diagnostic, Diagnostics,
    ModelPlan, Private, ReadRequest, ResourceContext, Tf, TfValue, TypedResource, UpdateRequest,
    Value,
};
use crate::resources::export::{export_msp_json, sort_keys};
use crate::resources::fabric_ca::{
    ca_url_rules, tls_cert_attribute, DEFAULT_CA_NAME, DEFAULT_TLSCA_NAME,
};
use crate::resources::lifecycle::{
    self, check_certificates, keep_equal_certificates, ComponentApi,
};
use crate::resources::msp_definition::{
    self, MspDefinition, MspRecord, MSP_ID_PATTERN, SYSTEM_TAGS,
};
use crate::resources::pem::{console_b64, msp_certificate};
use crate::resources::records::{self, record_model};
use crate::resources::semantic::{same_certificates, same_json};
use crate::{attr, tf_model};

tf_model! {
    /// The state of one `blockchain_msp`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MspModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Console component id of the MSP record, derived from `display_name`. Used for import."),
        pub display_name: Tf<String> => |a| a.required()
            .description("Name shown on the console tile (at most 64 characters). Edited in place.")
            .validate(validators::length_between(1, 64))
            .validate(validators::regex_matches(
                "[A-Za-z0-9]",
                "must contain an ASCII letter or digit: the console derives the component id from them",
            )),
        pub msp_id: Tf<String> => |a| a.required()
            .description("The organization's MSP id (letters, digits, `-` and `.`), e.g. `Org1MSP`. Edited in place (the console allows it; channels that already name the old id are not changed).")
            .validate(validators::length_between(1, 250))
            .validate(validators::regex_matches(MSP_ID_PATTERN, "may contain only letters, digits, '-' and '.'")),
        pub api_url: Tf<String> => |a| ca_url_rules(a.required().description(
            "HTTPS URL of the organization's Fabric CA server, e.g. `blockchain_ca.org1.api_url`. \
             The provider reads the chains of its enrollment and TLS CAs (`/cainfo`) at plan time \
             for the certificate lists below; another CA changes them in place.",
        )),
        pub ca_name: Tf<String> => |a| a.default_value(Value::string(DEFAULT_CA_NAME))
            .description("Name of the enrollment CA in the server, whose chain gives `root_certs` and `intermediate_certs`: `ca` (the default) on a console-deployed CA, e.g. `blockchain_ca.org1.ca_name`.")
            .validate(validators::not_empty()),
        pub tlsca_name: Tf<String> => |a| a.default_value(Value::string(DEFAULT_TLSCA_NAME))
            .description("Name of the TLS CA in the server, whose chain gives `tls_root_certs` and `tls_intermediate_certs`: `tlsca` (the default) on a console-deployed CA, e.g. `blockchain_ca.org1.tlsca_name`.")
            .validate(validators::not_empty()),
        pub tls_cert: Tf<String> => |a| tls_cert_attribute(a).description(
            "PEM certificate the CA's HTTPS endpoint is trusted by, e.g. `blockchain_ca.org1.tls_cert` \
             (its own TLS certificate or a root it chains to). Without it the provider block's bundle \
             and the system roots are used. Referencing the CA's also defers the chain read to apply \
             when the CA is being replaced, so the MSP follows the new CA in the same apply.",
        ),
        pub admins: Tf<Vec<String>> => |a| a.required()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM certificates of the organization's administrators, e.g. `[blockchain_enrolled_identity.org1_admin.certificate]`; at least one, as the console's panel requires. Edited in place.")
            .validate(validators::not_empty()),
        pub enable_node_ous: Tf<bool> => |a| a.default_value(Value::Bool(true))
            .description(
                "Whether the MSP has NodeOUs (identity roles from the certificates' OUs: `admin`, \
                 `client`, `peer`, `orderer`), built as the console builds them (see \
                 `fabric_node_ous`). Default true, as the console's `enable_ou_identifier` feature \
                 flag is by default; false leaves them out.",
            ),
        pub host_url: Tf<String> => |a| a.optional().computed()
            .description("URL of the console the MSP belongs to, recorded for signature collection between consoles. The console's panel writes its own host URL; the default here is the provider block's `console_url`. Edited in place.")
            .validate(validators::url_with_scheme(&["http", "https"])),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional()
            .description("Console tags (lowercase). The console's own `msp` tag is not listed here.")
            .validate(validators::each_string(validators::lowercase()))
            .validate(validators::each_string(validators::length_between(1, 32))),
        pub root_certs: Tf<Vec<String>> => |a| a.computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificate of the organization's identities: the self-signed certificate of the enrollment CA's chain (the console keeps one)."),
        pub intermediate_certs: Tf<Vec<String>> => |a| a.computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM intermediate certificates of the enrollment CA's chain (the ones not self-signed), in the chain's order; empty for a root CA."),
        pub tls_root_certs: Tf<Vec<String>> => |a| a.computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM root certificate of the organization's TLS CA chain."),
        pub tls_intermediate_certs: Tf<Vec<String>> => |a| a.computed()
            .semantic_equality_fn("same certificates", same_certificates)
            .description("PEM intermediate certificates of the TLS CA's chain; empty for a root TLS CA."),
        pub fabric_node_ous: Tf<String> => |a| a.computed()
            .semantic_equality_fn("same JSON", same_json)
            .description(
                "The NodeOU settings as the record holds them (JSON): `enable = true` and the \
                 `admin`, `client`, `orderer` and `peer` OU identifiers, each with the first \
                 intermediate certificate (else the root) as the console writes it (base64 PEM). \
                 Null when `enable_node_ous` is false.",
            ),
        pub export_json: Tf<String> => |a| a.computed()
            .description(
                "The MSP as the console's export (download) button writes it: sorted keys, 4-space \
                 indent, base64 PEMs. Import it on another console, e.g. with \
                 `blockchain_msp_import`'s `export_json`.",
            ),
    }
}

pub struct MspResource;

/// The certificate lists of the two CAs' chains, split as the console splits them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Chains {
    roots: Vec<String>,
    intermediates: Vec<String>,
    tls_roots: Vec<String>,
    tls_intermediates: Vec<String>,
}

/// A CA chain (PEM, one certificate each) as the console's panel files it (apollo
/// `GenerateMSPModal.onSelectRootCA`): a certificate whose issuer is its subject is the root
/// (the last such one is kept: the panel replaces its one-element list), every other one an
/// intermediate, in order; a certificate that cannot be read is skipped.
fn split_chain(chain: &[String]) -> (Vec<String>, Vec<String>) {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let mut root = None;
    let mut intermediates = Vec::new();
    for pem in chain {
        let Ok((_, block)) = x509_parser::pem::parse_x509_pem(pem.as_bytes()) else {
            continue;
        };
        let Ok((_, cert)) = X509Certificate::from_der(&block.contents) else {
            continue;
        };
        if cert.subject().as_raw() == cert.issuer().as_raw() {
            root = Some(pem.clone());
        } else {
            intermediates.push(pem.clone());
        }
    }
    (root.into_iter().collect(), intermediates)
}

/// The NodeOU settings the console writes for a new MSP (apollo `ChannelApi.getNodeOUIdentifier`,
/// called by `GenerateMSPModal.addOUIdentifier` when the `enable_ou_identifier` feature flag is
/// on): every role's OU identifier carries `certificate`, in the console's form.
pub fn console_node_ous(certificate: &str) -> Json {
    let ou =
        |name: &str| json!({"certificate": certificate, "organizational_unit_identifier": name});
    let mut m = Map::new();
    m.insert("enable".into(), Json::Bool(true));
    for role in ["admin", "client", "orderer", "peer"] {
        m.insert(format!("{role}_ou_identifier"), ou(role));
    }
    Json::Object(m)
}

impl Chains {
    fn of(ca_chain: &[String], tlsca_chain: &[String]) -> Self {
        let (roots, intermediates) = split_chain(ca_chain);
        let (tls_roots, tls_intermediates) = split_chain(tlsca_chain);
        Chains {
            roots,
            intermediates,
            tls_roots,
            tls_intermediates,
        }
    }

    /// The NodeOU settings as JSON text, keys sorted as athena stores every document
    /// (`misc.sortKeys`): their certificate is the first intermediate if there is one, else the
    /// root (`GenerateMSPModal.onSelectRootCA`).
    fn node_ous(&self) -> Option<String> {
        let cert = self.intermediates.first().or(self.roots.first())?;
        let b64 = console_b64(&msp_certificate(cert).unwrap_or_else(|_| cert.clone()));
        Some(sort_keys(console_node_ous(&b64)).to_string())
    }

    /// Puts the lists and NodeOU settings into `m` (NodeOUs unknown while `enable_node_ous` is).
    fn apply_to(&self, m: &mut MspModel) {
        m.root_certs = Tf::Known(self.roots.clone());
        m.intermediate_certs = Tf::Known(self.intermediates.clone());
        m.tls_root_certs = Tf::Known(self.tls_roots.clone());
        m.tls_intermediate_certs = Tf::Known(self.tls_intermediates.clone());
        m.fabric_node_ous = match m.enable_node_ous {
            Tf::Known(true) => Tf::from_option(self.node_ous()),
            Tf::Known(false) | Tf::Null => Tf::Null,
            Tf::Unknown => Tf::Unknown,
        };
    }
}

/// The two CAs of `m`, or `None` while where they are is not known.
fn endpoints(m: &MspModel) -> Option<(CaEndpoint, CaEndpoint)> {
    let api_url = m.api_url.known()?;
    if m.tls_cert.is_unknown() {
        return None;
    }
    let of = |name: &str| CaEndpoint {
        api_url: api_url.trim_end_matches('/').to_owned(),
        ca_name: name.to_owned(),
        tls_root_pem: m.tls_cert.as_str().map(|p| p.as_bytes().to_vec()),
    };
    Some((of(m.ca_name.known()?), of(m.tlsca_name.known()?)))
}

/// Reads both chains (each at most once per provider process). `Ok(None)` while the CA is not
/// known; `Err` (at `api_url`) when a CA cannot be read.
async fn read_chains(ctx: &ResourceContext, m: &MspModel) -> Result<Option<Chains>, Diagnostic> {
    let Some((ca, tlsca)) = endpoints(m) else {
        return Ok(None);
    };
    let client = Clients::fabric_ca(ctx).map_err(|d| {
        Diagnostic::error(
            "The provider is not configured",
            format!("The CA's chain cannot be read yet: {d}"),
        )
    })?;
    let cancel = ctx.cancelled();
    let mut chains = Vec::new();
    for endpoint in [&ca, &tlsca] {
        let info = client.ca_info_once(endpoint, &cancel).await.map_err(|e| {
            Diagnostic::error(
                "Could not read the CA's chain",
                format!("{e}. The MSP's certificates come from the CA's /cainfo."),
            )
            .at(attr!(MspModel, api_url))
        })?;
        chains.push(info.ca_chain_pems());
    }
    Ok(Some(Chains::of(&chains[0], &chains[1])))
}

/// Warnings at `admins[i]` for each admin certificate the CA's chain did not issue: an MSP
/// accepts only identities that chain to its roots (docs/dev/identity-import.md#chain-verification).
fn check_admins_chain(m: &MspModel, chains: &Chains, diags: &mut Diagnostics) {
    let parse = |pems: &[String]| -> Option<Vec<Certificate>> {
        pems.iter().map(|p| Certificate::from_pem(p).ok()).collect()
    };
    // A chain this provider cannot check (e.g. not P-256) proves nothing either way.
    let (Some(roots), Some(intermediates)) = (parse(&chains.roots), parse(&chains.intermediates))
    else {
        return;
    };
    if roots.is_empty() {
        return;
    }
    for (i, pem) in m.admins.known().into_iter().flatten().enumerate() {
        let Ok(cert) = Certificate::from_pem(pem) else {
            continue;
        };
        if cert.chain_to(&roots, &intermediates).is_none() {
            let at = attr!(MspModel, admins).index(i64::try_from(i).unwrap_or(i64::MAX));
            diags.push(
                Diagnostic::warning(
                    "An admin certificate is not from the organization's CA",
                    format!(
                        "{at} ({}) was not issued by the enrollment CA's chain read from \
                         api_url; Fabric will not accept it as a member, let alone an admin, of \
                         this MSP.",
                        cert.info().common_name
                    ),
                )
                .at(at),
            );
        }
    }
}

/// The URL of the console the provider block talks to, the default `host_url`.
fn console_url(ctx: &ResourceContext) -> Option<String> {
    Clients::console(ctx).ok().map(|c| c.console_url())
}

/// An error at `root_certs` when the enrollment CA's chain has no root.
fn require_root(m: &MspModel) -> Result<(), Diagnostics> {
    if m.root_certs.known().is_some_and(Vec::is_empty) {
        return Err(no_root().into());
    }
    Ok(())
}

fn no_root() -> Diagnostic {
    Diagnostic::error(
        "The CA's chain has no root certificate",
        "The enrollment CA's /cainfo chain holds no self-signed certificate; an MSP needs one \
         root (the console refuses an empty root_certs).",
    )
    .at(attr!(MspModel, root_certs))
}

/// Fills what the plan could not know: the chains (read now) and the console URL.
async fn complete(ctx: &ResourceContext, planned: &MspModel) -> Result<MspModel, Diagnostics> {
    let mut m = planned.clone();
    let lists = [
        &m.root_certs,
        &m.intermediate_certs,
        &m.tls_root_certs,
        &m.tls_intermediate_certs,
    ];
    if lists.iter().any(|l| l.is_unknown()) || m.fabric_node_ous.is_unknown() {
        match read_chains(ctx, &m).await {
            Ok(Some(chains)) => chains.apply_to(&mut m),
            Ok(None) => {
                return Err(Diagnostic::error(
                    "The CA is not known",
                    "api_url, ca_name, tlsca_name and tls_cert must be known when the change is \
                     applied.",
                )
                .at(attr!(MspModel, api_url))
                .into())
            }
            Err(d) => return Err(d.into()),
        }
    }
    if m.host_url.is_unknown() {
        m.host_url = Tf::from_option(console_url(ctx));
    }
    require_root(&m)?;
    Ok(m)
}

#[async_trait]
impl TypedResource for MspResource {
    type Model = MspModel;

    fn type_name(&self) -> &'static str {
        "blockchain_msp"
    }

    fn description(&self) -> String {
        "The organization's MSP definition, built as the console's \"Create MSP definition\" \
         panel builds it: the identity and TLS root and intermediate certificates from the \
         organization's CA (read from its `/cainfo` at plan time), the admin certificates given, \
         NodeOU settings for the `admin`, `client`, `peer` and `orderer` roles, and the console's \
         URL. The console keeps it as a record; nothing is deployed. Every stored field is \
         compared on refresh and edited back in place when it drifts; a CA whose chain changed \
         (for example re-created) plans an in-place edit of the certificate lists."
            .to_owned()
    }

    fn validate_config(&self, config: &MspModel, diags: &mut Diagnostics) {
        check_certificates(attr!(MspModel, admins), &config.admins, diags);
    }

    fn validate_create(&self, plan: &CreatePlan<'_, MspModel>, diags: &mut Diagnostics) {
        if plan.planned.root_certs.known().is_some_and(Vec::is_empty) {
            diags.push(no_root());
        }
    }

    /// The certificate lists and NodeOU settings are planned from the CA's chains, read now;
    /// `host_url` defaults to the console's URL; the export is unknown when anything changes.
    async fn modify_plan(&self, ctx: &ResourceContext, plan: ModelPlan<'_, MspModel>) {
        let prior = plan.prior;
        let p = &mut *plan.planned;
        if plan.config.host_url.is_null() {
            p.host_url = console_url(ctx).map(Tf::Known).unwrap_or(Tf::Unknown);
        }
        match read_chains(ctx, p).await {
            Ok(Some(chains)) => {
                chains.apply_to(p);
                check_admins_chain(p, &chains, plan.diagnostics);
            }
            Ok(None) => Chains::unknown(p),
            Err(e) => {
                // The MSP stays as it is (or is read at apply, for a new one).
                let detail = match prior {
                    Some(_) => "The MSP's certificate lists are kept as they are in state.",
                    None => "The chains are read again when the MSP is created.",
                };
                plan.diagnostics.push(Diagnostic::warning(
                    e.summary.clone(),
                    format!("{} {detail}", e.detail),
                ));
                match prior {
                    Some(prior) => {
                        p.root_certs = prior.root_certs.clone();
                        p.intermediate_certs = prior.intermediate_certs.clone();
                        p.tls_root_certs = prior.tls_root_certs.clone();
                        p.tls_intermediate_certs = prior.tls_intermediate_certs.clone();
                        p.fabric_node_ous = prior.fabric_node_ous.clone();
                    }
                    None => Chains::unknown(p),
                }
            }
        }
        let Some(prior) = prior else {
            p.export_json = Tf::Unknown;
            return;
        };
        keep_equal_certificates([
            (&prior.root_certs, &mut p.root_certs),
            (&prior.intermediate_certs, &mut p.intermediate_certs),
            (&prior.tls_root_certs, &mut p.tls_root_certs),
            (&prior.tls_intermediate_certs, &mut p.tls_intermediate_certs),
        ]);
        if p.fabric_node_ous != prior.fabric_node_ous
            && same_json(&p.fabric_node_ous.to_tf(), &prior.fabric_node_ous.to_tf())
        {
            p.fabric_node_ous = prior.fabric_node_ous.clone();
        }
        let unchanged = *p
            == MspModel {
                export_json: p.export_json.clone(),
                ..prior.clone()
            };
        p.export_json = lifecycle::export_unless_changed(unchanged, &prior.export_json);
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, MspModel>,
    ) -> Result<MspModel, ApplyError<MspModel>> {
        let planned = complete(ctx, &req.planned).await?;
        records::create(ctx, &planned, req.private).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, MspModel>,
    ) -> Result<Option<MspModel>, Diagnostics> {
        records::read(ctx, &req.state, req.private).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, MspModel>,
    ) -> Result<MspModel, ApplyError<MspModel>> {
        let planned = complete(ctx, &req.planned).await?;
        records::update(ctx, &req.prior, &planned).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, MspModel>,
    ) -> Result<(), Diagnostics> {
        records::delete(ctx, &req.prior, req.private).await
    }

    /// By component id. What the record does not keep (where the CA is) comes from the
    /// configuration at the next plan, which then changes nothing on the console when the CA's
    /// chains match the record.
    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<MspModel, Diagnostics> {
        let m: MspModel = records::import(ctx, id, self.type_name()).await?;
        Ok(MspModel {
            ca_name: Tf::Known(DEFAULT_CA_NAME.to_owned()),
            tlsca_name: Tf::Known(DEFAULT_TLSCA_NAME.to_owned()),
            ..m
        })
    }
}

impl Chains {
    /// Marks everything the chains give unknown (read at apply).
    fn unknown(m: &mut MspModel) {
        m.root_certs = Tf::Unknown;
        m.intermediate_certs = Tf::Unknown;
        m.tls_root_certs = Tf::Unknown;
        m.tls_intermediate_certs = Tf::Unknown;
        m.fabric_node_ous = match m.enable_node_ous {
            Tf::Known(false) => Tf::Null,
            _ => Tf::Unknown,
        };
    }
}

record_model!(MspModel);

impl MspRecord for MspModel {
    msp_definition::msp_record_fields!();

    /// The console's panel sends every list, empty ones too (`GenerateMSPModal.onSubmit`).
    fn sends_empty_lists() -> bool {
        true
    }

    /// `base` supplies where the CA is and whether NodeOUs are wanted (after an import: what
    /// the record has).
    fn live_state(base: &Self, c: &Component) -> Self {
        let (d, doc) = MspDefinition::from_record(c);
        let node_ous_on = d
            .fabric_node_ous
            .as_deref()
            .and_then(|s| serde_json::from_str::<Json>(s).ok())
            .is_some_and(|ous| ous["enable"] == Json::Bool(true));
        MspModel {
            id: Tf::Known(c.id.clone()),
            display_name: Tf::Known(c.display_name.clone()),
            msp_id: Tf::from_option(c.msp_id.clone()),
            api_url: base.api_url.clone(),
            ca_name: base.ca_name.clone(),
            tlsca_name: base.tlsca_name.clone(),
            tls_cert: base.tls_cert.clone(),
            admins: Tf::Known(d.admins),
            enable_node_ous: base
                .enable_node_ous
                .clone()
                .or_known(Tf::Known(node_ous_on)),
            host_url: Tf::from_option(d.host_url),
            tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
            root_certs: Tf::Known(d.root_certs),
            intermediate_certs: Tf::Known(d.intermediate_certs),
            tls_root_certs: Tf::Known(d.tls_root_certs),
            tls_intermediate_certs: Tf::Known(d.tls_intermediate_certs),
            fabric_node_ous: Tf::from_option(d.fabric_node_ous),
            export_json: Tf::Known(export_msp_json(&doc)),
        }
    }
}

#[cfg(test)]
mod tests;
