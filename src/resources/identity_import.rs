//! `blockchain_identity_import`: an identity made elsewhere (the console's wallet export, an
//! Ansible identity file, or PEM fields), checked and carried to the resources that act as an
//! organization's admin.
//!
//! The console keeps identities in the browser, not on a server (docs/dev/identity-import.md#no-server-side-wallet),
//! so there is nothing to create, read or import remotely: "create" is the check, and the
//! state keeps the identity, private key included, because the resources that sign with it
//! read it from there. Every check runs at plan when the inputs are known, and again at apply.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::fabric::{Certificate, IdentityError, KeyError, PrivateKey, SigningIdentity};
use crate::framework::{
    parse_go_duration, validators, ApplyError, AttributePath, CreateRequest, DeleteRequest,
    Diagnostic, Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TypedResource,
    UpdateRequest, Value,
};
use crate::resources::identity_file::parse_identity_file;
use crate::resources::pem::rfc3339;
use crate::resources::pem::{certificate_blocks, decode_b64_pem};
use crate::{attr, tf_model};

/// Warn this long before the certificate expires unless `expiry_warning` says otherwise.
const DEFAULT_EXPIRY_WARNING: &str = "720h";
/// Fabric's default NodeOU identifiers, which the console's MSPs use
/// (docs/dev/identity-import.md#nodeou-roles).
const ADMIN_OU: &str = "admin";
const ROLE_OUS: [&str; 4] = ["client", "peer", "admin", "orderer"];

tf_model! {
    /// The identity as other resources take it.
    #[derive(Clone, Default, PartialEq)]
    pub struct IdentityValue {
        pub name: Tf<String> => |a| a.computed().description("Display name of the identity."),
        pub msp_id: Tf<String> => |a| a.computed().description("MSP id of the organization, when given."),
        pub certificate: Tf<String> => |a| a.computed().description("PEM certificate."),
        pub private_key: Tf<String> => |a| a.computed().sensitive().description("PEM (PKCS#8) private key."),
        pub ca_chain: Tf<Vec<String>> => |a| a.computed().description("PEM CA certificates, issuer first."),
    }
}

tf_model! {
    /// The state of one `blockchain_identity_import`.
    #[derive(Clone, Default, PartialEq)]
    pub struct IdentityImportModel {
        pub id: Tf<String> => |a| a.computed()
            .description("The certificate's authority key id and serial number, `<aki>/<serial>` in lower-case hex (the serial alone when the certificate has no authority key id): together they name a certificate as fabric-ca's revocation does."),
        pub identity_json: Tf<String> => |a| a.optional().sensitive()
            .description(
                "An identity file: the console wallet's export (`{name, type = \"identity\", cert, \
                 private_key}`, base64 PEMs, as its Export button writes it) or the Fabric Ansible \
                 collection's enrolled identity file (`{name, cert, private_key, ca, hsm}`), told \
                 apart by `type`. Use `file(\"...\")` or another resource's export. Conflicts with \
                 `certificate` and `private_key`.",
            ),
        pub certificate: Tf<String> => |a| a.optional()
            .description("PEM certificate of the identity; certificates after the first are taken as its CA chain. Needs `private_key`; conflicts with `identity_json`."),
        pub private_key: Tf<String> => |a| a.optional().sensitive()
            .description("PEM private key of the identity (PKCS#8 or SEC1, ECDSA P-256). Needs `certificate`; conflicts with `identity_json`."),
        pub msp_root_certs: Tf<Vec<String>> => |a| a.optional()
            .description("PEM root certificates of the organization's MSP (e.g. `blockchain_ca.org1.ca_root_certs`). When set, the certificate must chain to one of them: each signature on the way is verified.")
            .validate(validators::each_string(validators::not_empty())),
        pub msp_intermediate_certs: Tf<Vec<String>> => |a| a.optional()
            .description("PEM intermediate CA certificates the chain may pass through, besides those that come with the identity.")
            .validate(validators::each_string(validators::not_empty())),
        pub require_admin: Tf<bool> => |a| a.default_value(Value::bool(false))
            .description("When true, the certificate must have the admin role by NodeOU: the `admin` OU and no other role OU (`client`, `peer`, `orderer`), as an MSP with Fabric's default NodeOU identifiers (the console's) decides it. Default false."),
        pub expiry_warning: Tf<String> => |a| a.default_value(Value::string(DEFAULT_EXPIRY_WARNING))
            .description("Warn when the certificate expires within this Go duration (e.g. `720h`, the default). An expired certificate is an error at plan; one that expired after apply plans an update (`expires_at` known after apply) whose apply fails, until a renewed identity is given.")
            .validate(validators::go_duration()),
        pub name: Tf<String> => |a| a.optional()
            .description("Name of the identity; defaults to the file's `name`, else the certificate's CN.")
            .validate(validators::not_empty()),
        pub msp_id: Tf<String> => |a| a.optional()
            .description("MSP id of the organization the identity belongs to (identity files do not carry one).")
            .validate(validators::not_empty()),
        pub identity: Tf<IdentityValue> => |a| a.computed().sensitive()
            .description(
                "The checked identity, for resources that act as the organization's admin: \
                 `name`, `msp_id`, `certificate`, `private_key` and `ca_chain` (the CA \
                 certificates from the issuer to the root that anchored it, or those that came \
                 with the identity). Sensitive, since it holds the private key.",
            ),
        pub enroll_id: Tf<String> => |a| a.computed()
            .description("The certificate's subject CN: the enroll id for a Fabric CA certificate."),
        pub expires_at: Tf<String> => |a| a.computed()
            .description("The certificate's end of validity, RFC 3339."),
        pub ous: Tf<Vec<String>> => |a| a.computed()
            .description("The certificate's subject OUs in order (the role, then the affiliation's parts)."),
    }
}

