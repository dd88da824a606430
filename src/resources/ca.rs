//! `blockchain_ca`: a Fabric CA that the console deploys (POST /kubernetes/components/fabric-ca).
//!
//! One console CA hosts two Fabric CAs: `ca` (identities) and `tlsca` (TLS certificates). The
//! admin enroll id and secret seed both registries at creation; the console redacts them at rest,
//! so they are write-only here: never stored in state, never read back.
//!
//! This file holds what is particular to CAs: the schema and model, the create body, the
//! updates and how each shows on the console, the readiness probe (`/cainfo`) and the mapping
//! from the console's view to state; `config_override` (the Fabric CA settings) has its own
//! module. Everything else is the shared `lifecycle`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::clients::Clients;
use crate::console::{
    admin_registry, part_section, CaUpdate, Component, ConsoleClient, CreateCaRequest,
};
use crate::fabric::FabricCaClient;
use crate::framework::{
    timeouts_block, validators, ApplyError, CreatePlan, CreateRequest, DeleteRequest, Diagnostic,
    Diagnostics, ModelPlan, Private, ReadRequest, ResourceContext, Tf, TimeoutOp, Timeouts,
    TimeoutsModel, TypedResource, UpdateRequest,
};
use crate::resources::export::{export_node_json, DEFAULT_PLATFORM};
use crate::resources::fabric_ca::{ENROLL_ID_PATTERN, ENROLL_ID_RULE};
use crate::resources::lifecycle::{
    self, changed, resource, waiter::Check, ComponentKind, DeployedModel, DeployedResource,
};
use crate::resources::pem::{pem_bundle, pem_text};
use crate::resources::semantic::{
    kubernetes_quantity, same_json, same_quantity, same_version, QuantitiesCover,
};
use crate::{attr, tf_model};

mod config_override;

/// The CA container's key in the console's `resources` and `storage` bodies.
const PART: &str = "ca";
/// Tags the console adds by itself to a created CA; they are not the user's.
const SYSTEM_TAGS: [&str; 2] = ["fabric-ca", "ibm_saas"];
/// At most this many user tags: the console takes 32 per component, and an edit sends its own
/// `fabric-ca` and `ibm_saas` back with them (docs/dev/console-api.md#tags).
const MAX_TAGS: usize = 30;

const DEFAULTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

