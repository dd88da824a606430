//! `blockchain_enrolled_identity`: an enrollment certificate (or TLS certificate) for an enroll
//! id, enrolled at a Fabric CA with a key made here (docs/dev/fabric-ca.md#enroll).
//!
//! Nothing of it lives on a server as an object: the CA keeps only the certificate it issued,
//! and the private key exists only in Terraform's state. So read refreshes the CA's chain and
//! nothing else, destroy forgets (the certificate stays valid until it expires or is revoked),
//! and import is impossible. Renewal (`/reenroll`, token of the current certificate) is planned
//! when the certificate is within `reenroll_before` of its end, when it no longer chains to the
//! CA's chain, or when what the certificate is asked for changes
//! (docs/dev/fabric-ca.md#enrolled-identities).

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::clients::Clients;
use crate::fabric::{
    AttributeRequest, CaEndpoint, Certificate, EnrollRequest, Enrollment, FabricCaError,
    ReenrollRequest, Refusal, Secret, SigningIdentity,
};
use crate::framework::{
    parse_go_duration, timeouts_block, validators, ApplyError, CreatePlan, CreateRequest,
    DeleteRequest, Diagnostic, Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf,
    TimeoutOp, Timeouts, TimeoutsModel, TypedResource, UpdateRequest, Value,
};
use crate::resources::export::export_identity_json;
use crate::resources::fabric_ca::{self, api_url_attribute, ca_name_attribute, tls_cert_attribute};
use crate::resources::pem::rfc3339;
use crate::{attr, tf_model};

/// The renewal window when `reenroll_before` is not set.
const DEFAULT_REENROLL_BEFORE: &str = "720h";
/// The TLS CA's name on a console-deployed CA server (docs/dev/fabric-ca.md#ca-selection).
const CONSOLE_TLSCA_NAME: &str = "tlsca";

const DEFAULTS: Timeouts = Timeouts {
    create: Duration::from_secs(5 * 60),
    read: Duration::from_secs(2 * 60),
    update: Duration::from_secs(5 * 60),
    delete: Duration::from_secs(60),
};

tf_model! {
    /// One `attr_reqs` block: an attribute asked for in the certificate.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AttrReqModel {
        pub name: Tf<String> => |a| a.required()
            .description("Name of a registered attribute of the identity to put in the certificate, e.g. `hf.Type` or `role`.")
            .validate(validators::not_empty()),
        pub optional: Tf<bool> => |a| a.optional()
            .description("When true, an attribute the identity does not have is skipped; otherwise the CA refuses the enrollment. Default false."),
    }
}

