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
    Diagnostic, Diagnostics, Resource, ResourceContext, Schema, TimeoutOp, Timeouts, Value,
};
use crate::provider::ProviderState;
use crate::resources::export::{export_node_json, DEFAULT_PLATFORM};
use async_trait::async_trait;
use base64::Engine as _;

/// Tags the console adds by itself to a created CA; they are not the user's.
const SYSTEM_TAGS: [&str; 2] = ["fabric-ca", "ibm_saas"];
const TYPE_PATH: &str = "fabric-ca";

const DEFAULTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// How often readiness and deletion are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

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
        if self.resource_requests.is_none() && self.resource_limits.is_none() {
            return None;
        }
        let mut ca = serde_json::Map::new();
        if let Some(r) = &self.resource_requests {
            ca.insert("requests".into(), serde_json::json!(r));
        }
        if let Some(l) = &self.resource_limits {
            ca.insert("limits".into(), serde_json::json!(l));
        }
        Some(serde_json::json!({ "ca": ca }))
    }

    fn storage_json(&self) -> Option<serde_json::Value> {
        if self.storage_size.is_none() && self.storage_class.is_none() {
            return None;
        }
        let mut ca = serde_json::Map::new();
        if let Some(s) = &self.storage_size {
            ca.insert("size".into(), serde_json::json!(s));
        }
        if let Some(c) = &self.storage_class {
            ca.insert("class".into(), serde_json::json!(c));
        }
        Some(serde_json::json!({ "ca": ca }))
    }
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
                     created. Write-only: the console redacts it at rest, so it is never stored in state and \
                     a later change has no effect on the running CA.",
                )
                .validate(validators::not_empty()),
        )
        .attribute(
            Attribute::string("admin_enroll_secret")
                .required()
                .sensitive()
                .write_only()
                .description(
                    "Enroll secret of the CA administrator, at least 4 characters (the console's rule). \
                     Write-only, like `admin_enroll_id`: never stored in state or shown in plans, never \
                     read back from the console.",
                )
                .validate(validators::length_between(4, 4096)),
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
        let created = console
            .create_ca(&request)
            .await
            .map_err(|e| console_diag("Cannot create the CA", &e))?;
        tracing::info!(id = %created.id, "CA created; waiting for it to answer /cainfo");

        // From here on the CA exists: a failure returns it as partial state, so Terraform
        // records it (tainted) and the next apply replaces it instead of leaving an orphan.
        let partial = |c: &Component| applied_state(planned, c);
        let timeout = timeout_for(planned, TimeoutOp::Create, DEFAULTS.create);
        if let Err(diags) = wait_ready(&console, &created, timeout).await {
            return Err(ApplyError::partial(diags, partial(&created)));
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
        Ok(read_component(&console, id)
            .await?
            .map(|c| live_state(current, &c)))
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        prior: &Value,
        planned: &Value,
        _config: &Value,
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
            edit.tags = Some(spec.tags.clone().unwrap_or_default());
        }
        if edit.display_name.is_some() || edit.tags.is_some() {
            console
                .edit_component(TYPE_PATH, &id, &edit)
                .await
                .map_err(|e| console_diag("Cannot edit the CA", &e))?;
        }

        // Then the deployment, one field per request as the console demands: the image version
        // alone first (it restarts the pods), then sizing, then placement.
        let updates = deployment_updates(prior, planned, &spec);
        let deployment_changed = !updates.is_empty();
        for update in updates {
            let field = update.field_name();
            console
                .update_ca(&id, update)
                .await
                .map_err(|e| console_diag(&format!("Cannot update the CA's {field}"), &e))?;
        }
        let Some(current) = read_component(&console, &id).await? else {
            return Err(Diagnostics::from(Diagnostic::error(
                "CA not found",
                format!("CA {id} disappeared during the update."),
            ))
            .into());
        };
        if deployment_changed {
            let timeout = timeout_for(planned, TimeoutOp::Update, DEFAULTS.update);
            wait_ready(&console, &current, timeout).await?;
        }
        Ok(applied_state(planned, &current))
    }

    async fn delete(&self, ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics> {
        let console = console_for(ctx)?;
        let Some(id) = prior.get("id").as_str() else {
            return Ok(());
        };
        console
            .delete_component(id)
            .await
            .map_err(|e| console_diag("Cannot delete the CA", &e))?;
        let timeout = timeout_for(prior, TimeoutOp::Delete, DEFAULTS.delete);
        console
            .wait_deleted(id, timeout)
            .await
            .map_err(|e| console_diag("The CA was not deleted in time", &e))
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

/// The provider's console client, bound to Terraform's Stop signal.
fn console_for(ctx: &ResourceContext) -> Result<ConsoleClient, Diagnostics> {
    let state = ctx.provider_data::<ProviderState>()?;
    Ok(state.console.with_cancellation(ctx.cancelled()))
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

/// Console PEMs are base64 of the PEM text; Terraform users want the PEM itself.
fn decode_b64_pem(b64: &str) -> Option<Vec<u8>> {
    let trimmed = b64.trim();
    if trimmed.starts_with("-----BEGIN") {
        return Some(trimmed.as_bytes().to_vec()); // the console also stores raw PEM as given
    }
    base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .ok()
}

fn pem_text(b64: &str) -> String {
    decode_b64_pem(b64)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| b64.to_string())
}

/// Attributes the user sets; after an apply they must equal the plan (Terraform's rule), so the
/// applied state keeps the planned values and the next read reports any real difference.
const CONFIGURABLE: [&str; 11] = [
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
];

/// State after create/update: the console's view, with the planned values of what the user set.
fn applied_state(planned: &Value, c: &Component) -> Value {
    let mut s = live_state(planned, c);
    for attr in CONFIGURABLE {
        let p = planned.get(attr);
        if p.is_known() && !p.is_null() {
            s.set(attr, p.clone());
        }
    }
    s
}

/// State from the console's view of the CA. `base` (plan or prior state) supplies what the console
/// cannot report: the timeouts block, the HSM endpoint, and whether the user manages tags at all.
fn live_state(base: &Value, c: &Component) -> Value {
    let mut s = base.clone();
    let text = |v: &Option<String>| Value::string_or_null(v.clone());
    s.set("id", Value::string(c.id.clone()));
    s.set("display_name", Value::string(c.display_name.clone()));
    s.set("admin_enroll_id", Value::Null);
    s.set("admin_enroll_secret", Value::Null);
    s.set("zone", text(&c.zone));
    s.set("region", text(&c.region));
    s.set("version", text(&c.version));
    s.set(
        "replicas",
        c.replicas
            .map(|r| Value::int(i64::from(r)))
            .unwrap_or(Value::Null),
    );
    let (requests, limits) = resource_maps(&c.resources);
    s.set("resource_requests", requests);
    s.set("resource_limits", limits);
    let storage = |key: &str| {
        Value::string_or_null(
            c.storage
                .get("ca")
                .and_then(|ca| ca.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string),
        )
    };
    s.set("storage_size", storage("size"));
    s.set("storage_class", storage("class"));
    if !base.get("hsm_pkcs11_endpoint").is_known() {
        s.set("hsm_pkcs11_endpoint", Value::Null);
    }
    let user_tags: Vec<String> = c
        .tags
        .iter()
        .filter(|t| !SYSTEM_TAGS.contains(&t.as_str()))
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
