//! `blockchain_ca_identity`: an identity registered at a Fabric CA by a registrar
//! (`POST /register`), read, changed and removed through the CA's identities API
//! (docs/dev/fabric-ca.md#register; docs/dev/fabric-ca.md#modify-and-remove).
//!
//! The identity owns every attribute but the three the CA adds itself (`hf.EnrollmentID`,
//! `hf.Type`, `hf.Affiliation`): one added behind Terraform's back is drift and the next apply
//! removes it. fabric-ca merges a modify (docs/dev/fabric-ca.md#modify-and-remove), so a
//! removed attribute is sent with an empty value.
//!
//! Destroy removes the identity; a CA that refuses removal (code 56) gets the identity revoked
//! instead, and a warning says so. The secret is kept in state (sensitive): enrolling needs it.

use std::collections::BTreeSet;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::clients::Clients;
use crate::fabric::{
    Attribute, CaEndpoint, FabricCaClient, FabricCaError, IdentityInfo, ModifyIdentityRequest,
    Refusal, RegisterRequest, RevokeRequest, Secret, SigningIdentity,
};
use crate::framework::{
    validators, ApplyError, AttributePath, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TypedResource,
    UpdateRequest,
};
use crate::resources::fabric_ca::{
    self, api_url_attribute, ca_name_attribute, enroll_id_rules, tls_cert_attribute,
    SigningIdentityModel,
};
use crate::resources::lifecycle::{keep_planned, required};
use crate::{attr, tf_model};

/// The identity types a Fabric MSP classifies by NodeOU, plus fabric-ca's `user`.
const TYPES: [&str; 5] = ["peer", "orderer", "client", "admin", "user"];
/// Attributes the CA sets itself at registration (docs/dev/fabric-ca.md#registrar-attributes):
/// not the resource's, never drift, and refused in a registration.
const CA_OWN_ATTRIBUTES: [&str; 3] = ["hf.EnrollmentID", "hf.Type", "hf.Affiliation"];
/// The RFC 5280 reason fabric-ca itself uses when it removes an identity.
const REMOVAL_REASON: &str = "cessationofoperation";
/// Letters in a secret the provider sets itself (after a lost registration answer).
const SECRET_LENGTH: usize = 24;
/// fabric-ca's code for a `max_enrollments` it refuses (docs/dev/fabric-ca.md#maximum-enrollments).
const INVALID_MAX_ENROLLMENTS: i64 = 82;
/// fabric-ca's code for an affiliation a modify names that the CA does not have.
const UNKNOWN_AFFILIATION: i64 = 58;

tf_model! {
    /// One identity attribute, as fabric-ca's `api.Attribute`.
    #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
    pub struct IdentityAttributeModel {
        pub name: String => |a| a.required().description("Attribute name."),
        pub value: String => |a| a.required().description("Attribute value."),
        pub ecert: bool => |a| a.required().description("Whether enrollment certificates carry it by default."),
    }
}