impl std::fmt::Debug for IdentityValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityValue")
            .field("name", &self.name)
            .field("msp_id", &self.msp_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for IdentityImportModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityImportModel")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("msp_id", &self.msp_id)
            .field("enroll_id", &self.enroll_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

pub struct IdentityImportResource;

#[async_trait]
impl TypedResource for IdentityImportResource {
    type Model = IdentityImportModel;

    fn type_name(&self) -> &'static str {
        "blockchain_identity_import"
    }

    fn description(&self) -> String {
        "Checks an identity exported elsewhere (the console wallet's identity export, an Ansible \
         identity file, or PEM fields) and carries it, as the one `identity` attribute, to what \
         needs an organization's admin (peer admin certificates, channel operations). Checked at \
         plan: the key matches the certificate and is ECDSA P-256, the certificate is valid (a \
         warning when it expires soon), chains to the MSP's roots and has the admin role when \
         asked.\n\n\
         The console has no server-side wallet, so nothing is sent anywhere and this resource \
         cannot be imported. The private key is kept in the Terraform state (marked sensitive, \
         never logged or shown in plans): the resources that sign with the identity read it \
         from there. Protect the state accordingly, e.g. with an encrypted remote backend."
            .to_owned()
    }

    fn validate_config(&self, config: &IdentityImportModel, diags: &mut Diagnostics) {
        check_sources(config, diags);
    }

    /// Every check, at plan. A certificate that expired after apply is not an error here:
    /// Terraform's refresh before a destroy plans too, and must not fail; nor can it be a
    /// replacement, whose create half Terraform plans without prior state (where expiry is an
    /// error). It plans an update instead (`expires_at` unknown: a plan that is not empty),
    /// whose apply re-checks the certificate and fails.
    async fn modify_plan(&self, _ctx: &ResourceContext, plan: ModelPlan<'_, IdentityImportModel>) {
        let now = OffsetDateTime::now_utc();
        // The applied certificate that expired since is drift; a new one is bad input.
        let applied_before = plan.prior.is_some_and(|p| {
            p.identity_json == plan.config.identity_json && p.certificate == plan.config.certificate
        });
        let on_expired = if applied_before {
            OnExpired::Recheck
        } else {
            OnExpired::Fail
        };
        let Some(outputs) = check(plan.config, now, on_expired, plan.diagnostics) else {
            return;
        };
        let expired = outputs.expired;
        outputs.write_to(plan.planned);
        if expired {
            plan.planned.expires_at = Tf::Unknown;
        }
    }

    async fn create(
        &self,
        _ctx: &ResourceContext,
        req: CreateRequest<'_, IdentityImportModel>,
    ) -> Result<IdentityImportModel, ApplyError<IdentityImportModel>> {
        Ok(applied(req.planned, &req.config)?)
    }

    async fn read(
        &self,
        _ctx: &ResourceContext,
        req: ReadRequest<'_, IdentityImportModel>,
    ) -> Result<Option<IdentityImportModel>, Diagnostics> {
        let mut diags = Diagnostics::new();
        recheck_expiry(&req.state, OffsetDateTime::now_utc(), &mut diags);
        // Warnings only (an error would also stop `terraform destroy`). A read that returns
        // diagnostics keeps the current state as it is, which is all there is to read here.
        if diags.is_empty() {
            Ok(Some(req.state))
        } else {
            Err(diags)
        }
    }

    async fn update(
        &self,
        _ctx: &ResourceContext,
        req: UpdateRequest<'_, IdentityImportModel>,
    ) -> Result<IdentityImportModel, ApplyError<IdentityImportModel>> {
        Ok(applied(req.planned, &req.config)?)
    }

    async fn delete(
        &self,
        _ctx: &ResourceContext,
        _req: DeleteRequest<'_, IdentityImportModel>,
    ) -> Result<(), Diagnostics> {
        Ok(()) // nothing exists outside the state
    }

    async fn import(
        &self,
        _ctx: &ResourceContext,
        _id: &str,
        _private: &mut Private,
    ) -> Result<IdentityImportModel, Diagnostics> {
        Err(Diagnostic::error(
            "blockchain_identity_import cannot be imported",
            "There is no server object to import: the console keeps identities in the browser's \
             wallet. Add the resource to the configuration with the identity file (identity_json) \
             or its PEMs, and apply: that only checks the identity and records it in state.",
        )
        .into())
    }
}

/// Create and update: the same checks as at plan, now that every input is known.
fn applied(
    mut planned: IdentityImportModel,
    config: &IdentityImportModel,
) -> Result<IdentityImportModel, Diagnostics> {
    let mut diags = Diagnostics::new();
    match check(
        config,
        OffsetDateTime::now_utc(),
        OnExpired::Fail,
        &mut diags,
    ) {
        Some(outputs) => {
            outputs.write_to(&mut planned);
            Ok(planned)
        }
        None if diags.has_errors() => Err(diags),
        None => Err(Diagnostic::error(
            "Identity inputs not known at apply",
            "Terraform passed an unknown input to apply; this is a bug in the provider.",
        )
        .into()),
    }
}

/// Exactly one source: `identity_json`, or `certificate` with `private_key`. Unknown values
/// count as set (they will be).
fn check_sources(c: &IdentityImportModel, diags: &mut Diagnostics) {
    let file = !c.identity_json.is_null();
    let cert = !c.certificate.is_null();
    let key = !c.private_key.is_null();
    let conflict = |path: AttributePath| {
        Diagnostic::error(
            "Conflicting identity sources",
            "Give the identity either as identity_json, or as certificate and private_key, not both.",
        )
        .at(path)
    };
    match (file, cert, key) {
        (true, true, _) => {
            diags.push(conflict(attr!(IdentityImportModel, certificate)));
        }
        (true, false, true) => {
            diags.push(conflict(attr!(IdentityImportModel, private_key)));
        }
        (true, false, false) | (false, true, true) => {}
        (false, true, false) => {
            diags.push(
                Diagnostic::error(
                    "Missing private key",
                    "certificate needs private_key: the identity signs with it.",
                )
                .at(attr!(IdentityImportModel, private_key)),
            );
        }
        (false, false, true) => {
            diags.push(
                Diagnostic::error(
                    "Missing certificate",
                    "private_key needs the certificate it belongs to.",
                )
                .at(attr!(IdentityImportModel, certificate)),
            );
        }
        (false, false, false) => {
            diags.push(
                Diagnostic::error(
                    "Missing identity",
                    "Set identity_json (an exported identity file), or certificate and private_key.",
                )
                .at(attr!(IdentityImportModel, identity_json)),
            );
        }
    }
}

/// What an expired certificate means to a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnExpired {
    /// An error at the certificate's attribute (create, apply).
    Fail,
    /// A warning, and `Outputs::expired` (a plan of the certificate in state: apply re-checks).
    Recheck,
}