tf_model! {
    /// The state of one `blockchain_ca`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CaModel {
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
        pub admin_enroll_id: Tf<String> => |a| a.required().sensitive().write_only()
            .description(
                "Enroll id of the CA administrator, registered in both `ca` and `tlsca` when the CA is \
                 created: 4 to 255 characters, no spaces and none of `` :/<>#{}%`[]\\^~|\" `` (the \
                 console's rules). Write-only: the console redacts it at rest, so it is never stored \
                 in state and a later change has no effect on the running CA.",
            )
            .validate(validators::length_between(4, 255))
            .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE)),
        pub admin_enroll_secret: Tf<String> => |a| a.required().sensitive().write_only()
            .description(
                "Enroll secret of the CA administrator, 4 to 255 characters (the console's rule). \
                 Write-only, like `admin_enroll_id`: never stored in state or shown in plans, never \
                 read back from the console.",
            )
            .validate(validators::length_between(4, 255)),
        pub zone: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .description("Kubernetes zone (node label) of the console's cluster to run the CA in. Updated in place."),
        pub region: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("Kubernetes region (node label) of the console's cluster. Changing it forces a new CA."),
        pub version: Tf<String> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality(same_version)
            .description("Fabric CA image version, e.g. `1.5.5-0` (see GET /kubernetes/fabric/versions). Defaults to the console's default; upgraded in place. `1.5.5` and `1.5.5-0` name the same release.")
            .validate(validators::not_empty()),
        pub replicas: Tf<i64> => |a| a.optional().computed().use_state_for_unknown()
            .description("Number of CA pods. More than one needs a shared PostgreSQL database for both CAs: `config_override` must set `db.type = \"postgres\"` and a `db.datasource` for `ca` and `tlsca` (checked at plan). Updated in place.")
            .validate(validators::int_between(0, 1024)),
        pub config_override: Tf<String> => |a| a.optional().sensitive()
            .semantic_equality_fn("same JSON", same_json)
            .description(
                "Fabric CA settings of the two CAs as JSON (use `jsonencode`): \
                 `{\"ca\": {...}, \"tlsca\": {...}}` with the keys of `fabric-ca-server-config.yaml` \
                 the console accepts (`db`, `cfg`, `csr`, `affiliations`, `crl`, `cors`, `tls`, `ca`, \
                 `idemix`, `bccsp`, `intermediate`, `metrics`, `debug`, `crlsizelimit`, and `signing` at \
                 creation only), names not case-sensitive. `tlsca` defaults to a copy of `ca`, as the \
                 console does. `registry` is not allowed: the provider registers the admin from \
                 `admin_enroll_id`/`admin_enroll_secret`. Sensitive, since it may hold a database \
                 password. A change is sent in place as one update and the CA restarts with it; the \
                 console merges it into the running configuration, so removing a setting (or the \
                 whole attribute) keeps the value the CA has. The console never returns \
                 `db.datasource`, so drift there is not seen, and an import does not read the \
                 override back: the first apply after an import sends it again.",
            ),
        pub resource_requests: Tf<BTreeMap<String, String>> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality_with(QuantitiesCover)
            .description("Kubernetes resource requests of the CA container, keys `cpu` and `memory` (e.g. `{ cpu = \"100m\", memory = \"200Mi\" }`). Updated in place.")
            .validate(validators::map_keys_one_of(&["cpu", "memory"]))
            .validate(validators::each_string(kubernetes_quantity(true))),
        pub resource_limits: Tf<BTreeMap<String, String>> => |a| a.optional().computed().use_state_for_unknown()
            .semantic_equality_with(QuantitiesCover)
            .description("Kubernetes resource limits of the CA container, keys `cpu` and `memory`. Updated in place.")
            .validate(validators::map_keys_one_of(&["cpu", "memory"]))
            .validate(validators::each_string(kubernetes_quantity(true))),
        pub storage_size: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .semantic_equality(same_quantity)
            .description("Size of the CA's persistent volume, e.g. `20Gi`. Storage is immutable on the console: changing it forces a new CA.")
            .validate(kubernetes_quantity(true)),
        pub storage_class: Tf<String> => |a| a.optional().computed().use_state_for_unknown().requires_replace()
            .description("Kubernetes storage class of the CA's volume. Changing it forces a new CA."),
        pub hsm_pkcs11_endpoint: Tf<String> => |a| a.optional().requires_replace()
            .description("URL of the PKCS #11 proxy of an HSM that keeps the CA's keys, e.g. `tcp://hsm.example.org:2347`. Changing it forces a new CA.")
            .validate(validators::url_with_scheme(&["tcp", "tls", "http", "https"])),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional()
            .description("Console tags (lowercase, at most 32 characters each). The console's own `fabric-ca` and `ibm_saas` tags are not listed here.")
            .validate(validators::length_between(0, MAX_TAGS))
            .validate(validators::each_string(validators::lowercase()))
            .validate(validators::each_string(validators::length_between(1, 32))),
        pub api_url: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("HTTPS URL of the Fabric CA API (enroll, register, cainfo)."),
        pub operations_url: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("HTTPS URL of the CA's operations endpoint (health, metrics)."),
        pub ca_name: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Name of the enrollment CA, used as `caname` in Fabric CA requests (normally `ca`)."),
        pub tlsca_name: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("Name of the TLS CA (normally `tlsca`)."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.computed().use_state_for_unknown()
            .description("PEM root certificates of the enrollment CA: the organization's identity roots for its MSP."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.computed().use_state_for_unknown()
            .description("PEM root certificates of the TLS CA: the organization's TLS roots for its MSP."),
        pub tls_cert: Tf<String> => |a| a.computed().use_state_for_unknown()
            .description("PEM TLS certificate the CA's HTTPS endpoint serves; trust it to talk to `api_url`."),
        pub export_json: Tf<String> => |a| a.computed()
            .description(
                "The CA as the console's export (download) button writes it: sorted keys, 4-space \
                 indent, base64 PEMs. Carries the CA to another region's console, where importing it \
                 (the console's import button, or `blockchain_ca_import`) needs no \
                 downloaded file.",
            ),
        pub timeouts: Tf<TimeoutsModel> => block |_| timeouts_block(
            &[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete],
            &DEFAULTS,
        ),
    }
}