tf_model! {
    /// The state of one `blockchain_ca_identity`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CaIdentityModel {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("`<api_url>|<ca_name>|<enroll_id>`, also the import id."),
        pub api_url: Tf<String> => api_url_attribute,
        pub ca_name: Tf<String> => ca_name_attribute,
        pub tls_cert: Tf<String> => tls_cert_attribute,
        pub registrar: Tf<SigningIdentityModel> => block |b| b.min_items(1).max_items(1).description(
            "The registrar that registers, reads, changes and removes the identity: an identity of \
             the same CA with `hf.Registrar.Roles` covering `type` (and `hf.Registrar.Attributes` \
             covering the attributes, `hf.Revoker` for the revoke fallback of destroy), such as the \
             CA admin. Kept in state (the key sensitive), because every read and the destroy sign \
             their requests with it; an imported identity has none until the configuration's is \
             applied.",
        ),
        pub enroll_id: Tf<String> => |a| enroll_id_rules(a.required().requires_replace()
            .description(
                "Enroll id of the identity (1 to 255 characters, no spaces and none of \
                 `` :/<>#{}%`[]\\^~|\" ``). Changing it forces a new identity.",
            )),
        pub r#type: Tf<String> => |a| a.required()
            .description("Identity type: `peer`, `orderer`, `client`, `admin` or `user`; enrollment certificates carry it as their first OU (the MSP's NodeOU). Changed in place.")
            .validate(validators::one_of(&TYPES)),
        pub affiliation: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality(same_affiliation)
            .description(
                "Affiliation, e.g. `org1.department1`, or `.` for the root. Defaults to the \
                 registrar's (the root for a console's CA admin; a console-deployed CA has no other \
                 affiliations). Changed in place.",
            )
            .validate(validators::not_empty()),
        pub max_enrollments: Tf<i64> => |a| a.optional().computed().use_state_for_unknown()
            .description(
                "How many times the identity may enroll: -1 for unlimited, or a positive number. \
                 Defaults to the CA's maximum (-1 on a console-deployed CA). 0 is refused: fabric-ca \
                 reads it as the default at registration and as `no change` when modifying. A CA \
                 with a limit refuses -1 and values above its limit. Changed in place.",
            )
            .validate(validators::int_between(-1, i64::from(i32::MAX))),
        pub attributes: Tf<BTreeSet<IdentityAttributeModel>> => |a| a.optional()
            .description(
                "Attributes as `{ name, value, ecert }` objects (`ecert`: whether enrollment \
                 certificates carry it by default). The resource manages every attribute of the \
                 identity but `hf.EnrollmentID`, `hf.Type` and `hf.Affiliation`, which the CA sets \
                 itself: an attribute not listed here is removed. `hf.*` attributes (registrar \
                 powers) need a registrar that holds them. Changed in place.",
            ),
        pub enroll_secret: Tf<String> => |a| a.optional().computed().sensitive().use_state_for_unknown()
            .description(
                "Enroll secret. When not set, the CA generates one at registration; either way it is \
                 kept in state (sensitive), because enrolling the identity needs it. A new value is \
                 set at the CA in place. An imported identity's secret is unknown to Terraform and \
                 stays null: the CA keeps its own.",
            )
            .validate(validators::not_empty()),
    }
}

pub struct CaIdentityResource;

/// What every call needs: the client, the CA, the registrar and Terraform's stop signal.
struct Session {
    client: FabricCaClient,
    ca: CaEndpoint,
    registrar: SigningIdentity,
    cancel: CancellationToken,
}

impl Session {
    fn new(ctx: &ResourceContext, m: &CaIdentityModel) -> Result<Self, Diagnostics> {
        let api_url = required(&m.api_url, attr!(CaIdentityModel, api_url))?;
        Ok(Self {
            client: Clients::fabric_ca(ctx)?,
            ca: fabric_ca::endpoint(&api_url, &m.ca_name, &m.tls_cert),
            registrar: fabric_ca::signing_identity(
                &m.registrar,
                attr!(CaIdentityModel, registrar),
            )?,
            cancel: ctx.cancelled(),
        })
    }

    async fn get(&self, id: &str) -> Result<IdentityInfo, FabricCaError> {
        self.client
            .get_identity(&self.ca, &self.registrar, id, &self.cancel)
            .await
    }

    async fn modify(
        &self,
        id: &str,
        req: &ModifyIdentityRequest,
    ) -> Result<IdentityInfo, FabricCaError> {
        self.client
            .modify_identity(&self.ca, &self.registrar, id, req, &self.cancel)
            .await
    }

    /// Error diagnostics for a failed call about `m`, at the attribute the cause belongs to.
    fn error(&self, m: &CaIdentityModel, doing: &str, e: &FabricCaError) -> Diagnostics {
        failure(m, self.registrar.enroll_id(), doing, e)
    }
}

#[async_trait]
impl TypedResource for CaIdentityResource {
    type Model = CaIdentityModel;