/// What the checks derive from the inputs.
#[derive(Clone, PartialEq)]
struct Outputs {
    /// The certificate expired (only with `OnExpired::Recheck`).
    expired: bool,
    id: String,
    identity: IdentityValue,
    enroll_id: String,
    expires_at: String,
    ous: Vec<String>,
}

impl Outputs {
    fn write_to(self, m: &mut IdentityImportModel) {
        m.id = Tf::Known(self.id);
        m.identity = Tf::Known(self.identity);
        m.enroll_id = Tf::Known(self.enroll_id);
        m.expires_at = Tf::Known(self.expires_at);
        m.ous = Tf::Known(self.ous);
    }
}

/// The identity's certificate and key texts, where they came from, and what came with them.
struct Source {
    cert_pem: String,
    key_pem: String,
    /// Further certificates that came with the identity (its CA chain).
    bundled: Vec<String>,
    file_name: Option<String>,
    file_msp_id: Option<String>,
    cert_path: AttributePath,
    key_path: AttributePath,
}

/// The identity's source, `None` while a value is unknown (or missing: validate_config says so).
fn source(c: &IdentityImportModel, diags: &mut Diagnostics) -> Option<Source> {
    if let Some(text) = c.identity_json.known() {
        let path = attr!(IdentityImportModel, identity_json);
        let file = match parse_identity_file(text) {
            Ok(f) => f,
            Err(e) => {
                diags.push(Diagnostic::error("Invalid identity file", e).at(path));
                return None;
            }
        };
        return Some(Source {
            cert_pem: file.cert_pem,
            key_pem: file.private_key_pem,
            bundled: file
                .ca_pem
                .map(|ca| certificate_blocks(&ca))
                .unwrap_or_default(),
            file_name: file.name,
            file_msp_id: file.msp_id,
            cert_path: path.clone(),
            key_path: path,
        });
    }
    let (Tf::Known(cert), Tf::Known(key)) = (&c.certificate, &c.private_key) else {
        return None;
    };
    // PEM as given, or base64 of it as the console stores certificates.
    let pem = |s: &str| decode_b64_pem(s).and_then(|b| String::from_utf8(b).ok());
    let cert_path = attr!(IdentityImportModel, certificate);
    let key_path = attr!(IdentityImportModel, private_key);
    let Some(cert_pem) = pem(cert) else {
        diags.push(
            Diagnostic::error(
                "Invalid certificate",
                "certificate is not a PEM certificate.",
            )
            .at(cert_path),
        );
        return None;
    };
    let Some(key_pem) = pem(key) else {
        diags.push(
            Diagnostic::error(
                "Invalid private key",
                "private_key is not a PEM private key.",
            )
            .at(key_path),
        );
        return None;
    };
    Some(Source {
        cert_pem,
        key_pem,
        bundled: Vec::new(),
        file_name: None,
        file_msp_id: None,
        cert_path,
        key_path,
    })
}