pub struct CaResource;

/// The CA's part in the shared lifecycle: its type, its updates, its readiness probe.
pub struct CaKind {
    fabric: FabricCaClient,
    cancel: CancellationToken,
}

#[async_trait]
impl ComponentKind for CaKind {
    const TYPE: &'static str = "fabric-ca";
    const NOUN: &'static str = "CA";
    const ID_PREFIX: &'static str = "ca";
    type Update = CaUpdate;

    fn update_field(update: &CaUpdate) -> &'static str {
        update.field_name()
    }

    fn reflects(c: &Component, update: &CaUpdate) -> bool {
        reflects(c, update)
    }

    /// `/cainfo` answers once the CA's pods serve (docs/dev/fabric-ca.md#readiness-via-cainfo). The CA's
    /// own TLS certificate and its roots are trusted: whichever the deployment chains to.
    async fn probe_ready(&self, c: &Component) -> Result<Check<()>, String> {
        let api_url = c.api_url.clone().unwrap_or_default();
        let ca_name = c.msp_ca().and_then(|m| m.name.as_deref()).unwrap_or("ca");
        let roots = c
            .msp_ca()
            .map(|m| m.root_certs.as_slice())
            .unwrap_or_default();
        let trusted = pem_bundle(
            c.tls_cert()
                .into_iter()
                .chain(roots.iter().map(String::as_str)),
        );
        let trusted = trusted.as_deref();
        match self
            .fabric
            .ca_info(&api_url, ca_name, trusted, &self.cancel)
            .await
        {
            Ok(_) => Ok(Check::Done(())),
            Err(e) if e.is_not_serving_yet() => Ok(Check::Pending(e.to_string())),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The CA's part in the shared resource CRUD (`lifecycle::resource`).
impl DeployedResource for CaResource {
    type State = CaModel;
    type Kind = CaKind;
    const DEFAULTS: Timeouts = DEFAULTS;
    const SYSTEM_TAGS: &'static [&'static str] = &SYSTEM_TAGS;

    /// The clients and the CA kind of the provider block a call comes from.
    fn parts(ctx: &ResourceContext) -> Result<(ConsoleClient, CaKind), Diagnostics> {
        let console = Clients::console(ctx)?;
        let kind = CaKind {
            fabric: Clients::fabric_ca(ctx)?,
            cancel: ctx.cancelled(),
        };
        Ok((console, kind))
    }

    fn create_body(planned: &CaModel, config: &CaModel) -> Result<serde_json::Value, Diagnostics> {
        create_body(planned, config)
    }

    /// The CA takes no update from the configuration but what the plan holds.
    fn deployment_updates(prior: &CaModel, planned: &CaModel, _config: &CaModel) -> Vec<CaUpdate> {
        deployment_updates(prior, planned)
    }

    fn imported(id: String) -> CaModel {
        CaModel {
            id: Tf::Known(id),
            ..CaModel::default()
        }
    }
}

#[async_trait]
impl TypedResource for CaResource {
    type Model = CaModel;

    fn type_name(&self) -> &'static str {
        "blockchain_ca"
    }

    fn description(&self) -> String {
        "A Fabric CA deployed by the console. It hosts two CAs, `ca` for enrollment certificates \
         and `tlsca` for TLS certificates, both bootstrapped with the admin identity given here."
            .to_owned()
    }

    fn validate_config(&self, config: &CaModel, diags: &mut Diagnostics) {
        let requests = attr!(CaModel, resource_requests);
        lifecycle::check_sizing(
            &config.resource_requests,
            &config.resource_limits,
            requests,
            diags,
        );
        if let Some(text) = config.config_override.known() {
            config_override::check(text, &attr!(CaModel, config_override), diags);
        }
        check_replicas(config, diags);
    }

    /// A create (or a replacement's create) needs the admin credentials: checked at plan, so a
    /// replacement never destroys a CA it cannot recreate.
    fn validate_create(&self, plan: &CreatePlan<'_, CaModel>, diags: &mut Diagnostics) {
        let purpose = "create the CA (it seeds both CA registries)";
        let c = plan.config;
        plan.require(
            attr!(CaModel, admin_enroll_id),
            &c.admin_enroll_id,
            purpose,
            diags,
        );
        plan.require(
            attr!(CaModel, admin_enroll_secret),
            &c.admin_enroll_secret,
            purpose,
            diags,
        );
    }

    /// A version the console cannot deploy is refused at plan, not after a create; so is an
    /// override change the console's update refuses (a replacement sends it in a create).
    async fn modify_plan(&self, ctx: &ResourceContext, plan: ModelPlan<'_, CaModel>) {
        let updating = plan.prior.filter(|_| plan.requires_replace.is_empty());
        if let Some(prior) = updating {
            if let Some(text) = changed(&prior.config_override, &plan.config.config_override) {
                let path = attr!(CaModel, config_override);
                config_override::check_update(text, &path, plan.diagnostics);
            }
        }
        let prior = plan.prior.map(|p| &p.version);
        let path = attr!(CaModel, version);
        let check = (
            &plan.config.version,
            prior,
            path,
            same_version as fn(&str, &str) -> bool,
        );
        lifecycle::check_version(ctx, check, |v| &v.ca, plan.diagnostics).await;
        // The export shows the name, URLs, location and certificates, none of which an update
        // in place changes but the name: it stays known, so that imports of it in other
        // consoles (`blockchain_ca_import.export_json`) do not plan a new record.
        if let Some(prior) = plan.prior {
            let p = &mut *plan.planned;
            let same_name = p.display_name.is_known() && p.display_name == prior.display_name;
            if plan.requires_replace.is_empty() && same_name && p.export_json.is_unknown() {
                p.export_json = prior.export_json.clone();
            }
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, CaModel>,
    ) -> Result<CaModel, ApplyError<CaModel>> {
        resource::create::<Self>(ctx, req).await
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, CaModel>,
    ) -> Result<Option<CaModel>, Diagnostics> {
        resource::read::<Self>(ctx, req).await
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, CaModel>,
    ) -> Result<CaModel, ApplyError<CaModel>> {
        resource::update::<Self>(ctx, req).await
    }

    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, CaModel>,
    ) -> Result<(), Diagnostics> {
        resource::delete::<Self>(ctx, req).await
    }

    async fn import(
        &self,
        ctx: &ResourceContext,
        id: &str,
        _private: &mut Private,
    ) -> Result<CaModel, Diagnostics> {
        resource::import::<Self>(ctx, id, self.type_name()).await
    }
}