    fn type_name(&self) -> &'static str {
        "blockchain_ca_identity"
    }

    fn description(&self) -> String {
        "An identity registered at a Fabric CA by a registrar (the CA admin, for instance): its \
         type, affiliation, maximum enrollments and attributes, and its enroll secret (generated \
         by the CA when not given) for enrolling it. Destroy removes the identity; a CA that does \
         not allow removal gets it revoked instead, with a warning. Import with \
         `<api_url>|<ca_name>|<enroll_id>`: the registrar and the secret cannot be imported, so \
         the configuration supplies the registrar and the CA keeps its secret."
            .to_owned()
    }

    fn validate_config(&self, config: &CaIdentityModel, diags: &mut Diagnostics) {
        fabric_ca::check_signing_identity(
            &config.registrar,
            attr!(CaIdentityModel, registrar),
            diags,
        );
        if config.max_enrollments.known() == Some(&0) {
            diags.attribute_error(
                attr!(CaIdentityModel, max_enrollments),
                "Invalid attribute value",
                "max_enrollments 0 means `the CA's default` when registering and `no change` when \
                 modifying (docs: fabric-ca getMaxEnrollments): leave it out for the CA's default, \
                 or give -1 (unlimited) or a positive number.",
            );
        }
        if let Some(attrs) = config.attributes.known() {
            check_attributes(attrs, diags);
        }
    }

    /// A create (or a replacement's) needs the registrar: checked at plan, so a replacement
    /// never destroys an identity it cannot register again.
    fn validate_create(&self, plan: &CreatePlan<'_, CaIdentityModel>, diags: &mut Diagnostics) {
        let purpose = "register the identity";
        let path = attr!(CaIdentityModel, registrar);
        let registrar = plan.require(path.clone(), &plan.config.registrar, purpose, diags);
        if let Some(r) = registrar {
            plan.require(
                path.clone().attr("certificate"),
                &r.certificate,
                purpose,
                diags,
            );
            plan.require(path.attr("private_key"), &r.private_key, purpose, diags);
        }
    }

    async fn modify_plan(&self, ctx: &ResourceContext, plan: ModelPlan<'_, CaIdentityModel>) {
        let Some(prior) = plan.prior else { return };
        // An imported identity has no secret in state: null means "the CA keeps its own",
        // not "unknown until apply".
        if prior.enroll_secret.is_null() && plan.config.enroll_secret.is_null() {
            plan.planned.enroll_secret = Tf::Null;
        }
        // Never read (imported): the CA's values are learnt by the apply, not kept as null.
        if prior.affiliation.is_null() && plan.config.affiliation.is_null() {
            plan.planned.affiliation = Tf::Unknown;
        }
        if prior.max_enrollments.is_null() && plan.config.max_enrollments.is_null() {
            plan.planned.max_enrollments = Tf::Unknown;
        }
        // An imported identity was never read (no registrar then): the configuration's
        // registrar checks now, at plan, that the import id names an identity.
        if prior.registrar.is_null() && plan.config.registrar.is_known() {
            let Some(id) = prior.enroll_id.known() else {
                return;
            };
            let Ok(session) = Session::new(ctx, plan.planned) else {
                return; // validate_config and apply report it
            };
            if let Err(e) = session.get(id).await {
                plan.diagnostics.extend(session.error(
                    plan.planned,
                    "read the imported identity",
                    &e,
                ));
            }
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, CaIdentityModel>,
    ) -> Result<CaIdentityModel, ApplyError<CaIdentityModel>> {
        let planned = req.planned;
        let session = Session::new(ctx, &planned)?;
        let enroll_id = required(&planned.enroll_id, attr!(CaIdentityModel, enroll_id))?;
        let planned = CaIdentityModel {
            id: Tf::Known(import_id(&session.ca, &enroll_id)),
            ..planned
        };
        let request = register_request(&planned, &enroll_id);
        let (secret, info) = register(&session, &planned, &request).await?;
        let state = CaIdentityModel {
            enroll_secret: Tf::Known(secret.expose().to_owned()),
            ..live_state(&planned, &info)
        };
        Ok(keep_planned(&planned, state))
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, CaIdentityModel>,
    ) -> Result<Option<CaIdentityModel>, Diagnostics> {
        let state = req.state;
        // Imported, not yet applied with the configuration's registrar: nothing can sign the
        // read; the plan checks the identity with the configured registrar instead.
        if state.registrar.is_null() {
            return Ok(Some(state));
        }
        let Some(id) = state.enroll_id.known() else {
            return Ok(None);
        };
        let session = Session::new(ctx, &state)?;
        match session.get(id).await {
            Ok(info) => Ok(Some(live_state(&state, &info))),
            Err(e) if e.refusal() == Some(Refusal::NotFound) => Ok(None),
            Err(e) => Err(session.error(&state, "read the identity", &e)),
        }
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, CaIdentityModel>,
    ) -> Result<CaIdentityModel, ApplyError<CaIdentityModel>> {
        let UpdateRequest { prior, planned, .. } = req;
        let session = Session::new(ctx, &planned)?;
        let enroll_id = required(&planned.enroll_id, attr!(CaIdentityModel, enroll_id))?;
        // The change is worked out against the identity as it is now (after an import, the
        // state knows none of it), since fabric-ca merges what it is sent.
        let live = session
            .get(&enroll_id)
            .await
            .map_err(|e| session.error(&planned, "read the identity", &e))?;
        let info = match modify_request(&prior, &planned, &live) {
            Some(change) => session
                .modify(&enroll_id, &change)
                .await
                .map_err(|e| session.error(&planned, "change the identity", &e))?,
            None => live,
        };
        Ok(keep_planned(&planned, live_state(&planned, &info)))
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, CaIdentityModel>,
    ) -> Result<(), Diagnostics> {
        let prior = req.prior;
        let Some(id) = prior.enroll_id.known() else {
            return Ok(());
        };
        if prior.registrar.is_null() {
            return Err(Diagnostic::error(
                "No registrar to remove the identity with",
                format!(
                    "The identity '{id}' was imported and never applied with a registrar, so \
                     nothing can sign its removal. Apply the configuration first, or remove it \
                     from the state with `terraform state rm` to leave it at the CA."
                ),
            )
            .at(attr!(CaIdentityModel, registrar))
            .into());
        }
        let session = Session::new(ctx, &prior)?;
        // Removing the registrar's own identity needs `force` (docs/dev/fabric-ca.md#modify-and-remove);
        // destroying it is that request.
        let force = session.registrar.enroll_id() == id;
        let removed = session
            .client
            .remove_identity(&session.ca, &session.registrar, id, force, &session.cancel)
            .await;
        match removed {
            Ok(_) => Ok(()),
            Err(e) if e.refusal() == Some(Refusal::NotFound) => Ok(()),
            Err(e) if e.refusal() == Some(Refusal::RemovalRefused) => {
                revoke_instead(&session, &prior, id, &e).await
            }
            Err(e) => Err(session.error(&prior, "remove the identity", &e)),
        }
    }

    async fn import(
        &self,
        _ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<CaIdentityModel, Diagnostics> {
        let parts: Vec<&str> = id.split('|').collect();
        let [api_url, ca_name, enroll_id] = parts.as_slice() else {
            return Err(bad_import_id(id));
        };
        if [api_url, ca_name, enroll_id].iter().any(|p| p.is_empty()) {
            return Err(bad_import_id(id));
        }
        Ok(CaIdentityModel {
            id: Tf::Known(id.to_owned()),
            api_url: Tf::Known((*api_url).to_owned()),
            ca_name: Tf::Known((*ca_name).to_owned()),
            enroll_id: Tf::Known((*enroll_id).to_owned()),
            ..CaIdentityModel::default()
        })
    }
}

fn bad_import_id(id: &str) -> Diagnostics {
    Diagnostic::error(
        "Invalid import id",
        format!(
            "Expected `<ca api_url>|<ca_name>|<enroll id>`, e.g. \
             `https://org1ca-ca.example.org:7054|ca|org1peer0`; got {id:?}."
        ),
    )
    .into()
}

/// The id (and import id) of an identity.
fn import_id(ca: &CaEndpoint, enroll_id: &str) -> String {
    format!("{}|{}|{enroll_id}", ca.api_url, ca.ca_name)
}

/// `.` and `` both name the root affiliation (the CA reports it as ``).
fn same_affiliation(a: &str, b: &str) -> bool {
    let root = |s: &str| if s == "." { "" } else { s }.to_owned();
    root(a) == root(b)
}

/// Plan-time rules for the attributes: unique non-empty names, not the CA's own, and no empty
/// value (an empty value means "remove" to fabric-ca).
fn check_attributes(attrs: &BTreeSet<IdentityAttributeModel>, diags: &mut Diagnostics) {
    let path = attr!(CaIdentityModel, attributes);
    let mut seen = BTreeSet::new();
    for a in attrs {
        let problem = if a.name.trim().is_empty() {
            Some("an attribute name is empty".to_owned())
        } else if CA_OWN_ATTRIBUTES.contains(&a.name.as_str()) {
            Some(format!(
                "{} is set by the CA itself (from enroll_id, type and affiliation) and cannot be given",
                a.name
            ))
        } else if a.value.is_empty() {
            Some(format!(
                "attribute {} has an empty value, which fabric-ca reads as `remove it`: leave the \
                 attribute out instead",
                a.name
            ))
        } else if !seen.insert(a.name.as_str()) {
            Some(format!(
                "attribute {} is given more than once (the CA keeps one value per name)",
                a.name
            ))
        } else {
            None
        };
        if let Some(detail) = problem {
            diags.attribute_error(path.clone(), "Invalid attribute value", detail);
        }
    }
}

/// The attributes the resource manages, from the CA's full list.
fn managed_attributes(attrs: &[Attribute]) -> BTreeSet<IdentityAttributeModel> {
    attrs
        .iter()
        .filter(|a| !CA_OWN_ATTRIBUTES.contains(&a.name.as_str()))
        .map(|a| IdentityAttributeModel {
            name: a.name.clone(),
            value: a.value.clone(),
            ecert: a.ecert,
        })
        .collect()
}

fn to_attribute(a: &IdentityAttributeModel) -> Attribute {
    Attribute {
        name: a.name.clone(),
        value: a.value.clone(),
        ecert: a.ecert,
    }
}

/// The registration the plan asks for.
fn register_request(planned: &CaIdentityModel, enroll_id: &str) -> RegisterRequest {
    RegisterRequest {
        id: enroll_id.to_owned(),
        identity_type: planned.r#type.as_str().unwrap_or_default().to_owned(),
        secret: planned.enroll_secret.as_str().map(Secret::from),
        max_enrollments: planned.max_enrollments.known().copied(),
        // Empty: the registrar's affiliation (docs/dev/fabric-ca.md#registrar-rules).
        affiliation: planned.affiliation.as_str().unwrap_or_default().to_owned(),
        attrs: planned
            .attributes
            .known()
            .map(|s| s.iter().map(to_attribute).collect())
            .unwrap_or_default(),
    }
}

/// Registers, settling a lost answer by reading the identity before anything is sent again
/// (docs/dev/fabric-ca.md#lost-answers): never a duplicate, and an identity found is adopted
/// only when it is what was asked. Answers the secret and the identity as the CA holds it.
async fn register(
    session: &Session,
    planned: &CaIdentityModel,
    request: &RegisterRequest,
) -> Result<(Secret, IdentityInfo), ApplyError<CaIdentityModel>> {
    let mut answer_lost = false;
    for _ in 0..2 {
        let sent = session
            .client
            .register(&session.ca, &session.registrar, request, &session.cancel)
            .await;
        match sent {
            Ok(secret) => {
                let info = session.get(&request.id).await.map_err(|e| {
                    // Registered: recorded (tainted), so nothing is left behind untracked.
                    let d = session.error(planned, "read the registered identity", &e);
                    ApplyError::partial(d, registered_only(planned, &secret))
                })?;
                return Ok((secret, info));
            }
            Err(e) if e.refusal() == Some(Refusal::AlreadyRegistered) && answer_lost => {
                let info = session
                    .get(&request.id)
                    .await
                    .map_err(|e| session.error(planned, "read the identity", &e))?;
                return adopt(session, planned, request, info).await;
            }
            Err(e) if e.is_uncertain() => {
                answer_lost = true;
                match session.get(&request.id).await {
                    Ok(info) => return adopt(session, planned, request, info).await,
                    // Not registered: sending it again cannot make a duplicate.
                    Err(g) if g.refusal() == Some(Refusal::NotFound) => continue,
                    Err(g) => {
                        let mut d = session.error(planned, "register the identity", &e);
                        d.extend(session.error(planned, "read the identity back", &g));
                        return Err(unconfirmed(d, planned));
                    }
                }
            }
            Err(e) => return Err(session.error(planned, "register the identity", &e).into()),
        }
    }
    let d = Diagnostic::error(
        "Registration not confirmed",
        format!(
            "The CA's answers to registering '{}' were lost twice; it may or may not be registered. \
             The next plan reads it back.",
            request.id
        ),
    )
    .at(attr!(CaIdentityModel, enroll_id));
    Err(unconfirmed(d.into(), planned))
}

/// A create whose outcome is unknown is recorded (tainted): the next refresh finds out, and a
/// found identity is replaced (removed, registered again) rather than left behind.
fn unconfirmed(d: Diagnostics, planned: &CaIdentityModel) -> ApplyError<CaIdentityModel> {
    let partial = CaIdentityModel {
        id: planned.id.clone(),
        api_url: planned.api_url.clone(),
        ca_name: planned.ca_name.clone(),
        tls_cert: planned.tls_cert.clone(),
        registrar: planned.registrar.clone(),
        enroll_id: planned.enroll_id.clone(),
        r#type: planned.r#type.clone(),
        ..CaIdentityModel::default()
    };
    ApplyError::partial(d, partial)
}

/// The state of an identity registered whose read-back failed.
fn registered_only(planned: &CaIdentityModel, secret: &Secret) -> CaIdentityModel {
    let unknown_to_null = |v: &Tf<String>| if v.is_unknown() { Tf::Null } else { v.clone() };
    CaIdentityModel {
        enroll_secret: Tf::Known(secret.expose().to_owned()),
        affiliation: unknown_to_null(&planned.affiliation),
        max_enrollments: match planned.max_enrollments {
            Tf::Unknown => Tf::Null,
            ref v => v.clone(),
        },
        ..planned.clone()
    }
}

/// After a lost registration answer: the identity found is ours only if it is what was asked
/// (type, and affiliation when one was asked). It is then brought to the plan (attributes,
/// maximum, secret); the CA's generated secret was in the lost answer, so a new one is set.
async fn adopt(
    session: &Session,
    planned: &CaIdentityModel,
    request: &RegisterRequest,
    info: IdentityInfo,
) -> Result<(Secret, IdentityInfo), ApplyError<CaIdentityModel>> {
    let type_matches = info.identity_type == request.identity_type;
    let affiliation_matches =
        request.affiliation.is_empty() || same_affiliation(&info.affiliation, &request.affiliation);
    if !type_matches || !affiliation_matches {
        return Err(Diagnostic::error(
            "Identity registered by someone else",
            format!(
                "The answer to registering '{}' was lost, and the CA now holds an identity '{}' of \
                 type {:?} and affiliation {:?}, not the {:?} asked for: it is not adopted. \
                 {}",
                request.id,
                info.id,
                info.identity_type,
                info.affiliation,
                request.identity_type,
                import_hint(&session.ca, &request.id)
            ),
        )
        .at(attr!(CaIdentityModel, enroll_id))
        .into());
    }
    let secret = request
        .secret
        .clone()
        .unwrap_or_else(|| Secret::generate(SECRET_LENGTH));
    let asked = CaIdentityModel {
        enroll_secret: Tf::Known(secret.expose().to_owned()),
        ..planned.clone()
    };
    let mut change = modify_request(&CaIdentityModel::default(), &asked, &info).unwrap_or_default();
    change.secret = Some(secret.clone());
    let info = session
        .modify(&request.id, &change)
        .await
        .map_err(|e| unconfirmed(session.error(planned, "adopt the identity", &e), planned))?;
    Ok((secret, info))
}

/// The modify that brings `live` to `planned` (fabric-ca's merge rules:
/// docs/dev/fabric-ca.md#modify-and-remove), or `None` when nothing differs.
fn modify_request(
    prior: &CaIdentityModel,
    planned: &CaIdentityModel,
    live: &IdentityInfo,
) -> Option<ModifyIdentityRequest> {
    let mut change = ModifyIdentityRequest::default();
    if let Some(t) = planned.r#type.as_str().filter(|t| *t != live.identity_type) {
        change.identity_type = t.to_owned();
    }
    if let Some(a) = planned
        .affiliation
        .as_str()
        .filter(|a| !same_affiliation(a, &live.affiliation))
    {
        // An empty affiliation keeps the old one; `.` sets the root.
        change.affiliation = if a.is_empty() { "." } else { a }.to_owned();
    }
    if let Some(m) = planned
        .max_enrollments
        .known()
        .filter(|m| **m != live.max_enrollments)
    {
        change.max_enrollments = *m;
    }
    if let Some(wanted) = planned.attributes.known().cloned().or_else(|| {
        // Null: no attributes (once known; an unknown set changes nothing yet).
        planned.attributes.is_null().then(BTreeSet::new)
    }) {
        change.attrs = attribute_changes(&managed_attributes(&live.attrs), &wanted);
    }
    if let Some(s) = planned.enroll_secret.as_str() {
        if prior.enroll_secret.as_str() != Some(s) {
            change.secret = Some(Secret::from(s));
        }
    }
    (change != ModifyIdentityRequest::default()).then_some(change)
}

