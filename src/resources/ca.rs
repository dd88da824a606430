//! `blockchain_ca`: a Fabric CA that the console deploys (POST /kubernetes/components/fabric-ca).
//!
//! One console CA hosts two Fabric CAs: `ca` (identities) and `tlsca` (TLS certificates). The
//! admin enroll id and secret seed both registries at creation; the console redacts them at rest,
//! so they are write-only here: never stored in state, never read back.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::console::{
    CaUpdate, Component, ConsoleClient, ConsoleError, CreateCaRequest, EditComponentRequest,
    GetOptions,
};
use crate::framework::{
    timeout_for, timeouts_block, validators, ApplyError, Attribute, AttributePath, Block,
    Diagnostic, Diagnostics, PathStep, PlanContext, PlanModifier, Resource, ResourceContext,
    Schema, TimeoutOp, Timeouts, Value,
};
use crate::provider::ProviderState;
use crate::resources::export::{export_node_json, DEFAULT_PLATFORM};
use crate::resources::semantic::{
    keep_equivalent, keep_equivalent_quantities, quantities_cover, same_quantity, same_version,
};
use async_trait::async_trait;
use base64::Engine as _;
use tokio::time::Instant;

/// Tags the console adds by itself to a created CA; they are not the user's.
const SYSTEM_TAGS: [&str; 2] = ["fabric-ca", "ibm_saas"];
/// The console's `invalid_enroll_characters` rule (validation-regex.json), as a whitelist.
const ENROLL_ID_PATTERN: &str = r#"^[^:/<>#{}%`\[\]\\^~|\s"]+$"#;
const TYPE_PATH: &str = "fabric-ca";

const DEFAULTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// How often a starting CA's `/cainfo` is polled (the CA's own endpoint, not rate limited).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often the console is polled while waiting: its limiter allows 100 GETs a minute per
/// client (fixtures/console README §9), shared by every resource of the run.
const CONSOLE_POLL_INTERVAL: Duration = Duration::from_secs(2);

pub struct CaResource;

/// The user's intent, decoded from a plan or config.
struct CaSpec {
    display_name: String,
    zone: Option<String>,
    region: Option<String>,
    version: Option<String>,
    replicas: Option<i64>,
    resource_requests: Option<BTreeMap<String, String>>,
    resource_limits: Option<BTreeMap<String, String>>,
    storage_size: Option<String>,
    storage_class: Option<String>,
    hsm_pkcs11_endpoint: Option<String>,
    tags: Option<Vec<String>>,
}

impl CaSpec {
    fn from_plan(plan: &Value) -> Result<Self, Diagnostics> {
        let display_name = plan
            .get("display_name")
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        "Missing display_name",
                        "display_name must be known before apply.",
                    )
                    .at(AttributePath::root().attr("display_name")),
                )
            })?;
        Ok(Self {
            display_name,
            zone: known_string(plan, "zone"),
            region: known_string(plan, "region"),
            version: known_string(plan, "version"),
            replicas: plan.get("replicas").as_i64(),
            resource_requests: known_string_map(plan, "resource_requests"),
            resource_limits: known_string_map(plan, "resource_limits"),
            storage_size: known_string(plan, "storage_size"),
            storage_class: known_string(plan, "storage_class"),
            hsm_pkcs11_endpoint: known_string(plan, "hsm_pkcs11_endpoint"),
            tags: plan.get("tags").as_list().map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            }),
        })
    }

    fn resources_json(&self) -> Option<serde_json::Value> {
        ca_section(&[
            (
                "requests",
                self.resource_requests
                    .as_ref()
                    .map(|r| serde_json::json!(r)),
            ),
            (
                "limits",
                self.resource_limits.as_ref().map(|l| serde_json::json!(l)),
            ),
        ])
    }

    fn storage_json(&self) -> Option<serde_json::Value> {
        ca_section(&[
            (
                "size",
                self.storage_size.as_ref().map(|s| serde_json::json!(s)),
            ),
            (
                "class",
                self.storage_class.as_ref().map(|c| serde_json::json!(c)),
            ),
        ])
    }
}

/// `{"ca": {key: value, …}}` with the fields that are set (the shape of the console's
/// `resources` and `storage` bodies), or `None` when none is.
fn ca_section(fields: &[(&str, Option<serde_json::Value>)]) -> Option<serde_json::Value> {
    let ca: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_string(), v)))
        .collect();
    (!ca.is_empty()).then(|| serde_json::json!({ "ca": ca }))
}

fn known_string(v: &Value, attr: &str) -> Option<String> {
    v.get(attr).as_str().map(str::to_string)
}

fn known_string_map(v: &Value, attr: &str) -> Option<BTreeMap<String, String>> {
    v.get(attr).as_map().map(|m| {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    })
}

/// The registry the console seeds both Fabric CAs with: the CA admin, allowed to register anyone.
fn admin_registry(enroll_id: &str, enroll_secret: &str) -> serde_json::Value {
    serde_json::json!({
        "registry": {
            "maxenrollments": -1,
            "identities": [{
                "name": enroll_id,
                "pass": enroll_secret,
                "type": "client",
                "attrs": {
                    "hf.Registrar.Roles": "*",
                    "hf.Registrar.DelegateRoles": "*",
                    "hf.Revoker": true,
                    "hf.IntermediateCA": true,
                    "hf.GenCRL": true,
                    "hf.Registrar.Attributes": "*",
                    "hf.AffiliationMgr": true
                }
            }]
        }
    })
}

fn schema() -> Schema {
    let quantity = || {
        validators::regex_matches(
            r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$",
            "must be a Kubernetes quantity such as 100m, 2, 200Mi or 20Gi",
        )
    };
    Schema::new(
        0,
        Block::new(
            "A Fabric CA deployed by the console. It hosts two CAs, `ca` for enrollment certificates \
             and `tlsca` for TLS certificates, both bootstrapped with the admin identity given here.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("Console component id, derived by the console from `display_name`. Used for import."),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .description("Name shown on the console tile (at most 64 characters). Changing it edits the record in place.")
                .validate(validators::not_empty())
                .validate(validators::length_between(1, 64)),
        )
        .attribute(
            Attribute::string("admin_enroll_id")
                .required()
                .sensitive()
                .write_only()
                .description(
                    "Enroll id of the CA administrator, registered in both `ca` and `tlsca` when the CA is \
                     created: 4 to 255 characters, no spaces and none of `:/<>#{}%`[]\\^~|\"` (the \
                     console's rules). Write-only: the console redacts it at rest, so it is never stored \
                     in state and a later change has no effect on the running CA.",
                )
                .validate(validators::length_between(4, 255))
                .validate(validators::regex_matches(
                    ENROLL_ID_PATTERN,
                    "must not contain spaces or any of :/<>#{}%`[]\\^~|\"",
                )),
        )
        .attribute(
            Attribute::string("admin_enroll_secret")
                .required()
                .sensitive()
                .write_only()
                .description(
                    "Enroll secret of the CA administrator, 4 to 255 characters (the console's rule). \
                     Write-only, like `admin_enroll_id`: never stored in state or shown in plans, never \
                     read back from the console.",
                )
                .validate(validators::length_between(4, 255)),
        )
        .attribute(
            Attribute::string("zone")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description("Kubernetes zone (node label) of the console's cluster to run the CA in. Updated in place."),
        )
        .attribute(
            Attribute::string("region")
                .optional()
                .computed()
                .use_state_for_unknown()
                .requires_replace()
                .description("Kubernetes region (node label) of the console's cluster. Changing it forces a new CA."),
        )
        .attribute(
            Attribute::string("version")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description("Fabric CA image version, e.g. `1.5.5-0` (see GET /kubernetes/fabric/versions). Defaults to the console's default; upgraded in place.")
                .validate(validators::not_empty()),
        )
        .attribute(
            Attribute::int64("replicas")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description("Number of CA pods. More than one needs a shared PostgreSQL database. Updated in place.")
                .validate(validators::int_between(0, 1024)),
        )
        .attribute(
            Attribute::map_of_strings("resource_requests")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description("Kubernetes resource requests of the CA container, keys `cpu` and `memory` (e.g. `{ cpu = \"100m\", memory = \"200Mi\" }`). Updated in place.")
                .validate(validators::map_keys_one_of(&["cpu", "memory"]))
                .validate(validators::each_string(quantity())),
        )
        .attribute(
            Attribute::map_of_strings("resource_limits")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description("Kubernetes resource limits of the CA container, keys `cpu` and `memory`. Updated in place.")
                .validate(validators::map_keys_one_of(&["cpu", "memory"]))
                .validate(validators::each_string(quantity())),
        )
        .attribute(
            Attribute::string("storage_size")
                .optional()
                .computed()
                .use_state_for_unknown()
                .requires_replace()
                .description("Size of the CA's persistent volume, e.g. `20Gi`. Storage is immutable on the console: changing it forces a new CA.")
                .validate(quantity()),
        )
        .attribute(
            Attribute::string("storage_class")
                .optional()
                .computed()
                .use_state_for_unknown()
                .requires_replace()
                .description("Kubernetes storage class of the CA's volume. Changing it forces a new CA."),
        )
        .attribute(
            Attribute::string("hsm_pkcs11_endpoint")
                .optional()
                .requires_replace()
                .description("URL of the PKCS #11 proxy of an HSM that keeps the CA's keys, e.g. `tcp://hsm.example.org:2347`. Changing it forces a new CA.")
                .validate(validators::url_with_scheme(&["tcp", "tls", "http", "https"])),
        )
        .attribute(
            Attribute::set_of_strings("tags")
                .optional()
                .description("Console tags (lowercase, at most 32 characters each). The console's own `fabric-ca` and `ibm_saas` tags are not listed here.")
                .validate(validators::each_string(validators::lowercase()))
                .validate(validators::each_string(validators::length_between(1, 32))),
        )
        .attribute(Attribute::string("api_url").computed().use_state_for_unknown().description("HTTPS URL of the Fabric CA API (enroll, register, cainfo)."))
        .attribute(Attribute::string("operations_url").computed().use_state_for_unknown().description("HTTPS URL of the CA's operations endpoint (health, metrics)."))
        .attribute(Attribute::string("ca_name").computed().use_state_for_unknown().description("Name of the enrollment CA, used as `caname` in Fabric CA requests (normally `ca`)."))
        .attribute(Attribute::string("tlsca_name").computed().use_state_for_unknown().description("Name of the TLS CA (normally `tlsca`)."))
        .attribute(Attribute::list_of_strings("ca_root_certs").computed().use_state_for_unknown().description("PEM root certificates of the enrollment CA: the organization's identity roots for its MSP."))
        .attribute(Attribute::list_of_strings("tlsca_root_certs").computed().use_state_for_unknown().description("PEM root certificates of the TLS CA: the organization's TLS roots for its MSP."))
        .attribute(Attribute::string("tls_cert").computed().use_state_for_unknown().description("PEM TLS certificate the CA's HTTPS endpoint serves; trust it to talk to `api_url`."))
        .attribute(
            Attribute::string("export_json")
                .computed()
                .description(
                    "The CA as the console's export (download) button writes it: sorted keys, 4-space \
                     indent, base64 PEMs. Carries the CA to another region's console, where importing it (the console's import button, or the planned `blockchain_ca_import`) needs no downloaded file.",
                ),
        )
        .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete], &DEFAULTS)),
    )
}