/// More than one replica needs PostgreSQL for both CAs: the console's deployer refuses the
/// create or the update otherwise (docs/dev/console-api.md#replicas-need-postgresql). Checked
/// against the configured override; an unknown override or replica count waits for apply.
fn check_replicas(config: &CaModel, diags: &mut Diagnostics) {
    if config.replicas.known().is_none_or(|r| *r <= 1) || config.config_override.is_unknown() {
        return;
    }
    let user = config
        .config_override
        .known()
        .and_then(|t| config_override::parse(t).ok());
    let gaps = config_override::postgres_gaps(user.as_ref());
    if gaps.is_empty() {
        return;
    }
    diags.push(
        Diagnostic::error(
            "Several CA replicas need PostgreSQL",
            format!(
                "The console runs more than one CA replica only when both CAs keep their data in \
                 a shared PostgreSQL database. Set in config_override: {} (`tlsca` takes `ca`'s \
                 settings when the override has no `tlsca`), or keep replicas at 1.",
                gaps.join(", ")
            ),
        )
        .at(attr!(CaModel, replicas)),
    );
}

/// The user's override as the JSON object it is (validated at plan).
fn user_override(m: &CaModel) -> Option<serde_json::Map<String, serde_json::Value>> {
    m.config_override
        .known()
        .and_then(|t| config_override::parse(t).ok())
}