/// Every check, errors and warnings at their attributes. `None` when an input is unknown or a
/// check failed (then `diags` holds the error).
fn check(
    c: &IdentityImportModel,
    now: OffsetDateTime,
    on_expired: OnExpired,
    diags: &mut Diagnostics,
) -> Option<Outputs> {
    let all_known = !c.msp_root_certs.is_unknown()
        && !c.msp_intermediate_certs.is_unknown()
        && !c.require_admin.is_unknown()
        && !c.expiry_warning.is_unknown()
        && !c.name.is_unknown()
        && !c.msp_id.is_unknown();
    if !all_known {
        return None;
    }
    let mut found = Diagnostics::new();
    let outputs = check_known(c, now, on_expired, &mut found);
    let failed = found.has_errors();
    diags.extend(found);
    outputs.filter(|_| !failed)
}

fn check_known(
    c: &IdentityImportModel,
    now: OffsetDateTime,
    on_expired: OnExpired,
    diags: &mut Diagnostics,
) -> Option<Outputs> {
    let src = source(c, diags)?;
    let mut blocks = certificate_blocks(&src.cert_pem);
    if blocks.is_empty() {
        diags.push(
            Diagnostic::error(
                "Invalid certificate",
                "The identity's certificate has no PEM CERTIFICATE block.",
            )
            .at(src.cert_path.clone()),
        );
        return None;
    }
    let leaf_pem = blocks.remove(0);
    let leaf = read_certificate(
        &leaf_pem,
        "The identity's certificate",
        &src.cert_path,
        diags,
    )?;
    let key = match PrivateKey::from_pem(&src.key_pem) {
        Ok(k) => k,
        Err(e) => {
            let detail = match e {
                KeyError::NotP256(kind) => format!(
                    "The private key is {kind}; Fabric identities made by a Fabric CA use ECDSA \
                     P-256 keys, the only kind this provider signs with."
                ),
                _ => {
                    "The private key is not a readable PEM private key (PKCS#8 or SEC1).".to_owned()
                }
            };
            diags.push(Diagnostic::error("Invalid private key", detail).at(src.key_path.clone()));
            return None;
        }
    };
    let identity = match SigningIdentity::new(leaf, key) {
        Ok(i) => i,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "Private key does not match the certificate",
                    format!("{e}: the key's public point is not the certificate's."),
                )
                .at(src.key_path.clone()),
            );
            return None;
        }
    };
    let cert = identity.certificate();
    let expired = check_validity(cert, c, now, on_expired, &src.cert_path, diags);

    let mut bundled = Vec::new();
    for pem in blocks.iter().chain(&src.bundled) {
        bundled.extend(read_certificate(
            pem,
            "A CA certificate that came with the identity",
            &src.cert_path,
            diags,
        ));
    }
    let ca_chain = match c.msp_root_certs.known() {
        Some(roots) if !roots.is_empty() => chain_to_roots(cert, roots, &bundled, c, diags)?,
        _ => bundled.iter().map(|b| b.pem().to_owned()).collect(),
    };

    let info = cert.info();
    if c.require_admin.known() == Some(&true) {
        check_admin(&info.organizational_units, diags);
    }
    let msp_id = match (c.msp_id.known(), src.file_msp_id) {
        (Some(given), Some(file)) if *given != file => {
            diags.push(
                Diagnostic::error(
                    "MSP id differs from the identity file's",
                    format!("msp_id is {given:?} but the identity file says {file:?}."),
                )
                .at(attr!(IdentityImportModel, msp_id)),
            );
            return None;
        }
        (Some(given), _) => Some(given.clone()),
        (None, file) => file,
    };
    let name = c
        .name
        .known()
        .cloned()
        .or(src.file_name)
        .unwrap_or_else(|| info.common_name.clone());
    Some(Outputs {
        expired,
        id: if info.authority_key_id_hex.is_empty() {
            info.serial_hex.clone()
        } else {
            format!("{}/{}", info.authority_key_id_hex, info.serial_hex)
        },
        identity: IdentityValue {
            name: Tf::Known(name),
            msp_id: Tf::from_option(msp_id),
            certificate: Tf::Known(leaf_pem),
            private_key: Tf::Known(identity.key().to_pkcs8_pem()),
            ca_chain: Tf::Known(ca_chain),
        },
        enroll_id: info.common_name.clone(),
        expires_at: rfc3339(info.not_after),
        ous: info.organizational_units.clone(),
    })
}