/// What to send so the CA's attributes become `wanted`: the new and changed ones, and the
/// removed ones with an empty value.
fn attribute_changes(
    live: &BTreeSet<IdentityAttributeModel>,
    wanted: &BTreeSet<IdentityAttributeModel>,
) -> Vec<Attribute> {
    let wanted_names: BTreeSet<&str> = wanted.iter().map(|a| a.name.as_str()).collect();
    let removed = live
        .iter()
        .filter(|a| !wanted_names.contains(a.name.as_str()))
        .map(|a| Attribute {
            name: a.name.clone(),
            value: String::new(),
            ecert: false,
        });
    let set = wanted.difference(live).map(to_attribute);
    set.chain(removed).collect()
}

/// The state from the CA's view of the identity; `base` (prior, plan) supplies what the CA
/// does not report: the endpoint, the registrar, the secret.
fn live_state(base: &CaIdentityModel, info: &IdentityInfo) -> CaIdentityModel {
    let attrs = managed_attributes(&info.attrs);
    let attributes = if attrs.is_empty() && !base.attributes.is_known() {
        Tf::Null // never set and none at the CA: not drift
    } else {
        Tf::Known(attrs)
    };
    CaIdentityModel {
        r#type: Tf::Known(info.identity_type.clone()),
        affiliation: Tf::Known(info.affiliation.clone()),
        max_enrollments: Tf::Known(info.max_enrollments),
        attributes,
        enroll_secret: match &base.enroll_secret {
            Tf::Unknown => Tf::Null,
            s => s.clone(),
        },
        ..base.clone()
    }
}