/// The create body (without `id`, which the lifecycle chooses).
fn create_body(planned: &CaModel, config: &CaModel) -> Result<serde_json::Value, Diagnostics> {
    let (Some(enroll_id), Some(enroll_secret)) = (
        config.admin_enroll_id.known(),
        config.admin_enroll_secret.known(),
    ) else {
        return Err(Diagnostic::error(
            "Missing CA admin credentials",
            "admin_enroll_id and admin_enroll_secret are needed to create the CA.",
        )
        .at(attr!(CaModel, admin_enroll_id))
        .into());
    };
    let registry = admin_registry(enroll_id, enroll_secret);
    let request = CreateCaRequest {
        display_name: planned.display_name.known().cloned().unwrap_or_default(),
        id: None,
        config_override: config_override::create_json(user_override(planned).as_ref(), &registry),
        resources: resources_json(planned),
        storage: storage_json(planned),
        zone: planned.zone.known().cloned(),
        region: planned.region.known().cloned(),
        replicas: planned
            .replicas
            .known()
            .and_then(|r| u32::try_from(*r).ok()),
        version: planned.version.known().cloned(),
        tags: planned.tags.known().map(|t| t.iter().cloned().collect()),
        hsm: planned
            .hsm_pkcs11_endpoint
            .known()
            .map(|e| serde_json::json!({ "pkcs11endpoint": e })),
    };
    serde_json::to_value(&request)
        .map_err(|e| Diagnostic::error("Cannot build the CA create request", e.to_string()).into())
}

/// `resources: {ca: {requests, limits}}` with what the plan sets.
fn resources_json(m: &CaModel) -> Option<serde_json::Value> {
    let json = |v: &Tf<BTreeMap<String, String>>| v.known().map(|r| serde_json::json!(r));
    let fields = [
        ("requests", json(&m.resource_requests)),
        ("limits", json(&m.resource_limits)),
    ];
    part_section(PART, &fields)
}

/// `storage: {ca: {size, class}}` with what the plan sets.
fn storage_json(m: &CaModel) -> Option<serde_json::Value> {
    let json = |v: &Tf<String>| v.known().map(|s| serde_json::json!(s));
    part_section(
        PART,
        &[
            ("size", json(&m.storage_size)),
            ("class", json(&m.storage_class)),
        ],
    )
}

/// The deployment updates a plan needs, in the order they are sent: the image version alone
/// first (it restarts the pods), then the configuration override (it restarts them too, and the
/// deployer checks a replica increase against the override it already has), then sizing, then
/// placement.
fn deployment_updates(prior: &CaModel, planned: &CaModel) -> Vec<CaUpdate> {
    let mut updates = Vec::new();
    if let Some(v) = changed(&prior.version, &planned.version) {
        updates.push(CaUpdate::Version(v.clone()));
    }
    if changed(&prior.config_override, &planned.config_override).is_some() {
        let user = user_override(planned);
        updates.extend(user.map(|u| CaUpdate::ConfigOverride(config_override::update_json(&u))));
    }
    let requests = changed(&prior.resource_requests, &planned.resource_requests);
    let limits = changed(&prior.resource_limits, &planned.resource_limits);
    if requests.is_some() || limits.is_some() {
        let resources = resources_json(planned);
        updates.extend(resources.map(CaUpdate::Resources));
    }
    if let Some(r) = changed(&prior.replicas, &planned.replicas) {
        updates.extend(u32::try_from(*r).ok().map(CaUpdate::Replicas));
    }
    if let Some(z) = changed(&prior.zone, &planned.zone) {
        updates.push(CaUpdate::Zone(z.clone()));
    }
    updates
}