#[async_trait]
impl Resource for CaResource {
    fn type_name(&self) -> &'static str {
        "blockchain_ca"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        // The console requires `requests` whenever `resources` is sent (ResourceObject).
        if !config.get("resource_limits").is_null() && config.get("resource_requests").is_null() {
            diags.push(
                Diagnostic::error(
                    "Resource limits need resource requests",
                    "The console only accepts limits together with requests: set \
                     resource_requests too (for example { cpu = \"100m\", memory = \"200Mi\" }).",
                )
                .at(AttributePath::root().attr("resource_requests")),
            );
        }
        if config.get("replicas").as_i64().is_some_and(|r| r > 1) {
            diags.push(
                Diagnostic::warning(
                    "Several CA replicas need a shared database",
                    "The console only accepts replicas > 1 for a CA backed by PostgreSQL; a CA with \
                     the default SQLite database will be rejected.",
                )
                .at(AttributePath::root().attr("replicas")),
            );
        }
    }

    /// Equivalent spellings are not changes: a configuration that says `1.5.5` for a CA the
    /// console reports as `1.5.5-0` (after an import, say) plans no update, and a respelled
    /// storage size no replacement. Terraform allows planning the prior value for a set attribute.
    async fn modify_plan(&self, _ctx: &ResourceContext, plan: PlanContext<'_>) {
        let PlanContext {
            prior,
            config,
            planned,
            requires_replace,
            ..
        } = plan;
        if prior.is_null() || planned.is_null() {
            return;
        }
        type Same = fn(&str, &str) -> bool;
        for (attr, same) in [
            ("version", same_version as Same),
            ("storage_size", same_quantity),
        ] {
            if let (Some(c), Some(p)) = (config.get(attr).as_str(), prior.get(attr).as_str()) {
                if same(c, p) {
                    planned.set(attr, prior.get(attr).clone());
                }
            }
        }
        for attr in ["resource_requests", "resource_limits"] {
            // Same keys, equivalent amounts (a removed key is a real change).
            let (c, p) = (config.get(attr), prior.get(attr));
            if quantities_cover(c, p) && quantities_cover(p, c) {
                planned.set(attr, p.clone());
            }
        }
        let had_replacement = !requires_replace.is_empty();
        requires_replace.retain(|path| match path.0.first() {
            Some(PathStep::Attribute(attr)) => planned.get(attr) != prior.get(attr),
            _ => true,
        });
        if had_replacement && requires_replace.is_empty() {
            // The engine marked computed values unknown for a replacement that is no longer
            // planned: the CA stays, so they keep their values.
            for a in schema().block.attributes.iter().filter(|a| {
                a.computed
                    && a.has_modifier(PlanModifier::UseStateForUnknown)
                    && config.get(&a.name).is_null()
            }) {
                planned.set(&a.name, prior.get(&a.name).clone());
            }
        }
        // Nothing the user controls changes any more: then nothing computed changes either.
        let settled = SETTABLE
            .iter()
            .all(|attr| planned.get(attr) == prior.get(attr));
        if settled && requires_replace.is_empty() {
            *planned = prior.clone();
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        planned: &Value,
        config: &Value,
    ) -> Result<Value, ApplyError> {
        let console = console_for(ctx)?;
        let spec = CaSpec::from_plan(planned)?;
        let (Some(enroll_id), Some(enroll_secret)) = (
            config.get("admin_enroll_id").as_str(),
            config.get("admin_enroll_secret").as_str(),
        ) else {
            return Err(Diagnostics::from(
                Diagnostic::error(
                    "Missing CA admin credentials",
                    "admin_enroll_id and admin_enroll_secret must be known at apply time.",
                )
                .at(AttributePath::root().attr("admin_enroll_id")),
            )
            .into());
        };
        let registry = admin_registry(enroll_id, enroll_secret);
        let request = CreateCaRequest {
            display_name: spec.display_name.clone(),
            id: None,
            config_override: serde_json::json!({ "ca": registry.clone(), "tlsca": registry }),
            resources: spec.resources_json(),
            storage: spec.storage_json(),
            zone: spec.zone.clone(),
            region: spec.region.clone(),
            replicas: spec.replicas.and_then(|r| u32::try_from(r).ok()),
            version: spec.version.clone(),
            tags: spec.tags.clone(),
            hsm: spec
                .hsm_pkcs11_endpoint
                .as_ref()
                .map(|e| serde_json::json!({ "pkcs11endpoint": e })),
        };
        let timeout = timeout_for(planned, TimeoutOp::Create, DEFAULTS.create);
        let deadline = Instant::now() + timeout;
        let created = create_with_free_id(&console, request, deadline).await?;
        tracing::info!(id = %created.id, "CA created; waiting for it to answer /cainfo");

        // From here on the CA exists: a failure returns it as partial state, so Terraform
        // records it (tainted) and the next apply replaces it instead of leaving an orphan.
        let partial = |c: &Component| applied_state(planned, c);
        // A CA scaled to zero pods never answers; there is nothing to wait for.
        if spec.replicas != Some(0) {
            if let Err(diags) = wait_ready(&console, &created, remaining(deadline)).await {
                return Err(ApplyError::partial(diags, partial(&created)));
            }
        }
        match read_component(&console, &created.id).await {
            Ok(Some(current)) => Ok(applied_state(planned, &current)),
            Ok(None) => Err(Diagnostics::from(Diagnostic::error(
                "CA vanished after creation",
                format!(
                    "The console created CA {} but no longer knows it.",
                    created.id
                ),
            ))
            .into()),
            Err(diags) => Err(ApplyError::partial(diags, partial(&created))),
        }
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        current: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let console = console_for(ctx)?;
        let Some(id) = current.get("id").as_str() else {
            return Ok(None);
        };
        let found = match read_component(&console, id).await? {
            Some(c) => Some(c),
            // Only the id is known: a create whose outcome was never confirmed. The console may
            // still be holding it (up to 105 s), so wait for it before calling it gone;
            // dropping it now would let the next create orphan it.
            None if current.get("api_url").is_null() => {
                settle_uncertain_create(&console, id, &ctx.cancelled(), UNCERTAIN_CREATE_WINDOW)
                    .await?
            }
            None => None,
        };
        let Some(component) = found else {
            return Ok(None);
        };
        // Ids come from display names and are reused: a different component under this id
        // (a peer, or a CA imported rather than deployed) is not this CA, which is gone.
        if !is_deployed_ca(&component) {
            tracing::warn!(id, "the component under this id is no longer a deployed CA");
            return Ok(None);
        }
        Ok(Some(live_state(current, &component)))
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> Result<Value, ApplyError> {
        let timeout = timeout_for(planned, TimeoutOp::Update, DEFAULTS.update);
        let deadline = Instant::now() + timeout;
        match tokio::time::timeout(timeout, update_ca(ctx, prior, planned, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(Diagnostics::from(Diagnostic::error(
                "The CA update did not finish in time",
                format!(
                    "The update did not finish within timeouts.update ({} s); the next plan \
                     shows what is still to be done.",
                    timeout.as_secs()
                ),
            ))
            .into()),
        }
    }

    async fn delete(&self, ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics> {
        delete_ca(ctx, prior).await
    }
    async fn import(&self, ctx: &ResourceContext, id: &str) -> Result<Value, Diagnostics> {
        let console = console_for(ctx)?;
        let Some(component) = read_component(&console, id).await? else {
            return Err(Diagnostics::from(Diagnostic::error(
                "Cannot import blockchain_ca",
                format!(
                    "The console has no component with id {id:?}. Import takes the component id \
                     (GET /ak/api/v3/components lists them)."
                ),
            )));
        };
        if component.component_type.as_deref() != Some("fabric-ca") {
            return Err(Diagnostics::from(Diagnostic::error(
                "Cannot import blockchain_ca",
                format!(
                    "Component {id:?} is a {}, not a fabric-ca.",
                    component
                        .component_type
                        .as_deref()
                        .unwrap_or("component of unknown type")
                ),
            )));
        }
        if component.location.as_deref() != Some("ibm_saas") {
            return Err(Diagnostics::from(Diagnostic::error(
                "Cannot import blockchain_ca",
                format!("CA {id:?} was imported into this console, not deployed by it; manage it with blockchain_ca_import."),
            )));
        }
        Ok(Value::object(BTreeMap::from([(
            "id".to_string(),
            Value::string(id),
        )])))
    }
}

/// `update`, bounded as a whole by the caller.
async fn update_ca(
    ctx: &ResourceContext,
    prior: &Value,
    planned: &Value,
    deadline: Instant,
) -> Result<Value, ApplyError> {
    let console = console_for(ctx)?;
    let id = prior.get("id").as_str().unwrap_or_default().to_string();
    let spec = CaSpec::from_plan(planned)?;

    // The record first (display name, tags): one cheap edit that cannot disturb the deployment.
    let mut edit = EditComponentRequest::default();
    if changed(prior, planned, "display_name") {
        edit.display_name = Some(spec.display_name.clone());
    }
    if prior.get("tags") != planned.get("tags") {
        // An edit replaces the whole list and the console only restores the type tag, so
        // the console's own tags (e.g. `ibm_saas`) are sent back along with the user's.
        let current = read_component(&console, &id).await?;
        let mut tags = spec.tags.clone().unwrap_or_default();
        for system in current.iter().flat_map(|c| c.tags.iter()) {
            if SYSTEM_TAGS.contains(&system.as_str()) && !tags.contains(system) {
                tags.push(system.clone());
            }
        }
        edit.tags = Some(tags);
    }
    if edit.display_name.is_some() || edit.tags.is_some() {
        console
            .edit_component(TYPE_PATH, &id, &edit)
            .await
            .map_err(|e| console_diag("Cannot edit the CA", &e))?;
    }

    // Then the deployment, one field per request as the console demands: the image version
    // alone first (it restarts the pods), then sizing, then placement.
    // Each change settles (the console reports it, and the CA answers again) before the next
    // is sent, so a rolling restart is never stacked on another one.
    for update in deployment_updates(prior, planned, &spec) {
        let field = update.field_name();
        console
            .update_ca(&id, update.clone())
            .await
            .map_err(|e| console_diag(&format!("Cannot update the CA's {field}"), &e))?;
        let current = wait_reflected(&console, &id, &update, deadline).await?;
        if current.replicas != Some(0) {
            wait_ready(&console, &current, remaining(deadline)).await?;
        }
    }
    let Some(current) = read_component(&console, &id).await? else {
        return Err(Diagnostics::from(Diagnostic::error(
            "CA not found",
            format!("CA {id} disappeared during the update."),
        ))
        .into());
    };
    Ok(applied_state(planned, &current))
}

async fn delete_ca(ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics> {
    let console = console_for(ctx)?;
    let Some(id) = prior.get("id").as_str() else {
        return Ok(());
    };
    let timeout = timeout_for(prior, TimeoutOp::Delete, DEFAULTS.delete);
    let deadline = Instant::now() + timeout;
    let delete = async {
        // An unconfirmed create may still be in the console's hands: a DELETE now would find
        // nothing (404 = done) and the create would finish afterwards as an orphan.
        if prior.get("api_url").is_null() {
            let found =
                settle_uncertain_create(&console, id, &ctx.cancelled(), remaining(deadline))
                    .await?;
            // Nothing came, or what came is not a CA this resource created: nothing to delete.
            if !found.as_ref().is_some_and(is_deployed_ca) {
                return Ok(());
            }
        }
        console
            .delete_component(id)
            .await
            .map_err(|e| console_diag("Cannot delete the CA", &e))?;
        console
            .wait_deleted(id, remaining(deadline))
            .await
            .map_err(|e| console_diag("The CA was not deleted in time", &e))
    };
    tokio::time::timeout(timeout, delete)
        .await
        .unwrap_or_else(|_| {
            Err(Diagnostics::from(Diagnostic::error(
                "The CA was not deleted in time",
                format!(
                    "CA {id} was still there after timeouts.delete ({} s).",
                    timeout.as_secs()
                ),
            )))
        })
}

/// How many fresh ids a create tries when another create takes its id first.
const CREATE_ID_ATTEMPTS: usize = 5;

/// Creates the CA under an id chosen here, so that whatever happens to the request the
/// resource knows which component to look for:
/// - another create (a parallel `count`, another user) took the id first (409): the next free id;
/// - the outcome is uncertain (lost answer, timeout, Stop, 5xx): the id is returned as partial
///   state, Terraform records the CA as tainted, and the next plan's read settles whether it
///   exists: never an orphan, never a second CA;
/// - the console refused the request (400, 401, …): nothing was created, a plain error.
async fn create_with_free_id(
    console: &ConsoleClient,
    mut request: CreateCaRequest,
    deadline: Instant,
) -> Result<Component, ApplyError> {
    let mut tried: Vec<String> = Vec::new();
    loop {
        let id = console
            .free_ca_id(&request.display_name, &tried)
            .await
            .map_err(|e| console_diag("Cannot choose an id for the CA", &e))?;
        request.id = Some(id.clone());
        let outcome = tokio::time::timeout(remaining(deadline), console.create_ca(&request)).await;
        let error = match outcome {
            Ok(Ok(created)) => return Ok(created),
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(uncertain_create(
                    &id,
                    "the create did not finish within timeouts.create",
                ))
            }
        };
        match &error {
            ConsoleError::Conflict { .. } if tried.len() + 1 < CREATE_ID_ATTEMPTS => {
                tracing::info!(id = %id, "id taken by a concurrent create; choosing another");
                tried.push(id);
            }
            // Refused before anything was made: a 429 is turned away by the limiter, and after
            // a 500 the console removes what its deployer made (the client read it back).
            ConsoleError::BadRequest { .. }
            | ConsoleError::Unauthorized { .. }
            | ConsoleError::LockedOut { .. }
            | ConsoleError::Forbidden { .. }
            | ConsoleError::Conflict { .. }
            | ConsoleError::RateLimited { .. }
            | ConsoleError::Server { .. }
            | ConsoleError::Config(_)
            | ConsoleError::IamToken { .. } => {
                return Err(console_diag("Cannot create the CA", &error).into())
            }
            _ => {
                // The console may still be working on it (it holds a create for up to 105 s):
                // within timeouts.create, wait for it rather than hand a slow create to the
                // next apply as tainted (which would replace a CA that is fine).
                // (Interrupted or unreadable: still recorded under its id, never dropped.)
                let cancel = console.cancellation_token().clone();
                let within = remaining(deadline);
                let settled = tokio::time::timeout(
                    within,
                    settle_uncertain_create(console, &id, &cancel, within),
                )
                .await;
                if let Ok(Ok(Some(found))) = settled {
                    if is_deployed_ca(&found) && found.display_name == request.display_name {
                        tracing::info!(id = %id, "the uncertain create completed; adopting it");
                        return Ok(found);
                    }
                    // Someone else's component under this id: ours was not created.
                    return Err(Diagnostics::from(Diagnostic::error(
                        "Cannot create the CA",
                        format!(
                            "The create of CA {id} did not complete ({error}), and id {id} now \
                             belongs to another component ({:?}).",
                            found.display_name
                        ),
                    ))
                    .into());
                }
                return Err(uncertain_create(&id, &error.to_string()));
            }
        }
    }
}

/// A create that may or may not have happened: recorded under its id for the next read to settle.
fn uncertain_create(id: &str, why: &str) -> ApplyError {
    let diags = Diagnostics::from(Diagnostic::error(
        "The CA may have been created",
        format!(
            "The create of CA {id} did not complete ({why}). Terraform records it as tainted: \
             the next plan reads it back, and replaces it if the console has it or creates it \
             if not, so no CA is orphaned or duplicated."
        ),
    ));
    ApplyError::partial(
        diags,
        Value::object(BTreeMap::from([("id".to_string(), Value::string(id))])),
    )
}

/// How long a console may still be working on a create it has not answered: athena's own
/// deployer wait (105 s, console-api.md §3) plus a margin.
const UNCERTAIN_CREATE_WINDOW: Duration = Duration::from_secs(120);

/// Polls for a component whose create may still be in flight, until it shows up or the console
/// cannot still be creating it.
async fn settle_uncertain_create(
    console: &ConsoleClient,
    id: &str,
    cancel: &tokio_util::sync::CancellationToken,
    within: Duration,
) -> Result<Option<Component>, Diagnostics> {
    tracing::info!(id, "waiting to see whether an unconfirmed create completes");
    let deadline = Instant::now() + within.min(UNCERTAIN_CREATE_WINDOW);
    while Instant::now() < deadline {
        tokio::select! {
            _ = cancel.cancelled() => {
                return Err(Diagnostics::from(Diagnostic::error(
                    "Interrupted",
                    format!("Terraform stopped the provider while checking whether CA {id} was created."),
                )));
            }
            _ = tokio::time::sleep(CONSOLE_POLL_INTERVAL) => {}
        }
        if let Some(c) = read_component(console, id).await? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Time left until `deadline` (zero once it has passed).
fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// The provider's console client, bound to Terraform's Stop signal.
fn console_for(ctx: &ResourceContext) -> Result<ConsoleClient, Diagnostics> {
    let state = ctx.provider_data::<ProviderState>()?;
    Ok(state.console.with_cancellation(ctx.cancelled()))
}

/// A CA this console deployed (not imported, not another kind of component).
fn is_deployed_ca(c: &Component) -> bool {
    c.component_type.as_deref() == Some(TYPE_PATH) && c.location.as_deref() == Some("ibm_saas")
}

/// Polls the CA until the console reports the field `update` set (with the console's spelling
/// allowed for), then returns it.
async fn wait_reflected(
    console: &ConsoleClient,
    id: &str,
    update: &CaUpdate,
    deadline: Instant,
) -> Result<Component, Diagnostics> {
    loop {
        let Some(current) = read_component(console, id).await? else {
            return Err(Diagnostics::from(Diagnostic::error(
                "CA not found",
                format!("CA {id} disappeared during the update."),
            )));
        };
        if reflects(&current, update) {
            return Ok(current);
        }
        if Instant::now() + CONSOLE_POLL_INTERVAL > deadline {
            return Err(Diagnostics::from(Diagnostic::error(
                "The CA update did not take effect",
                format!(
                    "The console accepted the new {} for CA {id} but still reports the old one \
                     at the end of timeouts.update.",
                    update.field_name()
                ),
            )));
        }
        tokio::time::sleep(CONSOLE_POLL_INTERVAL).await;
    }
}

/// Whether the console's view of the CA shows `update` applied. A field the console does not
/// report, and the zone (which a console may accept without moving anything, console-api §2.4),
/// count as applied once the PUT succeeded; the next read shows any difference as drift.
fn reflects(c: &Component, update: &CaUpdate) -> bool {
    match update {
        CaUpdate::Version(v) => c.version.as_deref().is_some_and(|cv| same_version(cv, v)),
        CaUpdate::Replicas(r) => c.replicas.is_none_or(|have| have == *r),
        CaUpdate::Zone(_) => true,
        CaUpdate::Resources(wanted) => {
            let live = c.resources.get("ca");
            ["requests", "limits"].iter().all(|kind| {
                let Some(want) = wanted
                    .get("ca")
                    .and_then(|ca| ca.get(kind))
                    .and_then(|m| m.as_object())
                else {
                    return true;
                };
                want.iter().all(|(k, v)| {
                    let have = live
                        .and_then(|l| l.get(kind))
                        .and_then(|m| m.get(k))
                        .and_then(|x| x.as_str());
                    match (v.as_str(), have) {
                        (Some(a), Some(b)) => same_quantity(a, b),
                        _ => false,
                    }
                })
            })
        }
        CaUpdate::ConfigOverride(_) => true,
    }
}

/// The k8s updates a plan needs, in the order they are sent.
fn deployment_updates(prior: &Value, planned: &Value, spec: &CaSpec) -> Vec<CaUpdate> {
    let mut updates = Vec::new();
    if let (true, Some(v)) = (changed(prior, planned, "version"), &spec.version) {
        updates.push(CaUpdate::Version(v.clone()));
    }
    if changed(prior, planned, "resource_requests") || changed(prior, planned, "resource_limits") {
        if let Some(r) = spec.resources_json() {
            updates.push(CaUpdate::Resources(r));
        }
    }
    if let (true, Some(r)) = (
        changed(prior, planned, "replicas"),
        spec.replicas.and_then(|r| u32::try_from(r).ok()),
    ) {
        updates.push(CaUpdate::Replicas(r));
    }
    if let (true, Some(z)) = (changed(prior, planned, "zone"), &spec.zone) {
        updates.push(CaUpdate::Zone(z.clone()));
    }
    updates
}

/// A planned attribute that is known, set and different from the prior state.
fn changed(prior: &Value, planned: &Value, attr: &str) -> bool {
    let p = planned.get(attr);
    p.is_known() && !p.is_null() && prior.get(attr) != p
}

/// Reads the live component with its deployment attributes, bypassing the console's caches (a
/// plain GET still serves a deleted CA for about 30 s). `None` when it is gone.
async fn read_component(
    console: &ConsoleClient,
    id: &str,
) -> Result<Option<Component>, Diagnostics> {
    let options = GetOptions {
        deployment_attrs: true,
        parsed_certs: false,
        cache_skip: true,
    };
    match console.get_component(id, options).await {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(console_diag("Cannot read the CA", &e)),
    }
}

/// Polls the CA's `/cainfo` until it answers, as the console's documentation advises after a create.
async fn wait_ready(
    console: &ConsoleClient,
    ca: &Component,
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let api_url = ca.api_url.clone().unwrap_or_default();
    let ca_name = msp_ca(ca)
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| "ca".to_string());
    // Trust the CA's own TLS certificate and its roots: whichever the deployment chains to.
    let mut trusted = Vec::new();
    for b64 in ca.tls_cert().into_iter().chain(
        msp_ca(ca)
            .map(|m| m.root_certs.iter().map(String::as_str))
            .into_iter()
            .flatten(),
    ) {
        if let Some(pem) = decode_b64_pem(b64) {
            trusted.extend_from_slice(&pem);
            trusted.push(b'\n');
        }
    }
    let trusted = (!trusted.is_empty()).then_some(trusted);
    console
        .wait_ca_ready(&api_url, &ca_name, trusted.as_deref(), timeout, POLL_INTERVAL)
        .await
        .map(|_| ())
        .map_err(|e| {
            if matches!(e, ConsoleError::Cancelled { .. }) {
                return Diagnostics::from(Diagnostic::error(
                    "Interrupted",
                    format!("Terraform stopped the provider while waiting for CA {} to answer.", ca.id),
                ));
            }
            Diagnostics::from(Diagnostic::error(
                "The CA did not become ready",
                format!(
                    "CA {} did not answer {api_url}/cainfo within {} s: {e}. Raise timeouts.create (or update) \
                     if the cluster is slow to pull images or provision storage.",
                    ca.id,
                    timeout.as_secs()
                ),
            ))
        })
}

fn msp_ca(c: &Component) -> Option<&crate::console::MspCa> {
    c.msp.as_ref().and_then(|m| m.ca.as_ref())
}

fn msp_tlsca(c: &Component) -> Option<&crate::console::MspCa> {
    c.msp.as_ref().and_then(|m| m.tlsca.as_ref())
}

fn console_diag(summary: &str, e: &ConsoleError) -> Diagnostics {
    Diagnostics::from(Diagnostic::error(summary, e.to_string()))
}

/// Console PEMs are base64 of the PEM text; Terraform users want the PEM itself. `None` unless
/// the result is PEM: line-wrapped base64 is accepted, but DER or other data that merely happens
/// to be valid base64 is not passed off as a certificate.
fn decode_b64_pem(b64: &str) -> Option<Vec<u8>> {
    let trimmed = b64.trim();
    if trimmed.starts_with("-----BEGIN") {
        return Some(trimmed.as_bytes().to_vec()); // the console also stores raw PEM as given
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let pem = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    let marker: &[u8] = b"-----BEGIN";
    pem.windows(marker.len())
        .any(|w| w == marker)
        .then_some(pem)
}

fn pem_text(b64: &str) -> String {
    decode_b64_pem(b64)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| b64.to_string())
}

/// What the configuration decides (besides the write-only admin credentials).
const SETTABLE: [&str; 12] = [
    "display_name",
    "zone",
    "region",
    "version",
    "replicas",
    "resource_requests",
    "resource_limits",
    "storage_size",
    "storage_class",
    "hsm_pkcs11_endpoint",
    "tags",
    "timeouts",
];

/// The admin credentials: seeds of the CA's registries, never stored.
const WRITE_ONLY: [&str; 2] = ["admin_enroll_id", "admin_enroll_secret"];

/// State after create/update: every value the plan already knew, as planned (Terraform rejects
/// an apply result that differs from a known planned value), and the console's view for the rest
/// (what the plan left unknown). The next read reports any real difference as drift.
fn applied_state(planned: &Value, c: &Component) -> Value {
    let mut s = live_state(planned, c);
    if let Some(plan) = planned.as_map() {
        for (attr, p) in plan {
            let write_only = WRITE_ONLY.contains(&attr.as_str());
            if p.is_wholly_known() && !write_only {
                s.set(attr, p.clone());
            }
        }
    }
    s
}

/// State from the console's view of the CA. `base` (plan or prior state) supplies what the console
/// cannot report: the timeouts block, the HSM endpoint, and whether the user manages tags at all.
fn live_state(base: &Value, c: &Component) -> Value {
    let mut s = match base {
        Value::Object(_) => base.clone(),
        _ => Value::object(BTreeMap::new()),
    };
    let text = |v: &Option<String>| Value::string_or_null(v.clone());
    s.set("id", Value::string(c.id.clone()));
    s.set("display_name", Value::string(c.display_name.clone()));
    s.set("admin_enroll_id", Value::Null);
    s.set("admin_enroll_secret", Value::Null);
    s.set("zone", text(&c.zone));
    s.set("region", text(&c.region));
    // Keep the user's spelling when the console only writes it differently (semantic.rs).
    s.set(
        "version",
        keep_equivalent(base.get("version"), text(&c.version), same_version),
    );
    s.set(
        "replicas",
        c.replicas
            .map(|r| Value::int(i64::from(r)))
            .unwrap_or(Value::Null),
    );
    let (requests, limits) = resource_maps(&c.resources);
    s.set(
        "resource_requests",
        keep_equivalent_quantities(base.get("resource_requests"), requests),
    );
    s.set(
        "resource_limits",
        keep_equivalent_quantities(base.get("resource_limits"), limits),
    );
    let storage = |key: &str| {
        Value::string_or_null(
            c.storage
                .get("ca")
                .and_then(|ca| ca.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string),
        )
    };
    s.set(
        "storage_size",
        keep_equivalent(base.get("storage_size"), storage("size"), same_quantity),
    );
    s.set("storage_class", storage("class"));
    // The console returns `hsm: {pkcs11endpoint}` as it was given (an extra field).
    let hsm = c
        .extra
        .get("hsm")
        .and_then(|h| h.get("pkcs11endpoint"))
        .and_then(|e| e.as_str())
        .map(str::to_string);
    // Not every console reports it; then the prior value stands (it cannot change in place).
    let hsm = match hsm {
        Some(endpoint) => Value::string(endpoint),
        None if base.get("hsm_pkcs11_endpoint").is_known() => {
            base.get("hsm_pkcs11_endpoint").clone()
        }
        None => Value::Null,
    };
    s.set("hsm_pkcs11_endpoint", hsm);
    // A system tag the user lists himself stays: dropping it would be a diff on every plan.
    let wanted = base.get("tags").as_strings().unwrap_or_default();
    let user_tags: Vec<String> = c
        .tags
        .iter()
        .filter(|t| !SYSTEM_TAGS.contains(&t.as_str()) || wanted.contains(t))
        .cloned()
        .collect();
    // No tags at all stays null when the user never set any, so it is not drift.
    let tags = if user_tags.is_empty() && base.get("tags").is_null() {
        Value::Null
    } else {
        Value::set_of_strings(user_tags)
    };
    s.set("tags", tags);
    s.set("api_url", text(&c.api_url));
    s.set("operations_url", text(&c.operations_url));
    s.set(
        "ca_name",
        Value::string_or_null(msp_ca(c).and_then(|m| m.name.clone())),
    );
    s.set(
        "tlsca_name",
        Value::string_or_null(msp_tlsca(c).and_then(|m| m.name.clone())),
    );
    s.set(
        "ca_root_certs",
        Value::list_of_strings(
            msp_ca(c)
                .map(|m| m.root_certs.iter().map(|p| pem_text(p)).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    );
    s.set(
        "tlsca_root_certs",
        Value::list_of_strings(
            msp_tlsca(c)
                .map(|m| m.root_certs.iter().map(|p| pem_text(p)).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    );
    s.set(
        "tls_cert",
        Value::string_or_null(c.tls_cert().map(pem_text)),
    );
    let doc = serde_json::to_value(c).unwrap_or_default();
    s.set(
        "export_json",
        Value::string(export_node_json(&doc, DEFAULT_PLATFORM)),
    );
    if !base.get("timeouts").is_known() {
        s.set("timeouts", Value::Null);
    }
    s
}

/// `resources.ca.{requests,limits}` as two string maps.
fn resource_maps(resources: &serde_json::Value) -> (Value, Value) {
    let as_map = |key: &str| -> Value {
        match resources
            .get("ca")
            .and_then(|c| c.get(key))
            .and_then(|v| v.as_object())
        {
            Some(m) => Value::map_of_strings(
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect(),
            ),
            None => Value::Null,
        }
    };
    (as_map("requests"), as_map("limits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{Provider as _, Severity};
    use serde_json::json;

    /// From the fixture exchange `import.ca` (seq 49).
    const CA_ROOT_B64: &str = concat!(
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNaakNDQWd5Z0F3SUJBZ0lVR2cwV1Jzc3dkaUFRQkdrYmEx",
        "WXFKWHVTcW5rd0NnWUlLb1pJemowRUF3SXcKY0RFTE1Ba0dBMVVFQmhNQ1ZWTXhGekFWQmdOVkJBZ01EazV2Y25S",
        "b0lFTmhjbTlzYVc1aE1ROHdEUVlEVlFRSApEQVpFZFhKb1lXMHhHVEFYQmdOVkJBb01FRzl5WnpFdVpYaGhiWEJz",
        "WlM1amIyMHhIREFhQmdOVkJBTU1FMk5oCkxtOXlaekV1WlhoaGJYQnNaUzVqYjIwd0hoY05Nall4TVRJMk1UZzBP",
        "VEkyV2hjTk5ERXhNVEl5TVRnME9USTIKV2pCd01Rc3dDUVlEVlFRR0V3SlZVekVYTUJVR0ExVUVDQXdPVG05eWRH",
        "Z2dRMkZ5YjJ4cGJtRXhEekFOQmdOVgpCQWNNQmtSMWNtaGhiVEVaTUJjR0ExVUVDZ3dRYjNKbk1TNWxlR0Z0Y0d4",
        "bExtTnZiVEVjTUJvR0ExVUVBd3dUClkyRXViM0puTVM1bGVHRnRjR3hsTG1OdmJUQlpNQk1HQnlxR1NNNDlBZ0VH",
        "Q0NxR1NNNDlBd0VIQTBJQUJPTnUKa1BWb2ZHS3NoRnliaXhEUEVWYVNvZGRqU05WS0lSa0V5NFNqa3VMbDN1K0p0",
        "NmI0Q2FxeFQvTGZoamlxY3FmRgo2Y0cxZzgvQ0k1V056RXl5ZHdlamdZTXdnWUF3SHdZRFZSMGpCQmd3Rm9BVUsz",
        "Z0xlVmdxSklrY2k4TVNRSmJICmorSG1XTzh3RHdZRFZSMFRBUUgvQkFVd0F3RUIvekFPQmdOVkhROEJBZjhFQkFN",
        "Q0FhWXdIUVlEVlIwbEJCWXcKRkFZSUt3WUJCUVVIQXdJR0NDc0dBUVVGQndNQk1CMEdBMVVkRGdRV0JCUXJlQXQ1",
        "V0Nva2lSeUx3eEpBbHNlUAo0ZVpZN3pBS0JnZ3Foa2pPUFFRREFnTklBREJGQWlBR1pNbGsrdUxsV1ZlcUMxTGQ4",
        "ZENTUXFjWWdXNnpZWHlrCnk1Z253SCtWa3dJaEFLdjhlaGJ3MjVuaTRxMXNPQ00vdmxZVmhieDlzZDV6eDlNT24r",
        "ZUU0QzBMCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
    );
    /// From the fixture exchange `import.ca` (seq 49).
    const TLSCA_ROOT_B64: &str = concat!(
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNiVENDQWhLZ0F3SUJBZ0lVV0lJSUltMDBsVU1CQldLUExI",
        "S295aFVTUTdBd0NnWUlLb1pJemowRUF3SXcKY3pFTE1Ba0dBMVVFQmhNQ1ZWTXhGekFWQmdOVkJBZ01EazV2Y25S",
        "b0lFTmhjbTlzYVc1aE1ROHdEUVlEVlFRSApEQVpFZFhKb1lXMHhHVEFYQmdOVkJBb01FRzl5WnpFdVpYaGhiWEJz",
        "WlM1amIyMHhIekFkQmdOVkJBTU1GblJzCmMyTmhMbTl5WnpFdVpYaGhiWEJzWlM1amIyMHdIaGNOTWpZeE1USTJN",
        "VGcwT1RJMldoY05OREV4TVRJeU1UZzAKT1RJMldqQnpNUXN3Q1FZRFZRUUdFd0pWVXpFWE1CVUdBMVVFQ0F3T1Rt",
        "OXlkR2dnUTJGeWIyeHBibUV4RHpBTgpCZ05WQkFjTUJrUjFjbWhoYlRFWk1CY0dBMVVFQ2d3UWIzSm5NUzVsZUdG",
        "dGNHeGxMbU52YlRFZk1CMEdBMVVFCkF3d1dkR3h6WTJFdWIzSm5NUzVsZUdGdGNHeGxMbU52YlRCWk1CTUdCeXFH",
        "U000OUFnRUdDQ3FHU000OUF3RUgKQTBJQUJJenhIWkd3WWV5OStzVUhqMURhZ2pZRllodVRmT1d5d3ZobEhiU1Uy",
        "Q1J5czA3SnZ1cDFZbkttK2RrMApPRFZZN1ArRCtZUXhxZUlzSXBvU1VvRnQwQnlqZ1lNd2dZQXdId1lEVlIwakJC",
        "Z3dGb0FVVFRQVGZpeXphY3FDCityaVBVVGkyV3JZbWtsUXdEd1lEVlIwVEFRSC9CQVV3QXdFQi96QU9CZ05WSFE4",
        "QkFmOEVCQU1DQWFZd0hRWUQKVlIwbEJCWXdGQVlJS3dZQkJRVUhBd0lHQ0NzR0FRVUZCd01CTUIwR0ExVWREZ1FX",
        "QkJSTk05TitMTE5weW9MNgp1STlST0xaYXRpYVNWREFLQmdncWhrak9QUVFEQWdOSkFEQkdBaUVBdUdwVTgvV3ZX",
        "UG54VU4zR1ByVGZrbGdjCkhCdXdXMUxvSDd0TXZxZSt5S0FDSVFDL0dNRmdRN3VSRjV2Q3BTbGVXSWoyeG4xMXF6",
        "OVhQRXQrZTE1RU1rT20KMUE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==",
    );
    /// From the fixture exchange `import.ca` (seq 49).
    const TLS_CERT_B64: &str = concat!(
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNqakNDQWpXZ0F3SUJBZ0lSQUx0Tm0vZThGT0owZk01bTFT",
        "MTNLNGN3Q2dZSUtvWkl6ajBFQXdJd2N6RUwKTUFrR0ExVUVCaE1DVlZNeEZ6QVZCZ05WQkFnTURrNXZjblJvSUVO",
        "aGNtOXNhVzVoTVE4d0RRWURWUVFIREFaRQpkWEpvWVcweEdUQVhCZ05WQkFvTUVHOXlaekV1WlhoaGJYQnNaUzVq",
        "YjIweEh6QWRCZ05WQkFNTUZuUnNjMk5oCkxtOXlaekV1WlhoaGJYQnNaUzVqYjIwd0hoY05Nall4TVRJMk1UZzBP",
        "VEkyV2hjTk16WXhNVEl6TVRnME9USTIKV2pCck1Rc3dDUVlEVlFRR0V3SlZVekVYTUJVR0ExVUVDQXdPVG05eWRH",
        "Z2dRMkZ5YjJ4cGJtRXhGREFTQmdOVgpCQW9NQzBoNWNHVnliR1ZrWjJWeU1ROHdEUVlEVlFRTERBWkdZV0p5YVdN",
        "eEhEQWFCZ05WQkFNTUUyTmhMbTl5Clp6RXVaWGhoYlhCc1pTNWpiMjB3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pP",
        "UFFNQkJ3TkNBQVN5TG5GS1BYdzEKRytlNXltM3V5TUtFZjJka3h6VFh2Z3hiSE02bWd0bllkcFFSRmU2NjJJZ3Uw",
        "VzhJN2hHM2UwV1BCZm9OKzEzUwp1djhLRy9jaW5PVnVvNEd4TUlHdU1Bd0dBMVVkRXdFQi93UUNNQUF3RGdZRFZS",
        "MFBBUUgvQkFRREFnV2dNQjBHCkExVWRKUVFXTUJRR0NDc0dBUVVGQndNQkJnZ3JCZ0VGQlFjREFqQWRCZ05WSFE0",
        "RUZnUVU2VjYrV0kzU1dNNEIKZXlpb3NIbHhwVitSc0NVd0h3WURWUjBqQkJnd0ZvQVVUVFBUZml5emFjcUMrcmlQ",
        "VVRpMldyWW1rbFF3THdZRApWUjBSQkNnd0pvSVRZMkV1YjNKbk1TNWxlR0Z0Y0d4bExtTnZiWUlKYkc5allXeG9i",
        "M04waHdSL0FBQUJNQW9HCkNDcUdTTTQ5QkFNQ0EwY0FNRVFDSUhFRHFIeE9mNWVNeTh0SkJRNCtOMXVycTkxZHFI",
        "V09tai84Nm12bFJvc0YKQWlCanJBUUhSTkJxdmJDR3c3STFpWVBoOEhFajlEK2ZEM1IyVnltVXR2RUhGQT09Ci0t",
        "LS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
    );

    /// A CA as GET /components/{id}?deployment_attrs=included&cache=skip returns it for a CA the
    /// console deployed (console-api.md §2: `CaResponse` plus the deployment attributes), with the
    /// certificates of the recorded `import.ca` exchange.
    fn console_json() -> serde_json::Value {
        json!({
            "api_url": "https://org1ca-ca.apps.example.org:443",
            "config_override": {
                "ca": {"registry": {"identities": [
                    {"name": "admin", "pass": "[redacted]", "type": "client"}
                ], "maxenrollments": -1}}
            },
            "dep_component_id": "org1ca",
            "display_name": "Org1 CA",
            "hsm": {"pkcs11endpoint": "tcp://hsm.example.org:2347"},
            "id": "org1ca",
            "location": "ibm_saas",
            "msp": {
                "ca": {"name": "ca", "root_certs": [CA_ROOT_B64]},
                "component": {"tls_cert": TLS_CERT_B64},
                "tlsca": {"name": "tlsca", "root_certs": [TLSCA_ROOT_B64]}
            },
            "operations_url": "https://org1ca-operations.apps.example.org:443",
            "region": null,
            "replicas": 1,
            "resources": {"ca": {
                "limits": {"cpu": "200m", "memory": "256Mi"},
                "requests": {"cpu": "100m", "memory": "128Mi"}
            }},
            "scheme_version": "v1",
            "storage": {"ca": {"class": "default", "size": "1Gi"}},
            "tags": ["fabric-ca", "ibm_saas", "org1", "tf"],
            "timestamp": 1_795_719_421_942_i64,
            "type": "fabric-ca",
            "version": "1.5.5-0",
            "zone": "dal10"
        })
    }

    fn component() -> Component {
        serde_json::from_value(console_json()).unwrap()
    }

    fn component_with(edit: impl FnOnce(&mut serde_json::Value)) -> Component {
        let mut j = console_json();
        edit(&mut j);
        serde_json::from_value(j).unwrap()
    }

    /// A resource object as Terraform sends it: every attribute present, null unless given.
    fn obj(pairs: &[(&str, Value)]) -> Value {
        let schema = schema();
        let mut attrs: BTreeMap<String, Value> = schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        attrs.insert("timeouts".into(), Value::Null);
        for (k, v) in pairs {
            assert!(attrs.contains_key(*k), "not a blockchain_ca attribute: {k}");
            attrs.insert(k.to_string(), v.clone());
        }
        Value::object(attrs)
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|i| i.to_string()).collect()
    }

    fn smap(pairs: &[(&str, &str)]) -> Value {
        Value::map_of_strings(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn timeouts(create: &str) -> Value {
        Value::object(BTreeMap::from([
            ("create".to_string(), s(create)),
            ("update".to_string(), Value::Null),
            ("delete".to_string(), Value::Null),
        ]))
    }

    fn spec(planned: &Value) -> CaSpec {
        match CaSpec::from_plan(planned) {
            Ok(spec) => spec,
            Err(d) => panic!("plan rejected: {d}"),
        }
    }

    fn pem_of(b64: &str) -> String {
        String::from_utf8(decode_b64_pem(b64).unwrap()).unwrap()
    }

    fn assert_certificate_pem(pem: &str) {
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMII"), "{pem}");
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");
    }

    // ---- schema ----

    #[test]
    fn schema_passes_the_framework_checks() {
        schema().check();
        CaResource.schema().check();
    }

    #[test]
    fn admin_credentials_are_write_only_and_sensitive() {
        let schema = schema();
        for name in ["admin_enroll_id", "admin_enroll_secret"] {
            let a = schema.block.get_attribute(name).unwrap();
            assert!(a.write_only, "{name} write_only");
            assert!(a.sensitive, "{name} sensitive");
            assert!(a.required && !a.computed, "{name} required, not computed");
        }
        let others: Vec<&str> = schema
            .block
            .attributes
            .iter()
            .filter(|a| a.write_only && !a.name.starts_with("admin_enroll_"))
            .map(|a| a.name.as_str())
            .collect();
        assert!(others.is_empty(), "unexpected write-only: {others:?}");
    }

    #[test]
    fn schema_covers_every_configurable_attribute_and_timeouts() {
        let schema = schema();
        for attr in [
            "display_name",
            "zone",
            "region",
            "version",
            "replicas",
            "resource_requests",
            "resource_limits",
            "storage_size",
            "storage_class",
            "hsm_pkcs11_endpoint",
            "tags",
        ] {
            let a = schema
                .block
                .get_attribute(attr)
                .unwrap_or_else(|| panic!("{attr} missing"));
            assert!(a.required || a.optional, "{attr} must be settable");
        }
        let t = schema.block.get_block("timeouts").unwrap();
        for op in ["create", "update", "delete"] {
            assert!(t.block.get_attribute(op).is_some(), "timeouts.{op}");
        }
        // Immutable on the console: storage and region replace the CA.
        for attr in [
            "storage_size",
            "storage_class",
            "region",
            "hsm_pkcs11_endpoint",
        ] {
            let a = schema.block.get_attribute(attr).unwrap();
            assert!(
                a.has_modifier(crate::framework::PlanModifier::RequiresReplace),
                "{attr} requires replace"
            );
        }
    }

    #[test]
    fn resource_is_registered_under_its_type_name() {
        assert_eq!(CaResource.type_name(), "blockchain_ca");
        let provider = crate::provider::BlockchainProvider::new();
        assert!(provider
            .resources()
            .iter()
            .any(|r| r.type_name() == "blockchain_ca"));
    }

    #[test]
    fn validate_warns_about_several_replicas() {
        let mut d = Diagnostics::new();
        CaResource.validate_config(&obj(&[("replicas", Value::int(3))]), &mut d);
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].severity, Severity::Warning);
        assert_eq!(w[0].attribute, Some(AttributePath::root().attr("replicas")));
        for quiet in [Value::int(1), Value::Null, Value::unknown()] {
            let mut d = Diagnostics::new();
            CaResource.validate_config(&obj(&[("replicas", quiet)]), &mut d);
            assert!(d.is_empty(), "{d}");
        }
    }

    // ---- decode_b64_pem ----

    #[test]
    fn console_base64_decodes_to_pem() {
        for b64 in [CA_ROOT_B64, TLSCA_ROOT_B64, TLS_CERT_B64] {
            assert_certificate_pem(&pem_of(b64));
        }
        // Whitespace around the value is not part of it.
        assert_eq!(pem_of(&format!("  {CA_ROOT_B64}\n")), pem_of(CA_ROOT_B64));
    }

    #[test]
    fn line_wrapped_base64_decodes_too() {
        let wrapped: String = CA_ROOT_B64
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(pem_of(&wrapped), pem_of(CA_ROOT_B64));
    }

    #[test]
    fn raw_pem_is_kept_as_given() {
        let pem = pem_of(TLS_CERT_B64);
        assert_eq!(pem_of(&pem), pem.trim());
        assert_eq!(pem_text(&pem), pem.trim());
    }

    #[test]
    fn non_pem_is_not_decoded() {
        assert_eq!(decode_b64_pem("not base64 at all!"), None);
        assert_eq!(decode_b64_pem(""), None);
        // Valid base64, but of something that is not PEM ("hello world").
        assert_eq!(decode_b64_pem("aGVsbG8gd29ybGQ="), None);
        // pem_text then keeps the console's string rather than inventing one.
        assert_eq!(pem_text("aGVsbG8gd29ybGQ="), "aGVsbG8gd29ybGQ=");
        assert_eq!(pem_text("%%%"), "%%%");
        assert_certificate_pem(&pem_text(CA_ROOT_B64));
    }

    // ---- admin_registry ----

    #[test]
    fn admin_registry_registers_one_all_powerful_client() {
        let r = admin_registry("admin", "adminpw");
        assert_eq!(r["registry"]["maxenrollments"], json!(-1));
        let ids = r["registry"]["identities"].as_array().unwrap();
        assert_eq!(ids.len(), 1);
        let id = &ids[0];
        assert_eq!(id["name"], json!("admin"));
        assert_eq!(id["pass"], json!("adminpw"));
        assert_eq!(id["type"], json!("client"));
        // Every attribute of the recorded create the console accepted
        // (`k8s.create-ca.valid.deployer-unreachable`), with the same values.
        for (k, v) in [
            ("hf.Registrar.Roles", json!("*")),
            ("hf.Registrar.Attributes", json!("*")),
            ("hf.Revoker", json!(true)),
            ("hf.GenCRL", json!(true)),
            ("hf.AffiliationMgr", json!(true)),
            ("hf.Registrar.DelegateRoles", json!("*")),
            ("hf.IntermediateCA", json!(true)),
        ] {
            assert_eq!(id["attrs"][k], v, "{k}");
        }
        assert_eq!(r.as_object().unwrap().len(), 1, "only `registry`");
    }

    // ---- CaSpec ----

    #[test]
    fn spec_reads_known_values_only() {
        let planned = obj(&[
            ("display_name", s("Org1 CA")),
            ("zone", Value::unknown()),
            ("version", s("1.5.7")),
            ("replicas", Value::int(2)),
            ("resource_requests", smap(&[("cpu", "100m")])),
            ("storage_size", s("1Gi")),
            ("tags", Value::set_of_strings(strings(&["tf", "org1"]))),
        ]);
        let spec = spec(&planned);
        assert_eq!(spec.display_name, "Org1 CA");
        assert_eq!(spec.zone, None);
        assert_eq!(spec.version.as_deref(), Some("1.5.7"));
        assert_eq!(spec.replicas, Some(2));
        assert_eq!(spec.tags, Some(strings(&["org1", "tf"])));
        assert_eq!(spec.storage_class, None);
    }

    #[test]
    fn spec_needs_a_known_display_name() {
        for name in [Value::Null, Value::unknown()] {
            let d = match CaSpec::from_plan(&obj(&[("display_name", name)])) {
                Ok(_) => panic!("accepted a plan without display_name"),
                Err(d) => d,
            };
            let e = d.iter().next().unwrap();
            assert!(e.is_error());
            assert_eq!(
                e.attribute,
                Some(AttributePath::root().attr("display_name"))
            );
        }
    }

    #[test]
    fn resources_json_has_the_create_body_shape() {
        let none = spec(&obj(&[("display_name", s("x"))]));
        assert_eq!(none.resources_json(), None);
        assert_eq!(none.storage_json(), None);

        // The shape of the recorded valid create (`k8s.create-ca.valid.deployer-unreachable`).
        let full = spec(&obj(&[
            ("display_name", s("x")),
            (
                "resource_requests",
                smap(&[("cpu", "100m"), ("memory", "128M")]),
            ),
            (
                "resource_limits",
                smap(&[("cpu", "200m"), ("memory", "256Mi")]),
            ),
            ("storage_size", s("1Gi")),
            ("storage_class", s("default")),
        ]));
        assert_eq!(
            full.resources_json(),
            Some(json!({"ca": {
                "requests": {"cpu": "100m", "memory": "128M"},
                "limits": {"cpu": "200m", "memory": "256Mi"}
            }}))
        );
        assert_eq!(
            full.storage_json(),
            Some(json!({"ca": {"size": "1Gi", "class": "default"}}))
        );
    }

    #[test]
    fn resources_and_storage_json_hold_only_what_is_set() {
        let limits_only = spec(&obj(&[
            ("display_name", s("x")),
            ("resource_limits", smap(&[("memory", "1Gi")])),
            ("storage_class", s("fast")),
        ]));
        assert_eq!(
            limits_only.resources_json(),
            Some(json!({"ca": {"limits": {"memory": "1Gi"}}}))
        );
        assert_eq!(
            limits_only.storage_json(),
            Some(json!({"ca": {"class": "fast"}}))
        );
        let size_only = spec(&obj(&[
            ("display_name", s("x")),
            ("storage_size", s("20Gi")),
        ]));
        assert_eq!(
            size_only.storage_json(),
            Some(json!({"ca": {"size": "20Gi"}}))
        );
        let requests_only = spec(&obj(&[
            ("display_name", s("x")),
            ("resource_requests", smap(&[("cpu", "1")])),
        ]));
        assert_eq!(
            requests_only.resources_json(),
            Some(json!({"ca": {"requests": {"cpu": "1"}}}))
        );
    }

    // ---- changed / deployment_updates ----

    #[test]
    fn changed_needs_a_known_set_different_value() {
        let prior = obj(&[("version", s("1.5.5-0")), ("replicas", Value::int(1))]);
        let plan = |attr: &str, v: Value| obj(&[(attr, v)]);
        assert!(changed(&prior, &plan("version", s("1.5.7")), "version"));
        assert!(!changed(&prior, &plan("version", s("1.5.5-0")), "version"));
        assert!(!changed(
            &prior,
            &plan("version", Value::unknown()),
            "version"
        ));
        assert!(!changed(&prior, &plan("version", Value::Null), "version"));
        assert!(changed(&prior, &plan("zone", s("dal10")), "zone"));
        // Numbers compare by value, not by representation.
        let float_one = Value::Number(crate::framework::value::Number::Float(1.0));
        assert!(!changed(&prior, &plan("replicas", float_one), "replicas"));
        assert!(changed(
            &prior,
            &plan("replicas", Value::int(2)),
            "replicas"
        ));
    }

    fn deployed_prior() -> Value {
        obj(&[
            ("id", s("org1ca")),
            ("display_name", s("Org1 CA")),
            ("version", s("1.5.5-0")),
            ("replicas", Value::int(1)),
            ("zone", s("dal10")),
            (
                "resource_requests",
                smap(&[("cpu", "100m"), ("memory", "128Mi")]),
            ),
            (
                "resource_limits",
                smap(&[("cpu", "200m"), ("memory", "256Mi")]),
            ),
            ("tags", Value::set_of_strings(strings(&["tf"]))),
        ])
    }

    fn with(base: &Value, pairs: &[(&str, Value)]) -> Value {
        let mut v = base.clone();
        for (k, x) in pairs {
            v.set(k, x.clone());
        }
        v
    }

    fn updates(prior: &Value, planned: &Value) -> Vec<CaUpdate> {
        deployment_updates(prior, planned, &spec(planned))
    }

    #[test]
    fn updates_go_version_then_resources_then_replicas_then_zone() {
        let prior = deployed_prior();
        let planned = with(
            &prior,
            &[
                ("zone", s("dal12")),
                ("replicas", Value::int(2)),
                (
                    "resource_requests",
                    smap(&[("cpu", "250m"), ("memory", "128Mi")]),
                ),
                ("version", s("1.5.7")),
            ],
        );
        let got = updates(&prior, &planned);
        assert_eq!(
            got,
            vec![
                CaUpdate::Version("1.5.7".into()),
                CaUpdate::Resources(json!({"ca": {
                    "requests": {"cpu": "250m", "memory": "128Mi"},
                    "limits": {"cpu": "200m", "memory": "256Mi"}
                }})),
                CaUpdate::Replicas(2),
                CaUpdate::Zone("dal12".into()),
            ]
        );
        let fields: Vec<&str> = got.iter().map(CaUpdate::field_name).collect();
        assert_eq!(fields, ["version", "resources", "replicas", "zone"]);
        // Each is a one-field body, as the console demands.
        assert_eq!(
            serde_json::to_value(&got[0]).unwrap(),
            json!({"version": "1.5.7"})
        );
        assert_eq!(
            serde_json::to_value(&got[2]).unwrap(),
            json!({"replicas": 2})
        );
    }

    #[test]
    fn a_limits_change_alone_sends_the_whole_resources_object() {
        let prior = deployed_prior();
        let planned = with(
            &prior,
            &[(
                "resource_limits",
                smap(&[("cpu", "1"), ("memory", "256Mi")]),
            )],
        );
        assert_eq!(
            updates(&prior, &planned),
            vec![CaUpdate::Resources(json!({"ca": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "256Mi"}
            }}))]
        );
    }

    #[test]
    fn nothing_is_sent_for_unchanged_unknown_or_null_values() {
        let prior = deployed_prior();
        assert!(updates(&prior, &prior).is_empty());

        let unknown = with(
            &prior,
            &[
                ("version", Value::unknown()),
                ("replicas", Value::unknown()),
                ("zone", Value::unknown()),
                ("resource_requests", Value::unknown()),
                ("resource_limits", Value::unknown()),
            ],
        );
        assert!(updates(&prior, &unknown).is_empty());

        let null = with(
            &prior,
            &[
                ("version", Value::Null),
                ("replicas", Value::Null),
                ("zone", Value::Null),
                ("resource_requests", Value::Null),
                ("resource_limits", Value::Null),
            ],
        );
        assert!(updates(&prior, &null).is_empty());

        // Record-only changes are edits, not deployment updates.
        let record = with(
            &prior,
            &[
                ("display_name", s("Renamed")),
                ("tags", Value::set_of_strings(strings(&["tf", "new"]))),
            ],
        );
        assert!(updates(&prior, &record).is_empty());
    }

    #[test]
    fn replicas_out_of_u32_range_are_not_sent() {
        let prior = deployed_prior();
        let planned = with(&prior, &[("replicas", Value::int(-1))]);
        assert!(updates(&prior, &planned).is_empty());
    }

    // ---- live_state ----

    #[test]
    fn live_state_maps_the_console_view() {
        let base = obj(&[
            ("id", s("org1ca")),
            ("display_name", s("old name")),
            ("admin_enroll_id", s("admin")),
            ("admin_enroll_secret", s("adminpw")),
            ("hsm_pkcs11_endpoint", s("tcp://hsm.example.org:2347")),
            ("timeouts", timeouts("30m")),
        ]);
        let st = live_state(&base, &component());
        assert_eq!(st.get("id"), &s("org1ca"));
        assert_eq!(st.get("display_name"), &s("Org1 CA"));
        assert_eq!(
            st.get("api_url"),
            &s("https://org1ca-ca.apps.example.org:443")
        );
        assert_eq!(
            st.get("operations_url"),
            &s("https://org1ca-operations.apps.example.org:443")
        );
        assert_eq!(st.get("zone"), &s("dal10"));
        assert_eq!(st.get("region"), &Value::Null);
        assert_eq!(st.get("version"), &s("1.5.5-0"));
        assert_eq!(st.get("replicas"), &Value::int(1));
        assert_eq!(
            st.get("resource_requests"),
            &smap(&[("cpu", "100m"), ("memory", "128Mi")])
        );
        assert_eq!(
            st.get("resource_limits"),
            &smap(&[("cpu", "200m"), ("memory", "256Mi")])
        );
        assert_eq!(st.get("storage_size"), &s("1Gi"));
        assert_eq!(st.get("storage_class"), &s("default"));
        assert_eq!(st.get("ca_name"), &s("ca"));
        assert_eq!(st.get("tlsca_name"), &s("tlsca"));

        // PEMs decoded.
        let ca_roots = st.get("ca_root_certs").as_strings().unwrap();
        assert_eq!(ca_roots, vec![pem_of(CA_ROOT_B64)]);
        assert_certificate_pem(&ca_roots[0]);
        assert!(matches!(st.get("ca_root_certs"), Value::List(_)));
        let tls_roots = st.get("tlsca_root_certs").as_strings().unwrap();
        assert_eq!(tls_roots, vec![pem_of(TLSCA_ROOT_B64)]);
        let tls_cert = st.get("tls_cert").as_str().unwrap();
        assert_eq!(tls_cert, pem_of(TLS_CERT_B64));
        assert_certificate_pem(tls_cert);

        // System tags dropped; the user's kept (the base had none, the console has some).
        assert_eq!(
            st.get("tags"),
            &Value::set_of_strings(strings(&["org1", "tf"]))
        );

        // Write-only never stored; the HSM endpoint read back from the console's `hsm`.
        assert_eq!(st.get("admin_enroll_id"), &Value::Null);
        assert_eq!(st.get("admin_enroll_secret"), &Value::Null);
        assert_eq!(
            st.get("hsm_pkcs11_endpoint"),
            &s("tcp://hsm.example.org:2347")
        );
        assert_eq!(st.get("timeouts"), &timeouts("30m"));
        assert!(st.is_wholly_known());
    }

    #[test]
    fn export_json_is_the_console_export() {
        let st = live_state(&obj(&[]), &component());
        let text = st.get("export_json").as_str().unwrap();
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(doc["display_name"], json!("Org1 CA"));
        assert_eq!(doc["name"], json!("Org1 CA"));
        assert_eq!(doc["id"], json!("org1ca"));
        assert_eq!(doc["type"], json!("fabric-ca"));
        assert_eq!(doc["location"], json!(DEFAULT_PLATFORM));
        assert_eq!(
            doc["api_url"],
            json!("https://org1ca-ca.apps.example.org:443")
        );
        assert_eq!(doc["ca_name"], json!("ca"));
        assert_eq!(doc["tlsca_name"], json!("tlsca"));
        // The export keeps the console's base64 PEMs.
        assert_eq!(doc["tls_cert"], json!(TLS_CERT_B64));
        assert_eq!(doc["tls_ca_root_cert"], json!(TLSCA_ROOT_B64));
        assert_eq!(doc["msp"]["ca"]["root_certs"][0], json!(CA_ROOT_B64));
        // 4-space indentation, as the console's download button writes it.
        assert!(text.starts_with("{\n    \""), "{text}");
        assert!(!text.contains("config_override"));
    }

    #[test]
    fn tags_stay_null_when_nobody_set_any() {
        let c = component_with(|j| j["tags"] = json!(["fabric-ca", "ibm_saas"]));
        assert_eq!(live_state(&obj(&[]), &c).get("tags"), &Value::Null);
        // An explicitly empty set stays an empty set, not null.
        let base = obj(&[("tags", Value::set_of_strings(Vec::new()))]);
        assert_eq!(
            live_state(&base, &c).get("tags"),
            &Value::set_of_strings(Vec::new())
        );
        // Tags removed on the console are drift from the user's tags.
        let base = obj(&[("tags", Value::set_of_strings(strings(&["tf"])))]);
        assert_eq!(
            live_state(&base, &c).get("tags"),
            &Value::set_of_strings(Vec::new())
        );
        // A console answer with null tags is the same as none.
        let c = component_with(|j| j["tags"] = serde_json::Value::Null);
        assert_eq!(live_state(&obj(&[]), &c).get("tags"), &Value::Null);
    }

    #[test]
    fn a_system_tag_the_user_lists_is_kept() {
        let base = obj(&[("tags", Value::set_of_strings(strings(&["fabric-ca", "tf"])))]);
        assert_eq!(
            live_state(&base, &component()).get("tags"),
            &Value::set_of_strings(strings(&["fabric-ca", "org1", "tf"]))
        );
    }

    #[test]
    fn live_state_nulls_unknowns_the_console_cannot_fill() {
        let base = obj(&[
            ("hsm_pkcs11_endpoint", Value::unknown()),
            ("timeouts", Value::unknown()),
        ]);
        let without_hsm = component_with(|j| {
            j.as_object_mut().map(|o| o.remove("hsm"));
        });
        let st = live_state(&base, &without_hsm);
        assert_eq!(st.get("hsm_pkcs11_endpoint"), &Value::Null);
        assert_eq!(st.get("timeouts"), &Value::Null);
        assert!(st.is_wholly_known());
    }

    #[test]
    fn live_state_of_a_sparse_component() {
        // A CA whose deployment attributes and MSP the console did not report.
        let c: Component = serde_json::from_value(json!({
            "id": "bare", "display_name": "Bare", "type": "fabric-ca", "tags": ["fabric-ca"]
        }))
        .unwrap();
        let st = live_state(&obj(&[]), &c);
        for attr in [
            "zone",
            "region",
            "version",
            "replicas",
            "resource_requests",
            "resource_limits",
            "storage_size",
            "storage_class",
            "ca_name",
            "tlsca_name",
            "tls_cert",
            "api_url",
            "operations_url",
            "tags",
        ] {
            assert_eq!(st.get(attr), &Value::Null, "{attr}");
        }
        assert_eq!(st.get("ca_root_certs"), &Value::List(Vec::new()));
        assert_eq!(st.get("tlsca_root_certs"), &Value::List(Vec::new()));
        let doc: serde_json::Value =
            serde_json::from_str(st.get("export_json").as_str().unwrap()).unwrap();
        assert_eq!(doc["id"], json!("bare"));
    }

    #[test]
    fn live_state_builds_an_object_even_from_a_null_base() {
        let st = live_state(&Value::Null, &component());
        assert_eq!(st.get("id"), &s("org1ca"));
        assert_eq!(st.get("display_name"), &s("Org1 CA"));
        assert_eq!(
            st.get("tags"),
            &Value::set_of_strings(strings(&["org1", "tf"]))
        );
    }

    // ---- applied_state ----

    #[test]
    fn applied_state_keeps_known_planned_values() {
        let planned = obj(&[
            ("id", Value::unknown()),
            ("display_name", s("Org1 CA")),
            ("admin_enroll_id", Value::Null),
            ("version", s("1.5.7")),
            ("replicas", Value::int(1)),
            ("zone", Value::unknown()),
            ("region", Value::unknown()),
            (
                "resource_requests",
                smap(&[("cpu", "0.1"), ("memory", "128Mi")]),
            ),
            ("resource_limits", Value::unknown()),
            ("storage_size", s("1Gi")),
            ("storage_class", Value::unknown()),
            ("tags", Value::set_of_strings(strings(&["tf", "org1"]))),
            ("api_url", Value::unknown()),
            ("operations_url", Value::unknown()),
            ("ca_name", Value::unknown()),
            ("tlsca_name", Value::unknown()),
            ("ca_root_certs", Value::unknown()),
            ("tlsca_root_certs", Value::unknown()),
            ("tls_cert", Value::unknown()),
            ("export_json", Value::unknown()),
            ("timeouts", timeouts("45m")),
        ]);
        let st = applied_state(&planned, &component());
        // Known planned values win, even where the console words them differently.
        assert_eq!(st.get("version"), &s("1.5.7"));
        assert_eq!(
            st.get("resource_requests"),
            &smap(&[("cpu", "0.1"), ("memory", "128Mi")])
        );
        assert_eq!(
            st.get("tags"),
            &Value::set_of_strings(strings(&["org1", "tf"]))
        );
        // Unknown planned values take the console's.
        assert_eq!(st.get("id"), &s("org1ca"));
        assert_eq!(st.get("zone"), &s("dal10"));
        assert_eq!(st.get("region"), &Value::Null);
        assert_eq!(
            st.get("resource_limits"),
            &smap(&[("cpu", "200m"), ("memory", "256Mi")])
        );
        assert_eq!(st.get("storage_class"), &s("default"));
        assert_eq!(st.get("ca_name"), &s("ca"));
        assert_certificate_pem(st.get("tls_cert").as_str().unwrap());
        assert!(st.get("export_json").as_str().is_some());
        assert_eq!(st.get("timeouts"), &timeouts("45m"));
        assert_eq!(st.get("admin_enroll_id"), &Value::Null);
        assert_eq!(st.get("admin_enroll_secret"), &Value::Null);
        // Terraform rejects an apply result that still holds unknowns.
        assert!(st.is_wholly_known());
    }

    #[test]
    fn applied_state_keeps_known_nulls_and_fills_unknowns_from_the_console() {
        // Terraform rejects an apply result that differs from a known planned value, null too.
        let planned = obj(&[("display_name", s("Org1 CA")), ("version", Value::Null)]);
        let st = applied_state(&planned, &component());
        assert_eq!(st.get("version"), &Value::Null);
        let planned = obj(&[
            ("display_name", s("Org1 CA")),
            ("version", Value::unknown()),
        ]);
        let st = applied_state(&planned, &component());
        assert_eq!(st.get("version"), &s("1.5.5-0"));
    }

    #[test]
    fn a_read_keeps_the_users_spelling_of_equivalent_values() {
        let base = obj(&[
            ("version", s("1.5.5")),
            ("storage_size", s("1024Mi")),
            ("resource_requests", smap(&[("cpu", "0.1")])),
        ]);
        let st = live_state(&base, &component());
        assert_eq!(st.get("version"), &s("1.5.5"));
        assert_eq!(st.get("storage_size"), &s("1024Mi"));
        assert_eq!(st.get("resource_requests"), &smap(&[("cpu", "0.1")]));
        // A real difference is drift.
        let base = obj(&[("version", s("1.4.9")), ("storage_size", s("2Gi"))]);
        let st = live_state(&base, &component());
        assert_eq!(st.get("version"), &s("1.5.5-0"));
        assert_eq!(st.get("storage_size"), &s("1Gi"));
    }

    #[test]
    fn only_a_deployed_fabric_ca_is_this_resource() {
        assert!(is_deployed_ca(&component()));
        let imported = component_with(|j| j["location"] = json!("-"));
        assert!(!is_deployed_ca(&imported));
        let peer = component_with(|j| j["type"] = json!("fabric-peer"));
        assert!(!is_deployed_ca(&peer));
    }

    #[test]
    fn an_update_counts_as_done_once_the_console_reports_it() {
        let c = component();
        assert!(reflects(&c, &CaUpdate::Version("1.5.5".into())));
        assert!(!reflects(&c, &CaUpdate::Version("1.5.6".into())));
        assert!(reflects(&c, &CaUpdate::Replicas(1)));
        assert!(!reflects(&c, &CaUpdate::Replicas(2)));
        // A zone change may be accepted without moving anything (console-api §2.4): the PUT's
        // success is taken as done, and the next read reports the zone as it is.
        assert!(reflects(&c, &CaUpdate::Zone("dal12".into())));
        // A console that does not report replicas cannot hold an update back.
        let no_replicas = component_with(|j| {
            j.as_object_mut().map(|o| o.remove("replicas"));
        });
        assert!(reflects(&no_replicas, &CaUpdate::Replicas(3)));
        let wanted = json!({"ca": {"requests": {"cpu": "0.1", "memory": "128Mi"}}});
        assert!(reflects(&c, &CaUpdate::Resources(wanted)));
        let more = json!({"ca": {"requests": {"cpu": "1"}}});
        assert!(!reflects(&c, &CaUpdate::Resources(more)));
    }

    /// Runs the framework's plan engine and then `modify_plan`, as the server does.
    async fn plan_update(prior: &Value, config: &Value) -> (Value, Vec<AttributePath>) {
        // Terraform's proposed state: configuration values, prior values for computed nulls.
        let mut proposed = prior.clone();
        if let Some(m) = config.as_map() {
            for (k, v) in m {
                let computed = schema().block.get_attribute(k).is_some_and(|a| a.computed);
                if !v.is_null() || !computed {
                    proposed.set(k, v.clone());
                }
            }
        }
        let change = crate::framework::plan_resource_change(&schema(), prior, &proposed, config);
        let (mut planned, mut replace) = (change.planned, change.requires_replace);
        let mut diags = Diagnostics::new();
        let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
        CaResource
            .modify_plan(
                &ctx,
                PlanContext {
                    prior,
                    config,
                    planned: &mut planned,
                    requires_replace: &mut replace,
                    diagnostics: &mut diags,
                },
            )
            .await;
        (planned, replace)
    }

    /// A realistic configuration: what a user writes, computed attributes left out.
    fn user_config(pairs: &[(&str, Value)]) -> Value {
        let mut c = obj(&[
            ("display_name", s("Org1 CA")),
            ("admin_enroll_id", s("admin")),
            ("admin_enroll_secret", s("adminpw")),
            ("tags", Value::set_of_strings(strings(&["org1", "tf"]))),
            ("hsm_pkcs11_endpoint", s("tcp://hsm.example.org:2347")),
        ]);
        for (k, v) in pairs {
            c.set(k, v.clone());
        }
        c
    }

    #[tokio::test]
    async fn equivalent_spellings_in_the_configuration_plan_no_change_and_no_replacement() {
        let prior = live_state(&obj(&[("timeouts", Value::Null)]), &component());
        let config = user_config(&[
            ("version", s("1.5.5")),
            ("storage_size", s("1024Mi")),
            (
                "resource_requests",
                smap(&[("cpu", "0.1"), ("memory", "128Mi")]),
            ),
        ]);
        let (planned, replace) = plan_update(&prior, &config).await;
        assert!(replace.is_empty(), "{replace:?}");
        assert_eq!(
            planned, prior,
            "a respelled configuration must plan no change"
        );
    }

    #[tokio::test]
    async fn real_changes_are_still_planned_with_the_replacement_they_need() {
        let prior = live_state(&obj(&[("timeouts", Value::Null)]), &component());
        let (planned, replace) =
            plan_update(&prior, &user_config(&[("storage_size", s("2Gi"))])).await;
        assert_eq!(replace, vec![AttributePath::root().attr("storage_size")]);
        assert_eq!(planned.get("storage_size"), &s("2Gi"));
        // Dropping a resource key is a change, not an equivalent spelling.
        let (planned, _) = plan_update(
            &prior,
            &user_config(&[("resource_requests", smap(&[("cpu", "100m")]))]),
        )
        .await;
        assert_eq!(planned.get("resource_requests"), &smap(&[("cpu", "100m")]));
        // Adding an HSM to a CA without one replaces it (keys cannot move into an HSM).
        let no_hsm = live_state(
            &obj(&[("timeouts", Value::Null)]),
            &component_with(|j| {
                j.as_object_mut().map(|o| o.remove("hsm"));
            }),
        );
        let (_, replace) = plan_update(
            &no_hsm,
            &user_config(&[("hsm_pkcs11_endpoint", s("tcp://hsm.example.org:2347"))]),
        )
        .await;
        assert_eq!(
            replace,
            vec![AttributePath::root().attr("hsm_pkcs11_endpoint")]
        );
    }
}