/// Destroy on a CA without `allowremove`: the identity is revoked (all its certificates, and it
/// can no longer enroll), and a warning says that it stays registered.
async fn revoke_instead(
    session: &Session,
    prior: &CaIdentityModel,
    id: &str,
    refusal: &FabricCaError,
) -> Result<(), Diagnostics> {
    let req = RevokeRequest {
        enroll_id: id.to_owned(),
        reason: REMOVAL_REASON.to_owned(),
        ..RevokeRequest::default()
    };
    let revoked = session
        .client
        .revoke(&session.ca, &session.registrar, &req, &session.cancel)
        .await;
    match revoked {
        Ok(_) => {}
        Err(e) if e.refusal() == Some(Refusal::AlreadyRevoked) => {}
        Err(e) => {
            let mut d = session.error(prior, "remove the identity", refusal);
            d.extend(session.error(prior, "revoke the identity instead", &e));
            return Err(d);
        }
    }
    Err(Diagnostic::warning(
        "Identity revoked, not removed",
        format!(
            "CA '{}' does not allow removing identities ({refusal}). The identity '{id}' was \
             revoked instead: its certificates are revoked and it can no longer enroll, but it \
             stays registered, so the enroll id '{id}' cannot be registered again at this CA.",
            session.ca.ca_name
        ),
    )
    .at(attr!(CaIdentityModel, enroll_id))
    .into())
}