/// One certificate, or an error at `path` saying what `what` is and why it cannot be read.
fn read_certificate(
    pem: &str,
    what: &str,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> Option<Certificate> {
    match Certificate::from_pem(pem) {
        Ok(c) => Some(c),
        Err(e) => {
            let detail = match e {
                IdentityError::NotP256 => format!(
                    "{what} has a key that is not ECDSA P-256 (Fabric CA's key kind, the only one \
                     this provider checks signatures with)."
                ),
                other => format!("{what} is not a readable X.509 certificate: {other}."),
            };
            diags.push(Diagnostic::error("Invalid certificate", detail).at(path.clone()));
            None
        }
    }
}

/// Expired or not yet valid: errors (an expired one only a warning with `OnExpired::Recheck`;
/// then true); expiring within `expiry_warning`: a warning.
fn check_validity(
    cert: &Certificate,
    c: &IdentityImportModel,
    now: OffsetDateTime,
    on_expired: OnExpired,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> bool {
    let info = cert.info();
    let subject = format!("The certificate of {:?}", info.common_name);
    if now >= info.not_after {
        let detail = format!(
            "{subject} expired at {}. Re-enroll the identity (or export it again after the \
             console re-enrolled it) and give the new certificate and key.",
            rfc3339(info.not_after)
        );
        let diagnostic = match on_expired {
            OnExpired::Fail => Diagnostic::error("Certificate expired", detail),
            OnExpired::Recheck => Diagnostic::warning(
                "Certificate expired: the identity must be renewed",
                format!(
                    "{detail} The plan re-checks it at apply, and that apply fails until then."
                ),
            ),
        };
        diags.push(diagnostic.at(path.clone()));
        return on_expired == OnExpired::Recheck;
    }
    if now < info.not_before {
        diags.push(
            Diagnostic::error(
                "Certificate not yet valid",
                format!("{subject} is valid from {} only.", rfc3339(info.not_before)),
            )
            .at(path.clone()),
        );
        return false;
    }
    if cert.expires_within(now, expiry_window(c)) {
        diags.push(
            Diagnostic::warning(
                "Certificate expires soon",
                format!(
                    "{subject} expires at {}, within expiry_warning ({}). Re-enroll it before then: \
                     an expired identity cannot be applied.",
                    rfc3339(info.not_after),
                    c.expiry_warning.as_str().unwrap_or(DEFAULT_EXPIRY_WARNING)
                ),
            )
            .at(path.clone()),
        );
    }
    false
}

fn expiry_window(c: &IdentityImportModel) -> time::Duration {
    let text = c.expiry_warning.as_str().unwrap_or(DEFAULT_EXPIRY_WARNING);
    parse_go_duration(text)
        .ok()
        .and_then(|d| time::Duration::try_from(d).ok())
        .unwrap_or(time::Duration::ZERO)
}

/// The CA certificates from the certificate's issuer up to one of `roots`, each signature
/// verified (docs/dev/identity-import.md#chain-verification); an error at `msp_root_certs` when
/// there is none.
fn chain_to_roots(
    cert: &Certificate,
    roots: &[String],
    bundled: &[Certificate],
    c: &IdentityImportModel,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    let roots_path = attr!(IdentityImportModel, msp_root_certs);
    let inter_path = attr!(IdentityImportModel, msp_intermediate_certs);
    let roots = read_cas(roots, &roots_path, "MSP root certificate", diags);
    let given = c
        .msp_intermediate_certs
        .known()
        .cloned()
        .unwrap_or_default();
    let mut intermediates = read_cas(&given, &inter_path, "MSP intermediate certificate", diags);
    intermediates.extend(bundled.iter().filter(|b| b.is_ca()).cloned());
    if diags.has_errors() {
        return None;
    }
    if let Some(chain) = cert.chain_to(&roots, &intermediates) {
        return Some(chain.iter().map(|c| c.pem().to_owned()).collect());
    }
    let info = cert.info();
    diags.push(
        Diagnostic::error(
            "Certificate does not chain to the MSP's roots",
            format!(
                "The certificate of {:?} (issuer {:?}) is not signed by any of the {} root \
                 certificate(s), directly or through the {} intermediate(s) given: it belongs to \
                 another CA, or an intermediate is missing (msp_intermediate_certs).",
                info.common_name,
                info.issuer_common_name,
                roots.len(),
                intermediates.len(),
            ),
        )
        .at(roots_path),
    );
    None
}

/// The CA certificates of a list attribute; errors at `path[i]`.
fn read_cas(
    pems: &[String],
    path: &AttributePath,
    what: &str,
    diags: &mut Diagnostics,
) -> Vec<Certificate> {
    let mut cas = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let at = path.clone().index(i64::try_from(i).unwrap_or(i64::MAX));
        let text = decode_b64_pem(pem)
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let blocks = certificate_blocks(&text);
        if blocks.is_empty() {
            diags.push(
                Diagnostic::error(
                    "Invalid certificate",
                    format!("{what} {i} is not a PEM certificate."),
                )
                .at(at.clone()),
            );
        }
        for block in blocks {
            let Some(ca) = read_certificate(&block, &format!("{what} {i}"), &at, diags) else {
                continue;
            };
            if !ca.is_ca() {
                diags.push(
                    Diagnostic::error(
                        "Not a CA certificate",
                        format!(
                            "{what} {i} ({:?}) is not a CA certificate (basic constraints CA:TRUE).",
                            ca.info().common_name
                        ),
                    )
                    .at(at.clone()),
                );
                continue;
            }
            cas.push(ca);
        }
    }
    cas
}

/// The admin role by NodeOU: the `admin` OU and no other role OU (Fabric refuses an identity
/// with two roles: docs/dev/identity-import.md#nodeou-roles).
fn check_admin(ous: &[String], diags: &mut Diagnostics) {
    let roles: Vec<&str> = ous
        .iter()
        .map(String::as_str)
        .filter(|ou| ROLE_OUS.contains(ou))
        .collect();
    if roles != [ADMIN_OU] {
        diags.push(
            Diagnostic::error(
                "Not an admin identity",
                format!(
                    "require_admin is true, but the certificate's OUs {ous:?} give it the role(s) \
                     {roles:?}: an admin has the OU {ADMIN_OU:?} and no other role OU. Register \
                     and enroll the identity with type admin."
                ),
            )
            .at(attr!(IdentityImportModel, require_admin)),
        );
    }
}

/// Read: the certificate may have expired since it was checked. Warnings, since the state is
/// still what was applied; the plan that follows re-checks an expired one at apply.
fn recheck_expiry(state: &IdentityImportModel, now: OffsetDateTime, diags: &mut Diagnostics) {
    let Some(pem) = state.identity.known().and_then(|i| i.certificate.known()) else {
        return;
    };
    let Ok(cert) = Certificate::from_pem(pem) else {
        return;
    };
    let info = cert.info();
    let path = if state.identity_json.is_null() {
        attr!(IdentityImportModel, certificate)
    } else {
        attr!(IdentityImportModel, identity_json)
    };
    if now >= info.not_after {
        diags.push(
            Diagnostic::warning(
                "Imported identity expired",
                format!(
                    "The certificate of {:?} expired at {}: resources that use this identity will \
                     be refused. The plan re-checks it at apply, and that apply fails until a \
                     renewed identity is given.",
                    info.common_name,
                    rfc3339(info.not_after)
                ),
            )
            .at(path),
        );
    } else if cert.expires_within(now, expiry_window(state)) {
        diags.push(
            Diagnostic::warning(
                "Imported identity expires soon",
                format!(
                    "The certificate of {:?} expires at {}.",
                    info.common_name,
                    rfc3339(info.not_after)
                ),
            )
            .at(path),
        );
    }
}

#[cfg(test)]
mod tests;