tf_model! {
    /// The state of one `blockchain_enrolled_identity`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct EnrolledIdentityModel {
        pub api_url: Tf<String> => api_url_attribute,
        pub ca_name: Tf<String> => ca_name_attribute,
        pub tls_cert: Tf<String> => tls_cert_attribute,
        pub enroll_id: Tf<String> => |a| a.required().requires_replace()
            .description("Enroll id registered at the CA (for example the CA's `admin_enroll_id`, or a `blockchain_ca_identity`). It is the certificate's common name. Changing it enrolls the new id (a new resource).")
            .validate(validators::not_empty()),
        pub enroll_secret: Tf<String> => |a| a.required().sensitive().write_only()
            .description(
                "Enroll secret of `enroll_id`. Write-only: never stored in state or shown in plans. \
                 It is used when the identity is enrolled (create or replacement) and when a \
                 renewal falls back to a fresh enroll because the CA no longer accepts the current \
                 certificate; a routine renewal authenticates with the current certificate instead. \
                 Changing it therefore does nothing by itself: Terraform cannot see the change, and \
                 the existing certificate stays as it is.",
            ),
        pub csr_hosts: Tf<Vec<String>> => |a| a.optional()
            .description(
                "Host names and IP addresses for the certificate's subject alternative names (they \
                 replace the request's at the CA). Set them for a TLS certificate, enrolled at the \
                 TLS CA (`ca_name = blockchain_ca.<name>.tlsca_name`) whose default profile is the \
                 TLS one. Changing them re-enrolls in place.",
            )
            .validate(validators::each_string(validators::not_empty())),
        pub profile: Tf<String> => |a| a.optional()
            .description(
                "Signing profile of the CA. Leave it unset for the CA's default, which is the TLS \
                 profile at a console-deployed TLS CA (there, `tls` names a certificate-signing \
                 profile). Changing it re-enrolls in place.",
            )
            .validate(validators::not_empty()),
        pub reenroll_before: Tf<String> => |a| a.default_value(Value::string(DEFAULT_REENROLL_BEFORE))
            .description(
                "Renewal window, a Go duration (default `720h`). When the certificate ends within \
                 this long of the plan's time, the plan shows an update and the apply re-enrolls \
                 (`/reenroll`, authenticated by the current certificate): a new certificate with a \
                 new private key. `0s` renews only expired certificates.",
            )
            .validate(validators::go_duration()),
        pub msp_id: Tf<String> => |a| a.optional()
            .description("MSP id of the organization the identity belongs to. The CA does not know it: it is only written into `export_json`.")
            .validate(validators::not_empty()),
        pub wallet_name: Tf<String> => |a| a.optional()
            .description("Name of the identity in `export_json` (the console wallet's name for it). Defaults to `enroll_id`.")
            .validate(validators::not_empty()),
        pub certificate: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("The certificate the CA issued, PEM, exactly as issued."),
        pub ca_chain: Tf<Vec<String>> => |a| a.computed().use_state_for_unknown()
            .description("The CA's chain, one PEM certificate each, root first. Refreshed from the CA's `/cainfo` on every read; a certificate that no longer chains to it is re-enrolled."),
        pub private_key: Tf<String> => |a| a.computed().sensitive().use_state_for_unknown()
            .description(
                "The identity's P-256 private key, PKCS #8 PEM. It is made by the provider and never \
                 sent anywhere; it is kept in Terraform's state because what uses the identity (an \
                 MSP's admin, a peer, channel operations) needs it. Protect the state accordingly.",
            ),
        pub expires_at: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("End of the certificate's validity, RFC 3339."),
        pub export_json: Tf<String> => |a| a.computed().sensitive()
            .description(
                "The identity as the console wallet's export button writes it (`cert`, `name`, \
                 `private_key`, `type = \"identity\"`, base64 PEMs, sorted keys, 4-space indent), \
                 plus `msp_id` when set. Import it into a console's wallet, or pass it to \
                 `blockchain_identity_import`. Sensitive: it holds the private key.",
            ),
        pub attr_reqs: Vec<AttrReqModel> => block |b| b.description(
            "Attributes to put in the certificate. Without any, the CA adds the identity's \
             attributes registered with `ecert = true`. Changing them re-enrolls in place.",
        ),
        pub timeouts: Tf<TimeoutsModel> => block |_| timeouts_block(
            &[TimeoutOp::Create, TimeoutOp::Update],
            &DEFAULTS,
        ),
    }
}

pub struct EnrolledIdentityResource;

#[async_trait]
impl TypedResource for EnrolledIdentityResource {
    type Model = EnrolledIdentityModel;