fn import_hint(ca: &CaEndpoint, enroll_id: &str) -> String {
    format!(
        "To manage an existing identity, import it: `terraform import <address> '{}'`.",
        import_id(ca, enroll_id)
    )
}

/// Diagnostics for a failed call, at the attribute the cause belongs to: the registrar for
/// refusals of authority or trust, the enroll id for a taken id, and so on.
fn failure(m: &CaIdentityModel, registrar_id: &str, doing: &str, e: &FabricCaError) -> Diagnostics {
    let enroll_id = m.enroll_id.as_str().unwrap_or_default();
    let api_url = m.api_url.as_str().unwrap_or_default();
    let ca_name = m.ca_name.as_str().unwrap_or(fabric_ca::DEFAULT_CA_NAME);
    let ca = fabric_ca::endpoint(api_url, &m.ca_name, &Tf::Null);
    let code = match e {
        FabricCaError::Refused { code, .. } => *code,
        _ => None,
    };
    let (path, summary, advice): (Option<AttributePath>, &str, String) = match e.refusal() {
        Some(Refusal::AuthorizationFailure) => (
            Some(attr!(CaIdentityModel, registrar)),
            "Registrar not authorized",
            format!(
                "The registrar '{registrar_id}' may not {doing} '{enroll_id}': it needs \
                 hf.Registrar.Roles covering the type, an affiliation containing the identity's, \
                 hf.Registrar.Attributes covering the attributes (and hf.Revoker to revoke)."
            ),
        ),
        Some(Refusal::AuthenticationFailure) => (
            Some(attr!(CaIdentityModel, registrar)),
            "Registrar not accepted",
            format!(
                "CA '{ca_name}' did not accept the registrar '{registrar_id}': its certificate must \
                 be issued by this CA and be neither expired nor revoked."
            ),
        ),
        Some(Refusal::AlreadyRegistered) => (
            Some(attr!(CaIdentityModel, enroll_id)),
            "Identity already registered",
            format!(
                "'{enroll_id}' is already registered at CA '{ca_name}' and is not in this state. \
                 {}",
                import_hint(&ca, enroll_id)
            ),
        ),
        Some(Refusal::UnknownCa) => (
            Some(attr!(CaIdentityModel, ca_name)),
            "Unknown CA",
            format!("The server at {api_url} hosts no CA named '{ca_name}'."),
        ),
        Some(Refusal::NotFound) => (
            Some(attr!(CaIdentityModel, enroll_id)),
            "Identity not found",
            format!("CA '{ca_name}' has no identity '{enroll_id}'."),
        ),
        Some(Refusal::BadRequest) if code == Some(INVALID_MAX_ENROLLMENTS) => (
            Some(attr!(CaIdentityModel, max_enrollments)),
            "Maximum enrollments refused",
            "The CA refused max_enrollments against its own limit.".to_owned(),
        ),
        Some(Refusal::BadRequest) if code == Some(UNKNOWN_AFFILIATION) => (
            Some(attr!(CaIdentityModel, affiliation)),
            "Unknown affiliation",
            "The CA has no such affiliation (a console-deployed CA has only the root, `.`)."
                .to_owned(),
        ),
        _ => match e {
            FabricCaError::Transport { .. } | FabricCaError::Config(_) => (
                Some(attr!(CaIdentityModel, api_url)),
                "Fabric CA unreachable",
                "Check api_url, and tls_cert when the CA's certificate is not trusted otherwise."
                    .to_owned(),
            ),
            _ => (None, "Fabric CA request failed", String::new()),
        },
    };
    let detail = if advice.is_empty() {
        format!("Could not {doing} '{enroll_id}': {e}")
    } else {
        format!("Could not {doing} '{enroll_id}': {e}\n\n{advice}")
    };
    let d = Diagnostic::error(summary, detail);
    match path {
        Some(p) => d.at(p).into(),
        None => d.into(),
    }
}

#[cfg(test)]
mod tests;