/// Whether the console's view of the CA shows `update` applied. A field the console does not
/// report, and the zone (which a console may accept without moving anything,
/// docs/dev/console-api.md#zone-changes), count as applied once the PUT succeeded; the next
/// read shows any difference as drift. An override shows in the console's stored copy
/// (docs/dev/console-api.md#ca-configuration-overrides).
fn reflects(c: &Component, update: &CaUpdate) -> bool {
    match update {
        CaUpdate::Version(v) => c.version.as_deref().is_some_and(|cv| same_version(cv, v)),
        CaUpdate::Replicas(r) => c.replicas.is_none_or(|have| have == *r),
        CaUpdate::ConfigOverride(sent) => config_override::reflects(&c.config_override, sent),
        CaUpdate::Zone(_) => true,
        CaUpdate::Resources(wanted) => ["requests", "limits"].iter().all(|kind| {
            let live = c.resource_map(PART, kind);
            let want = wanted.get(PART).and_then(|ca| ca.get(kind));
            let Some(want) = want.and_then(|m| m.as_object()) else {
                return true;
            };
            want.iter().all(|(k, v)| {
                let have = live.as_ref().and_then(|m| m.get(k)).map(String::as_str);
                matches!((v.as_str(), have), (Some(a), Some(b)) if same_quantity(a, b))
            })
        }),
    }
}

impl DeployedModel for CaModel {
    lifecycle::deployed_model_fields!();

    fn live_state(base: &Self, c: &Component) -> Self {
        live_state(base, c)
    }
    fn unconfirmed(id: String, planned: &Self) -> Self {
        CaModel {
            id: Tf::Known(id),
            display_name: planned.display_name.clone(),
            timeouts: planned.timeouts.clone(),
            ..CaModel::default()
        }
    }
}

/// State from the console's view of the CA. `base` (plan or prior state) supplies what the
/// console cannot report: the timeouts block, the HSM endpoint, whether the user manages
/// tags or an override at all, and the override's `db.datasource`. Equivalent spellings are
/// the framework's business (semantic equality).
fn live_state(base: &CaModel, c: &Component) -> CaModel {
    let text = |v: &Option<String>| Tf::from_option(v.clone());
    let storage = |key: &str| Tf::from_option(c.storage_value(PART, key));
    // Not every console reports the HSM; then the prior value stands (it cannot change in place).
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
    let doc = serde_json::to_value(c).unwrap_or_default();
    CaModel {
        id: Tf::Known(c.id.clone()),
        display_name: Tf::Known(c.display_name.clone()),
        admin_enroll_id: Tf::Null,
        admin_enroll_secret: Tf::Null,
        zone: text(&c.zone),
        region: text(&c.region),
        version: text(&c.version),
        replicas: Tf::from_option(c.replicas.map(i64::from)),
        config_override: config_override::live_text(&base.config_override, &c.config_override),
        resource_requests: Tf::from_option(c.resource_map(PART, "requests")),
        resource_limits: Tf::from_option(c.resource_map(PART, "limits")),
        storage_size: storage("size"),
        storage_class: storage("class"),
        hsm_pkcs11_endpoint,
        tags: lifecycle::user_tags(&base.tags, &c.tags, &SYSTEM_TAGS),
        api_url: text(&c.api_url),
        operations_url: text(&c.operations_url),
        ca_name: Tf::from_option(c.msp_ca().and_then(|m| m.name.clone())),
        tlsca_name: Tf::from_option(c.msp_tlsca().and_then(|m| m.name.clone())),
        ca_root_certs: pems(c.msp_ca()),
        tlsca_root_certs: pems(c.msp_tlsca()),
        tls_cert: Tf::from_option(c.tls_cert().map(pem_text)),
        export_json: Tf::Known(export_node_json(&doc, DEFAULT_PLATFORM)),
        timeouts: match &base.timeouts {
            Tf::Unknown => Tf::Null,
            t => t.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