    fn type_name(&self) -> &'static str {
        "blockchain_enrolled_identity"
    }

    fn description(&self) -> String {
        "An identity enrolled at a Fabric CA: a P-256 key made by the provider, a certificate \
         for `enroll_id` issued by the CA (an enrollment certificate, or a TLS certificate with \
         `csr_hosts` at the TLS CA), the CA's chain, and the identity in the console wallet's \
         export format. This is how the CA admin becomes a registrar and how the organization \
         admin gets its identity. The certificate is renewed in place when it comes within \
         `reenroll_before` of its end. An enroll whose answer was lost is simply enrolled again \
         by the next apply (the CA allows it while the identity has enrollments left). \
         Destroying it only forgets it: the certificate stays valid at the CA until it expires \
         or is revoked. This resource cannot be imported: its private key exists only in \
         Terraform's state and cannot be read from any server."
            .to_owned()
    }

    /// An explicit `tls` profile at a console's TLS CA is the certificate-signing completion
    /// fabric-ca adds, not a TLS profile (docs/dev/fabric-ca.md#signing-profiles).
    fn validate_config(&self, config: &EnrolledIdentityModel, diags: &mut Diagnostics) {
        let at_console_tlsca = config.ca_name.as_str() == Some(CONSOLE_TLSCA_NAME);
        if at_console_tlsca && config.profile.as_str() == Some("tls") {
            diags.push(
                Diagnostic::warning(
                    "The `tls` profile of a console's TLS CA signs certificates",
                    "At a console-deployed TLS CA the default profile is the TLS one (server and \
                     client auth); its `tls` profile issues certificates with cert sign and CRL \
                     sign and no TLS usage. Leave `profile` unset for a TLS certificate.",
                )
                .at(attr!(EnrolledIdentityModel, profile)),
            );
        }
    }

    /// An enroll (a create, or a replacement's create) needs the secret: checked at plan, so a
    /// replacement never forgets an identity it cannot enroll again.
    fn validate_create(
        &self,
        plan: &CreatePlan<'_, EnrolledIdentityModel>,
        diags: &mut Diagnostics,
    ) {
        plan.require(
            attr!(EnrolledIdentityModel, enroll_secret),
            &plan.config.enroll_secret,
            "enroll the identity",
            diags,
        );
    }

    /// Plans a renewal when one is due; the clock is read once per plan.
    async fn modify_plan(
        &self,
        _ctx: &ResourceContext,
        plan: ModelPlan<'_, EnrolledIdentityModel>,
    ) {
        let Some(prior) = plan.prior else { return };
        if !plan.requires_replace.is_empty() {
            return; // a new enrollment: every computed value is unknown already
        }
        if let Some(reason) = renewal_reason(prior, plan.planned, OffsetDateTime::now_utc()) {
            plan_renewal(plan.planned);
            plan.diagnostics.push(
                Diagnostic::warning("The certificate will be re-enrolled", reason)
                    .at(attr!(EnrolledIdentityModel, certificate)),
            );
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, EnrolledIdentityModel>,
    ) -> Result<EnrolledIdentityModel, ApplyError<EnrolledIdentityModel>> {
        let CreateRequest {
            planned, config, ..
        } = req;
        let limit = planned.timeouts.get(TimeoutOp::Create, DEFAULTS.create);
        let enrollment = enroll(ctx, &planned, &config, limit, "timeouts.create").await?;
        Ok(enrolled_state(&planned, &enrollment))
    }

    /// Refreshes `ca_chain` from the CA. A CA that cannot be asked leaves the state as it is,
    /// with a warning (the certificate is still what was issued).
    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, EnrolledIdentityModel>,
    ) -> Result<Option<EnrolledIdentityModel>, Diagnostics> {
        let mut state = req.state;
        let Some(ca) = endpoint(&state) else {
            return Ok(Some(state));
        };
        let client = Clients::fabric_ca(ctx)?;
        let cancel = ctx.cancelled();
        match client
            .ca_info(
                &ca.api_url,
                &ca.ca_name,
                ca.tls_root_pem.as_deref(),
                &cancel,
            )
            .await
        {
            Ok(info) => {
                let chain = info.ca_chain_pems();
                if !chain.is_empty() {
                    state.ca_chain = Tf::Known(chain);
                }
                Ok(Some(state))
            }
            // Only a warning: the server keeps the state it holds.
            Err(e) => Err(Diagnostic::warning(
                "Could not refresh the CA's chain",
                format!(
                    "{e}. The identity is kept as it is in state; its certificate is checked \
                     against the chain held there."
                ),
            )
            .at(attr!(EnrolledIdentityModel, ca_chain))
            .into()),
        }
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, EnrolledIdentityModel>,
    ) -> Result<EnrolledIdentityModel, ApplyError<EnrolledIdentityModel>> {
        let UpdateRequest {
            prior,
            planned,
            config,
            ..
        } = req;
        // Only what the provider keeps changed (trust, window, export fields, timeouts).
        if !planned.certificate.is_unknown() {
            let mut state = planned;
            state.export_json = export_json(&state);
            return Ok(state);
        }
        let limit = planned.timeouts.get(TimeoutOp::Update, DEFAULTS.update);
        let enrollment = reenroll(ctx, &prior, &planned, &config, limit).await?;
        Ok(enrolled_state(&planned, &enrollment))
    }

    /// Nothing to delete on the CA; the warning says what stays.
    async fn delete(
        &self,
        _ctx: &ResourceContext,
        req: DeleteRequest<'_, EnrolledIdentityModel>,
    ) -> Result<(), Diagnostics> {
        let who = req.prior.enroll_id.as_str().unwrap_or("the identity");
        let until = req
            .prior
            .expires_at
            .as_str()
            .map(|t| format!(" (it ends {t})"))
            .unwrap_or_default();
        // Warnings only: the framework takes that as deleted.
        Err(Diagnostic::warning(
            "The enrollment stays valid at the CA",
            format!(
                "The certificate of {who} and its private key were removed from Terraform's state \
                 only: a CA has nothing to delete for an enrollment, so the certificate stays valid \
                 until it expires{until} or is revoked at the CA. Anyone holding a copy of the \
                 state or of export_json can still use it."
            ),
        )
        .into())
    }

    async fn import(
        &self,
        _ctx: &ResourceContext,
        _id: &str,
        _private: &mut Private,
    ) -> Result<EnrolledIdentityModel, Diagnostics> {
        Err(Diagnostic::error(
            "blockchain_enrolled_identity cannot be imported",
            "Its private key was made by the provider and exists only in Terraform's state; no \
             server can give it back. Declare the resource and apply: it enrolls the id again \
             (or use blockchain_identity_import for an identity exported from a console).",
        )
        .into())
    }
}

/// Where the CA is, from a plan or state; `None` while the address is not known.
fn endpoint(m: &EnrolledIdentityModel) -> Option<CaEndpoint> {
    let api_url = m.api_url.known()?;
    Some(fabric_ca::endpoint(api_url, &m.ca_name, &m.tls_cert))
}

fn endpoint_or_error(m: &EnrolledIdentityModel) -> Result<CaEndpoint, Diagnostics> {
    endpoint(m).ok_or_else(|| {
        Diagnostic::error(
            "The CA is not known",
            "api_url and ca_name must be known when the change is applied.",
        )
        .at(attr!(EnrolledIdentityModel, api_url))
        .into()
    })
}

/// What the certificate is asked for: hosts, profile, attributes (unset and empty are alike).
#[derive(Debug, PartialEq)]
struct Requested {
    hosts: Vec<String>,
    profile: Option<String>,
    attr_reqs: Vec<AttributeRequest>,
}

impl Requested {
    /// `None` while some of it is not known.
    fn of(m: &EnrolledIdentityModel) -> Option<Self> {
        let hosts = match &m.csr_hosts {
            Tf::Unknown => return None,
            h => h.known().cloned().unwrap_or_default(),
        };
        if m.profile.is_unknown() {
            return None;
        }
        let mut attr_reqs = Vec::new();
        for r in &m.attr_reqs {
            if r.optional.is_unknown() {
                return None;
            }
            attr_reqs.push(AttributeRequest {
                name: r.name.known()?.clone(),
                optional: r.optional.known().copied().unwrap_or(false),
            });
        }
        Some(Requested {
            hosts,
            profile: m.profile.known().cloned(),
            attr_reqs,
        })
    }
}

/// Why `prior`'s certificate must be renewed under `planned` at `now`, if it must: it cannot
/// be read, it no longer chains to the CA's chain, what it is asked for changed, or it ends
/// within the renewal window.
pub(crate) fn renewal_reason(
    prior: &EnrolledIdentityModel,
    planned: &EnrolledIdentityModel,
    now: OffsetDateTime,
) -> Option<String> {
    let Some(pem) = prior.certificate.known() else {
        return Some("There is no certificate in state.".to_owned());
    };
    let cert = match Certificate::from_pem(pem) {
        Ok(c) => c,
        Err(e) => return Some(format!("The certificate in state cannot be read: {e}.")),
    };
    let chain: Option<Vec<Certificate>> = prior
        .ca_chain
        .known()
        .and_then(|pems| pems.iter().map(|p| Certificate::from_pem(p).ok()).collect());
    // A chain this provider cannot check (e.g. not P-256) proves nothing either way.
    if let Some(chain) = chain.filter(|c| !c.is_empty()) {
        if !cert.chains_to(&chain) {
            return Some(
                "The certificate no longer chains to the CA's chain (ca_chain, refreshed from the \
                 CA): the CA was recreated or its root changed."
                    .to_owned(),
            );
        }
    }
    if Requested::of(prior) != Requested::of(planned) {
        return Some(
            "csr_hosts, profile or attr_reqs changed: the certificate is issued again with them."
                .to_owned(),
        );
    }
    let window_text = planned
        .reenroll_before
        .as_str()
        .unwrap_or(DEFAULT_REENROLL_BEFORE);
    let window = parse_go_duration(window_text)
        .ok()
        .and_then(|d| time::Duration::try_from(d).ok())?;
    cert.expires_within(now, window).then(|| {
        format!(
            "The certificate ends {}, within reenroll_before ({window_text}) of now: the apply \
             re-enrolls it with a new private key.",
            rfc3339(cert.info().not_after)
        )
    })
}

/// Marks what a renewal changes unknown.
pub(crate) fn plan_renewal(planned: &mut EnrolledIdentityModel) {
    planned.certificate = Tf::Unknown;
    planned.ca_chain = Tf::Unknown;
    planned.private_key = Tf::Unknown;
    planned.expires_at = Tf::Unknown;
    planned.export_json = Tf::Unknown;
}

/// Runs `call` within `limit`; past it the request was sent, so the CA may have done it.
async fn within<T>(
    limit: Duration,
    setting: &str,
    request: &str,
    call: impl std::future::Future<Output = Result<T, FabricCaError>>,
) -> Result<T, FabricCaError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(FabricCaError::Uncertain {
            request: request.to_owned(),
            detail: format!("no answer within {setting}"),
        })
    })
}

/// A fresh enroll with the configured secret (basic auth).
async fn enroll(
    ctx: &ResourceContext,
    planned: &EnrolledIdentityModel,
    config: &EnrolledIdentityModel,
    limit: Duration,
    setting: &str,
) -> Result<Enrollment, Diagnostics> {
    let ca = endpoint_or_error(planned)?;
    let (Some(enroll_id), Some(secret)) = (planned.enroll_id.known(), config.enroll_secret.known())
    else {
        return Err(Diagnostic::error(
            "Missing enroll credentials",
            "enroll_id and enroll_secret are needed to enroll the identity.",
        )
        .at(attr!(EnrolledIdentityModel, enroll_secret))
        .into());
    };
    let requested = Requested::of(planned).unwrap_or(Requested {
        hosts: Vec::new(),
        profile: None,
        attr_reqs: Vec::new(),
    });
    let req = EnrollRequest {
        enroll_id: enroll_id.clone(),
        secret: Secret::new(secret.clone()),
        profile: requested.profile,
        hosts: requested.hosts,
        attr_reqs: requested.attr_reqs,
        key: None,
    };
    let client = Clients::fabric_ca(ctx)?;
    let cancel = ctx.cancelled();
    within(
        limit,
        setting,
        "POST /api/v1/enroll",
        client.enroll(&ca, &req, &cancel),
    )
    .await
    .map_err(|e| enroll_error(&e).into())
}

/// A renewal: `/reenroll` with the current certificate's token; when the CA no longer accepts
/// that certificate (revoked, from a CA since recreated, expired on a CA that checks), a fresh
/// enroll with the secret.
async fn reenroll(
    ctx: &ResourceContext,
    prior: &EnrolledIdentityModel,
    planned: &EnrolledIdentityModel,
    config: &EnrolledIdentityModel,
    limit: Duration,
) -> Result<Enrollment, Diagnostics> {
    let ca = endpoint_or_error(planned)?;
    let current = match (prior.certificate.known(), prior.private_key.known()) {
        (Some(cert), Some(key)) => SigningIdentity::from_pem(cert, key).ok(),
        _ => None,
    };
    let Some(current) = current else {
        return enroll(ctx, planned, config, limit, "timeouts.update").await;
    };
    let Some(requested) = Requested::of(planned) else {
        return Err(Diagnostic::error(
            "The requested certificate is not known",
            "csr_hosts, profile and attr_reqs must be known when the change is applied.",
        )
        .into());
    };
    let req = ReenrollRequest {
        profile: requested.profile,
        hosts: requested.hosts,
        attr_reqs: requested.attr_reqs,
        key: None,
    };
    let client = Clients::fabric_ca(ctx)?;
    let cancel = ctx.cancelled();
    let renewed = within(
        limit,
        "timeouts.update",
        "POST /api/v1/reenroll",
        client.reenroll(&ca, &current, &req, &cancel),
    )
    .await;
    match renewed {
        Ok(e) => Ok(e),
        Err(e) if e.refusal() == Some(Refusal::AuthenticationFailure) => {
            tracing::info!(
                enroll_id = current.enroll_id(),
                "the CA refused the current certificate for reenroll; enrolling with the secret"
            );
            enroll(ctx, planned, config, limit, "timeouts.update").await
        }
        Err(e) if e.is_uncertain() => Err(Diagnostic::error(
            "Re-enrollment uncertain",
            format!(
                "{e}. The state keeps the current certificate, which a re-enrollment does not \
                 revoke; the next apply re-enrolls again (a re-enrollment does not count against \
                 max_enrollments)."
            ),
        )
        .at(attr!(EnrolledIdentityModel, certificate))
        .into()),
        Err(e) => Err(Diagnostic::error("Re-enrollment failed", e.to_string())
            .at(attr!(EnrolledIdentityModel, certificate))
            .into()),
    }
}

/// The diagnostic of a failed enroll, at the attribute it is about. The secret is never in it:
/// the CA's messages do not carry it (docs/dev/fabric-ca.md#enroll-authentication).
fn enroll_error(e: &FabricCaError) -> Diagnostic {
    match e.refusal() {
        Some(Refusal::AuthenticationFailure) => Diagnostic::error(
            "The CA refused the enroll id and secret",
            format!(
                "{e}. A Fabric CA answers this for a wrong secret, an unknown enroll id, an \
                 identity that used up its enrollments or was revoked, and keeps the reason for \
                 its log. Check enroll_id and enroll_secret."
            ),
        )
        .at(attr!(EnrolledIdentityModel, enroll_secret)),
        Some(Refusal::UnknownCa) => {
            Diagnostic::error("No such CA", e.to_string()).at(attr!(EnrolledIdentityModel, ca_name))
        }
        _ if e.is_uncertain() => Diagnostic::error(
            "Enrollment uncertain",
            format!(
                "{e}. Nothing was recorded in state: the next apply enrolls again, which the CA \
                 allows while the identity has enrollments left (each enroll counts one against \
                 its max_enrollments)."
            ),
        ),
        _ => match e {
            FabricCaError::Config(_) | FabricCaError::Transport { .. } => {
                Diagnostic::error("Cannot reach the CA", e.to_string())
                    .at(attr!(EnrolledIdentityModel, api_url))
            }
            _ => Diagnostic::error("Enrollment failed", e.to_string()),
        },
    }
}

/// State after an enrollment: the plan's inputs and what the CA issued.
fn enrolled_state(planned: &EnrolledIdentityModel, e: &Enrollment) -> EnrolledIdentityModel {
    let cert = e.identity.certificate();
    let mut state = planned.clone();
    state.enroll_secret = Tf::Null;
    state.certificate = Tf::Known(cert.pem().to_owned());
    state.ca_chain = Tf::Known(e.ca_chain());
    state.private_key = Tf::Known(e.identity.key().to_pkcs8_pem());
    state.expires_at = Tf::Known(rfc3339(cert.info().not_after));
    state.export_json = export_json(&state);
    if state.timeouts.is_unknown() {
        state.timeouts = Tf::Null;
    }
    state
}

/// The console-wallet export of the state's certificate and key (unknown without them).
pub(crate) fn export_json(m: &EnrolledIdentityModel) -> Tf<String> {
    let (Some(cert), Some(key)) = (m.certificate.known(), m.private_key.known()) else {
        return Tf::Unknown;
    };
    let name = m
        .wallet_name
        .as_str()
        .or(m.enroll_id.as_str())
        .unwrap_or_default();
    Tf::Known(export_identity_json(name, cert, key, m.msp_id.as_str()))
}

#[cfg(test)]
mod tests;
