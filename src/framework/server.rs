//! The tfplugin5 `Provider` gRPC service, driving a [`Provider`] and its resources.
//!
//! Every RPC answers with diagnostics rather than a gRPC error, so the user sees a readable
//! message. Attribute values are never logged (they may hold secrets); only RPC and type names.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::codec::{
    decode_json_lenient, decode_optional_dynamic_value, encode_dynamic_value,
};
use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::path::AttributePath;
use crate::framework::plan::{
    inconsistencies, keep_equal_in_meaning, mark_computed_unknown_unless_planned, null_write_only,
    plan_resource_change, unknown_paths,
};
use crate::framework::private::Private;
use crate::framework::resource::{
    DataSource, PlanContext, Provider, ProviderData, Resource, ResourceContext,
};
use crate::framework::schema::{Block, NestingMode, Schema};
use crate::framework::types::Type;
use crate::framework::value::Value;
use crate::proto::tfplugin5;
use crate::proto::tfplugin5::provider_server::Provider as ProviderRpc;

/// Largest gRPC message accepted or sent; state of big resources can exceed tonic's 4 MiB.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// A schema with its implied type, computed once.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
}

/// Resource or data source implementations by type name.
type Registry<T> = BTreeMap<String, Typed<T>>;

/// What the server needs from a resource or a data source alike, so both kinds are registered,
/// looked up and validated by the same code.
trait Registered: Send + Sync {
    /// The kind as users read it in messages: "resource" or "data source".
    const KIND: &'static str;
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate_config(&self, config: &Value, diags: &mut Diagnostics);
}

impl Registered for dyn Resource {
    const KIND: &'static str = "resource";
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }
    fn schema(&self) -> Schema {
        Resource::schema(self)
    }
    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        Resource::validate_config(self, config, diags)
    }
}

impl Registered for dyn DataSource {
    const KIND: &'static str = "data source";
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }
    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }
    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        DataSource::validate_config(self, config, diags)
    }
}

/// Indexes implementations by type name, building each schema and its type once.
fn registry<T: Registered + ?Sized>(items: Vec<Arc<T>>) -> Registry<T> {
    let mut registry = BTreeMap::new();
    for imp in items {
        let type_name = imp.type_name();
        let schema = imp.schema();
        let ty = schema.implied_type();
        if registry
            .insert(type_name.to_string(), Typed { imp, schema, ty })
            .is_some()
        {
            tracing::warn!(
                type_name,
                "{} type registered twice; the last one wins",
                T::KIND
            );
        }
    }
    registry
}

/// Finds a type by name, reporting an unknown one as a diagnostic.
fn lookup<'a, T: Registered + ?Sized>(
    registry: &'a Registry<T>,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<&'a Typed<T>> {
    let typed = registry.get(type_name);
    if typed.is_none() {
        diags.error(
            format!("Unknown {} type", T::KIND),
            format!("This provider has no {} type named {type_name:?}.", T::KIND),
        );
    }
    typed
}

/// Finds a type by name and decodes the request's `(value, what)` pairs against it. `None`
/// if the type is unknown or any value does not decode; every problem is a diagnostic.
fn lookup_decoded<'a, T: Registered + ?Sized, const N: usize>(
    registry: &'a Registry<T>,
    type_name: &str,
    values: [(Option<&tfplugin5::DynamicValue>, &str); N],
    diags: &mut Diagnostics,
) -> Option<(&'a Typed<T>, [Value; N])> {
    let typed = lookup(registry, type_name, diags)?;
    // Decode every value before giving up, so each bad one is reported.
    let decoded = values.map(|(dv, what)| decode(dv, &typed.ty, what, diags));
    let values: Vec<Value> = decoded.into_iter().collect::<Option<_>>()?;
    Some((typed, values.try_into().ok()?))
}

/// Validates a resource or data source configuration: schema validators, then the type's own
/// checks. Returns the answer's diagnostics.
fn validate_config<T: Registered + ?Sized>(
    registry: &Registry<T>,
    type_name: &str,
    config: Option<&tfplugin5::DynamicValue>,
) -> Vec<tfplugin5::Diagnostic> {
    let mut diags = Diagnostics::new();
    let config = [(config, "configuration")];
    if let Some((typed, [config])) = lookup_decoded(registry, type_name, config, &mut diags) {
        validate_block(
            &typed.schema.block,
            &config,
            &AttributePath::root(),
            &mut diags,
        );
        typed.imp.validate_config(&config, &mut diags);
    }
    diags.to_proto()
}

impl<T: ?Sized> Typed<T> {
    /// Makes a value returned by the implementation storable (see [`storable`]) and encodes it.
    fn state(
        &self,
        v: Value,
        what: &str,
        diags: &mut Diagnostics,
    ) -> Option<tfplugin5::DynamicValue> {
        let v = storable(&self.schema.block, v, what, diags);
        encode(&v, &self.ty, diags)
    }
}

/// Serves one [`Provider`] over tfplugin5.
pub struct ProviderServer<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: Registry<dyn Resource>,
    data_sources: Registry<dyn DataSource>,
    schema_response: tfplugin5::get_provider_schema::Response,
    data: RwLock<Option<ProviderData>>,
    cancel: CancellationToken,
}

impl<P: Provider> ProviderServer<P> {
    /// Builds every schema once and caches it.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.implied_type();
        let resources = registry(provider.resources());
        let data_sources = registry(provider.data_sources());
        let schema_response = tfplugin5::get_provider_schema::Response {
            provider: Some(provider_schema.to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(k, t)| (k.clone(), t.schema.to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(k, t)| (k.clone(), t.schema.to_proto()))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            schema_response,
            data: RwLock::new(None),
            cancel: CancellationToken::new(),
        }
    }

    /// The tonic service, ready to add to a `Router`.
    pub fn into_service(self) -> tfplugin5::provider_server::ProviderServer<Self> {
        tfplugin5::provider_server::ProviderServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    /// The token cancelled by the `Stop` RPC.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    fn context(&self) -> ResourceContext {
        let data = self
            .data
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        ResourceContext::new(data, self.cancel.clone())
    }

    /// A context for one call on a resource instance, carrying its private state.
    fn instance_context(&self, private: &[u8]) -> InstanceContext {
        let original = Private::from_bytes(private);
        InstanceContext {
            ctx: self.context().with_private(original.clone()),
            bytes: private.to_vec(),
            original,
        }
    }

    /// Decodes the provider configuration Terraform sent.
    fn provider_config(
        &self,
        dv: Option<&tfplugin5::DynamicValue>,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        decode(dv, &self.provider_type, "provider configuration", diags)
    }
}

/// A call's context and the private bytes it started with.
struct InstanceContext {
    ctx: ResourceContext,
    bytes: Vec<u8>,
    original: Private,
}

impl InstanceContext {
    /// The private bytes to answer with: unchanged (even if not ours) unless the resource
    /// changed its private state.
    fn private_bytes(&self) -> Vec<u8> {
        let now = self.ctx.private();
        if now == self.original {
            self.bytes.clone()
        } else {
            now.to_bytes()
        }
    }
}

fn capabilities() -> tfplugin5::ServerCapabilities {
    tfplugin5::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

/// Decodes a request value, reporting failure as a diagnostic.
fn decode(
    dv: Option<&tfplugin5::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match decode_optional_dynamic_value(dv, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                format!("Invalid {what}"),
                format!("Terraform sent a {what} this provider cannot decode: {e}"),
            );
            None
        }
    }
}

/// Encodes a response value, reporting failure as a diagnostic (a provider bug).
fn encode(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<tfplugin5::DynamicValue> {
    match encode_dynamic_value(v, ty) {
        Ok(dv) => Some(dv),
        Err(e) => {
            diags.error(
                "Provider produced an invalid value",
                format!("Provider bug: the value does not match the schema: {e}"),
            );
            None
        }
    }
}

/// Checks a configuration at any depth: required attributes set to null, read-only
/// attributes set at all, then the attribute validators on known, non-null values.
pub fn validate_block(block: &Block, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for a in &block.attributes {
        let v = value.get(&a.name);
        let p = path.clone().attr(a.name.clone());
        // Terraform core does not catch every `null` (a write-only argument set to null passes
        // its checks), and a create that needs the value would fail only after a replacement
        // destroyed the object.
        if a.required && v.is_null() {
            diags.attribute_error(
                p.clone(),
                "Missing Configuration for Required Attribute",
                format!(
                    "The configuration sets {p} to null, but {p} is required: set it to a value."
                ),
            );
            continue;
        }
        // The schema on the wire says computed only, and Terraform leaves this check to the
        // provider (terraform-plugin-framework answers the same at validate).
        if a.computed && !a.optional && !a.required && !v.is_null() {
            diags.attribute_error(
                p.clone(),
                "Invalid Configuration for Read-Only Attribute",
                format!(
                    "{p} is set by the provider and cannot be configured. Remove {p} from the \
                     configuration."
                ),
            );
            continue;
        }
        if v.is_null() || v.is_unknown() {
            continue;
        }
        if a.deprecated {
            diags.attribute_warning(
                p.clone(),
                "Deprecated attribute",
                format!("The attribute {p} is deprecated."),
            );
        }
        if a.sensitive || a.write_only {
            // Validators quote the offending value, and a secret must never reach a diagnostic:
            // say which rule failed, in the validator's own words, without the value.
            for validator in &a.validators {
                let mut found = Diagnostics::new();
                validator.validate(&p, v, &mut found);
                if found.has_errors() {
                    diags.attribute_error(
                        p.clone(),
                        "Invalid attribute value",
                        format!(
                            "Attribute {p} {} (the value is sensitive and not shown).",
                            validator.description()
                        ),
                    );
                }
            }
        } else {
            for validator in &a.validators {
                validator.validate(&p, v, diags);
            }
        }
    }
    for nb in &block.blocks {
        let v = value.get(&nb.type_name);
        let p = path.clone().attr(nb.type_name.clone());
        match (nb.nesting, v) {
            (NestingMode::Single | NestingMode::Group, _) => {
                validate_block(&nb.block, v, &p, diags)
            }
            (NestingMode::List, Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    validate_block(&nb.block, item, &p.clone().index(i as i64), diags);
                }
            }
            // Protocol 5 cannot address a set element, so errors point at the block.
            (NestingMode::Set, Value::Set(items)) => items
                .iter()
                .for_each(|item| validate_block(&nb.block, item, &p, diags)),
            (NestingMode::Map, Value::Map(items)) => {
                for (k, item) in items {
                    validate_block(&nb.block, item, &p.clone().key(k.clone()), diags);
                }
            }
            _ => {}
        }
    }
}

/// Makes a value returned by a resource storable: write-only nulled, unknowns reported and
/// replaced by null.
fn storable(block: &Block, mut v: Value, what: &str, diags: &mut Diagnostics) -> Value {
    null_write_only(block, &mut v);
    let unknown = unknown_paths(&v);
    if !unknown.is_empty() {
        for p in &unknown {
            diags.push(
                Diagnostic::error(
                    format!("Provider returned invalid result object after {what}"),
                    format!("Provider bug: the value at {p} is unknown; every value must be known after {what}."),
                )
                .at(p.clone()),
            );
        }
        v = v.unknown_as_null();
    }
    v
}

/// Runs the resource's state upgraders on stored JSON, one version step at a time.
fn upgrade_json(
    resource: &dyn Resource,
    from: i64,
    to: i64,
    json: &[u8],
) -> Result<Vec<u8>, Diagnostics> {
    let mut state: serde_json::Value = serde_json::from_slice(json).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Cannot read stored state",
            format!("The stored state is not valid JSON: {e}"),
        ))
    })?;
    for version in from..to {
        state = resource.upgrade_state(version, state)?;
    }
    serde_json::to_vec(&state).map_err(|e| {
        Diagnostic::error(
            "Cannot upgrade stored state",
            format!("Provider bug: the upgraded state cannot be written as JSON: {e}"),
        )
        .into()
    })
}

fn path_list(paths: &[AttributePath]) -> String {
    paths
        .iter()
        .map(|p| {
            if p.is_root() {
                "(root)".to_string()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderServer<P> {
    async fn get_metadata(
        &self,
        _request: Request<tfplugin5::get_metadata::Request>,
    ) -> Result<Response<tfplugin5::get_metadata::Response>, Status> {
        tracing::debug!(rpc = "GetMetadata", "rpc received");
        Ok(Response::new(tfplugin5::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|k| tfplugin5::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|k| tfplugin5::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_schema(
        &self,
        _request: Request<tfplugin5::get_provider_schema::Request>,
    ) -> Result<Response<tfplugin5::get_provider_schema::Response>, Status> {
        tracing::debug!(rpc = "GetSchema", "rpc received");
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn prepare_provider_config(
        &self,
        request: Request<tfplugin5::prepare_provider_config::Request>,
    ) -> Result<Response<tfplugin5::prepare_provider_config::Response>, Status> {
        tracing::debug!(rpc = "PrepareProviderConfig", "rpc received");
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) = self.provider_config(req.config.as_ref(), &mut diags) {
            validate_block(
                &self.provider_schema.block,
                &config,
                &AttributePath::root(),
                &mut diags,
            );
            self.provider.validate_config(&config, &mut diags);
        }
        Ok(Response::new(
            tfplugin5::prepare_provider_config::Response {
                prepared_config: req.config,
                diagnostics: diags.to_proto(),
            },
        ))
    }

    async fn validate_resource_type_config(
        &self,
        request: Request<tfplugin5::validate_resource_type_config::Request>,
    ) -> Result<Response<tfplugin5::validate_resource_type_config::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ValidateResourceTypeConfig", type_name = %req.type_name, "rpc received");
        let diagnostics = validate_config(&self.resources, &req.type_name, req.config.as_ref());
        Ok(Response::new(
            tfplugin5::validate_resource_type_config::Response { diagnostics },
        ))
    }

    async fn validate_data_source_config(
        &self,
        request: Request<tfplugin5::validate_data_source_config::Request>,
    ) -> Result<Response<tfplugin5::validate_data_source_config::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ValidateDataSourceConfig", type_name = %req.type_name, "rpc received");
        let diagnostics = validate_config(&self.data_sources, &req.type_name, req.config.as_ref());
        Ok(Response::new(
            tfplugin5::validate_data_source_config::Response { diagnostics },
        ))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<tfplugin5::upgrade_resource_state::Request>,
    ) -> Result<Response<tfplugin5::upgrade_resource_state::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "UpgradeResourceState", type_name = %req.type_name, version = req.version, "rpc received");
        let mut diags = Diagnostics::new();
        let mut upgraded = Value::Null;
        let mut ty = Type::Dynamic;
        if let Some(r) = lookup(&self.resources, &req.type_name, &mut diags) {
            ty = r.ty.clone();
            let raw = req.raw_state.unwrap_or_default();
            if req.version > r.schema.version {
                diags.error(
                    "Resource state from a newer provider",
                    format!(
                        "The stored state has schema version {}, but this provider only knows up to version {}. \
                         Upgrade the provider.",
                        req.version, r.schema.version
                    ),
                );
            } else if !raw.json.is_empty() {
                let json = if req.version < r.schema.version {
                    upgrade_json(&*r.imp, req.version, r.schema.version, &raw.json)
                } else {
                    Ok(raw.json)
                };
                match json.and_then(|json| {
                    decode_json_lenient(&json, &r.ty).map_err(|e| {
                        Diagnostic::error(
                            "Cannot read stored state",
                            format!("The stored state does not match the schema: {e}"),
                        )
                        .into()
                    })
                }) {
                    Ok(mut v) => {
                        null_write_only(&r.schema.block, &mut v);
                        upgraded = v;
                    }
                    Err(d) => {
                        diags.extend(d);
                    }
                }
            } else if !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported legacy state",
                    "The stored state uses the flatmap format of Terraform 0.11 and earlier, which this provider cannot read.",
                );
            }
        }
        // Never leave upgraded_state unset: Terraform would drop the resource from state.
        let upgraded_state = encode(&upgraded, &ty, &mut diags)
            .or_else(|| encode_dynamic_value(&Value::Null, &Type::Dynamic).ok());
        Ok(Response::new(tfplugin5::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags.to_proto(),
        }))
    }

    async fn configure(
        &self,
        request: Request<tfplugin5::configure::Request>,
    ) -> Result<Response<tfplugin5::configure::Response>, Status> {
        tracing::debug!(rpc = "Configure", "rpc received");
        let req = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) = self.provider_config(req.config.as_ref(), &mut diags) {
            match self
                .provider
                .configure(&config, &req.terraform_version)
                .await
            {
                Ok(data) => {
                    *self
                        .data
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(data);
                }
                Err(d) => {
                    diags.extend(d);
                }
            }
        }
        Ok(Response::new(tfplugin5::configure::Response {
            diagnostics: diags.to_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<tfplugin5::read_resource::Request>,
    ) -> Result<Response<tfplugin5::read_resource::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ReadResource", type_name = %req.type_name, "rpc received");
        let mut diags = Diagnostics::new();
        let mut new_state = req.current_state.clone();
        let instance = self.instance_context(&req.private);
        let current = [(req.current_state.as_ref(), "current state")];
        if let Some((r, [current])) =
            lookup_decoded(&self.resources, &req.type_name, current, &mut diags)
        {
            if !current.is_null() {
                match r.imp.read(&instance.ctx, &current).await {
                    Ok(Some(mut v)) => {
                        // A remote respelling of what Terraform holds is not drift.
                        keep_equal_in_meaning(&r.schema.block, &mut v, &current);
                        new_state = r.state(v, "read", &mut diags).or(new_state);
                    }
                    Ok(None) => {
                        tracing::debug!(type_name = %req.type_name, "remote object is gone");
                        new_state = encode(&Value::Null, &r.ty, &mut diags);
                    }
                    // Keep the current state so a transient error does not lose the object.
                    Err(d) => {
                        diags.extend(d);
                    }
                }
            }
        }
        Ok(Response::new(tfplugin5::read_resource::Response {
            new_state,
            diagnostics: diags.to_proto(),
            private: instance.private_bytes(),
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<tfplugin5::plan_resource_change::Request>,
    ) -> Result<Response<tfplugin5::plan_resource_change::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "PlanResourceChange", type_name = %req.type_name, "rpc received");
        let mut diags = Diagnostics::new();
        let mut resp = tfplugin5::plan_resource_change::Response {
            planned_private: req.prior_private.clone(),
            ..Default::default()
        };
        let values = [
            (req.prior_state.as_ref(), "prior state"),
            (req.proposed_new_state.as_ref(), "proposed new state"),
            (req.config.as_ref(), "configuration"),
        ];
        let Some((r, [prior, proposed, config])) =
            lookup_decoded(&self.resources, &req.type_name, values, &mut diags)
        else {
            resp.diagnostics = diags.to_proto();
            return Ok(Response::new(resp));
        };
        let change = plan_resource_change(&r.schema, &prior, &proposed, &config);
        let mut planned = change.planned;
        let mut requires_replace = change.requires_replace;
        diags.extend(change.diagnostics);
        let instance = self.instance_context(&req.prior_private);
        if !planned.is_null() {
            let replace_before = requires_replace.len();
            let engine_planned = planned.clone();
            r.imp
                .modify_plan(
                    &instance.ctx,
                    PlanContext {
                        prior: &prior,
                        config: &config,
                        planned: &mut planned,
                        requires_replace: &mut requires_replace,
                        diagnostics: &mut diags,
                    },
                )
                .await;
            if replace_before == 0 && !requires_replace.is_empty() && !prior.is_null() {
                // modify_plan asked for a replacement: the new object's computed values are
                // unknown, except those modify_plan planned for it (values it derived for the
                // new object); modify_plan then plans the new object once more (it may know some
                // of the others from the configuration, e.g. a record's fields from an export).
                // What the second pass reports, the first already did.
                mark_computed_unknown_unless_planned(
                    &r.schema.block,
                    &mut planned,
                    &engine_planned,
                    &config,
                );
                let mut again = Diagnostics::new();
                r.imp
                    .modify_plan(
                        &instance.ctx,
                        PlanContext {
                            prior: &prior,
                            config: &config,
                            planned: &mut planned,
                            requires_replace: &mut requires_replace,
                            diagnostics: &mut again,
                        },
                    )
                    .await;
                for d in again.into_vec() {
                    if !diags.iter().any(|seen| *seen == d) {
                        diags.push(d);
                    }
                }
            }
            null_write_only(&r.schema.block, &mut planned);
            // A create, or a replacement (destroy, then create): whatever the create needs must
            // be there now, or the replacement would stop halfway with the object destroyed.
            let replacing = !prior.is_null() && !requires_replace.is_empty();
            if prior.is_null() || replacing {
                r.imp
                    .validate_create(&config, &planned, replacing, &mut diags);
            }
        }
        // Each path once (the second modify_plan pass may ask for the same replacement).
        let mut seen = Vec::new();
        requires_replace.retain(|path| {
            let first = !seen.contains(path);
            if first {
                seen.push(path.clone());
            }
            first
        });
        resp.planned_private = instance.private_bytes();
        resp.planned_state = encode(&planned, &r.ty, &mut diags);
        resp.requires_replace = requires_replace
            .iter()
            .map(AttributePath::to_proto)
            .collect();
        resp.diagnostics = diags.to_proto();
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        request: Request<tfplugin5::apply_resource_change::Request>,
    ) -> Result<Response<tfplugin5::apply_resource_change::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ApplyResourceChange", type_name = %req.type_name, "rpc received");
        let mut diags = Diagnostics::new();
        let mut resp = tfplugin5::apply_resource_change::Response {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            ..Default::default()
        };
        let values = [
            (req.prior_state.as_ref(), "prior state"),
            (req.planned_state.as_ref(), "planned state"),
            (req.config.as_ref(), "configuration"),
        ];
        let Some((r, [prior, planned, config])) =
            lookup_decoded(&self.resources, &req.type_name, values, &mut diags)
        else {
            resp.diagnostics = diags.to_proto();
            return Ok(Response::new(resp));
        };
        let instance = self.instance_context(&req.planned_private);
        let ctx = &instance.ctx;
        let block = &r.schema.block;

        if planned.is_null() {
            tracing::debug!(type_name = %req.type_name, "delete");
            match r.imp.delete(ctx, &prior).await {
                Ok(()) => resp.new_state = encode(&Value::Null, &r.ty, &mut diags),
                // Warnings only: deleted, saying what was done instead (e.g. revoked, kept).
                Err(d) if !d.has_errors() => {
                    diags.extend(d);
                    resp.new_state = encode(&Value::Null, &r.ty, &mut diags);
                }
                // The object may still exist: keep it in state (new_state stays the prior state).
                Err(d) => {
                    diags.extend(d);
                }
            }
            resp.diagnostics = diags.to_proto();
            return Ok(Response::new(resp));
        }

        let creating = prior.is_null();
        let what = if creating { "create" } else { "update" };
        tracing::debug!(type_name = %req.type_name, action = what);
        let result = if creating {
            r.imp.create(ctx, &planned, &config).await
        } else {
            r.imp.update(ctx, &prior, &planned, &config).await
        };
        let new_state = match result {
            Ok(v) if v.is_null() => {
                diags.error(
                    format!("Provider returned no object after {what}"),
                    format!("Provider bug: {what} succeeded but returned a null state."),
                );
                if creating {
                    Value::Null
                } else {
                    prior
                }
            }
            Ok(mut v) => {
                // The API's respelling of a planned value is the planned value.
                keep_equal_in_meaning(block, &mut v, &planned);
                let v = storable(block, v, "apply", &mut diags);
                let bad = inconsistencies(&planned, &v);
                if !bad.is_empty() {
                    diags.push(
                        Diagnostic::error(
                            "Provider produced inconsistent result after apply",
                            format!(
                                "Provider bug: after {what}, these attributes differ from the values known in the plan: {}.",
                                path_list(&bad)
                            ),
                        )
                        .at(bad[0].clone()),
                    );
                }
                v
            }
            Err(e) => {
                diags.extend(e.diagnostics);
                match e.partial_state {
                    Some(partial) if !partial.is_null() => {
                        storable(block, partial, "apply", &mut Diagnostics::new())
                    }
                    // Nothing was created, or the update failed: the prior state is the best record.
                    _ => prior,
                }
            }
        };
        resp.new_state = encode(&new_state, &r.ty, &mut diags);
        resp.private = instance.private_bytes();
        resp.diagnostics = diags.to_proto();
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        request: Request<tfplugin5::import_resource_state::Request>,
    ) -> Result<Response<tfplugin5::import_resource_state::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ImportResourceState", type_name = %req.type_name, "rpc received");
        let mut diags = Diagnostics::new();
        let mut imported = Vec::new();
        let instance = self.instance_context(&[]);
        if let Some(r) = lookup(&self.resources, &req.type_name, &mut diags) {
            match r.imp.import(&instance.ctx, &req.id).await {
                Ok(v) if v.is_null() => {
                    diags.error(
                        "Import returned no resources",
                        format!("No object was found for the id {:?}.", req.id),
                    );
                }
                Ok(v) => {
                    if let Some(state) = r.state(v, "import", &mut diags) {
                        imported.push(tfplugin5::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(state),
                            private: instance.private_bytes(),
                        });
                    }
                }
                Err(d) => {
                    diags.extend(d);
                }
            }
        }
        Ok(Response::new(tfplugin5::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diags.to_proto(),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        request: Request<tfplugin5::move_resource_state::Request>,
    ) -> Result<Response<tfplugin5::move_resource_state::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "MoveResourceState", type_name = %req.target_type_name, "rpc received");
        let diags: Diagnostics = Diagnostic::error(
            "Moving resource state is not supported",
            format!(
                "This provider cannot move state from {} into {}.",
                req.source_type_name, req.target_type_name
            ),
        )
        .into();
        Ok(Response::new(tfplugin5::move_resource_state::Response {
            diagnostics: diags.to_proto(),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<tfplugin5::read_data_source::Request>,
    ) -> Result<Response<tfplugin5::read_data_source::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(rpc = "ReadDataSource", type_name = %req.type_name, "rpc received");
        let mut diags = Diagnostics::new();
        let mut state = None;
        let config = [(req.config.as_ref(), "configuration")];
        if let Some((d, [config])) =
            lookup_decoded(&self.data_sources, &req.type_name, config, &mut diags)
        {
            match d.imp.read(&self.context(), &config).await {
                Ok(v) => state = d.state(v, "read", &mut diags),
                Err(e) => {
                    diags.extend(e);
                }
            }
        }
        Ok(Response::new(tfplugin5::read_data_source::Response {
            state,
            diagnostics: diags.to_proto(),
            deferred: None,
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<tfplugin5::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<tfplugin5::validate_ephemeral_resource_config::Response>, Status> {
        let diagnostics = unsupported_ephemeral(
            "ValidateEphemeralResourceConfig",
            &request.into_inner().type_name,
        );
        Ok(Response::new(
            tfplugin5::validate_ephemeral_resource_config::Response { diagnostics },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<tfplugin5::open_ephemeral_resource::Request>,
    ) -> Result<Response<tfplugin5::open_ephemeral_resource::Response>, Status> {
        let diagnostics =
            unsupported_ephemeral("OpenEphemeralResource", &request.into_inner().type_name);
        Ok(Response::new(
            tfplugin5::open_ephemeral_resource::Response {
                diagnostics,
                ..Default::default()
            },
        ))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<tfplugin5::renew_ephemeral_resource::Request>,
    ) -> Result<Response<tfplugin5::renew_ephemeral_resource::Response>, Status> {
        let diagnostics =
            unsupported_ephemeral("RenewEphemeralResource", &request.into_inner().type_name);
        Ok(Response::new(
            tfplugin5::renew_ephemeral_resource::Response {
                diagnostics,
                ..Default::default()
            },
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<tfplugin5::close_ephemeral_resource::Request>,
    ) -> Result<Response<tfplugin5::close_ephemeral_resource::Response>, Status> {
        let diagnostics =
            unsupported_ephemeral("CloseEphemeralResource", &request.into_inner().type_name);
        Ok(Response::new(
            tfplugin5::close_ephemeral_resource::Response { diagnostics },
        ))
    }

    async fn get_functions(
        &self,
        _request: Request<tfplugin5::get_functions::Request>,
    ) -> Result<Response<tfplugin5::get_functions::Response>, Status> {
        tracing::debug!(rpc = "GetFunctions", "rpc received");
        Ok(Response::new(tfplugin5::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        request: Request<tfplugin5::call_function::Request>,
    ) -> Result<Response<tfplugin5::call_function::Response>, Status> {
        let name = request.into_inner().name;
        tracing::debug!(rpc = "CallFunction", function = %name, "rpc received");
        Ok(Response::new(tfplugin5::call_function::Response {
            result: None,
            error: Some(tfplugin5::FunctionError {
                text: format!("This provider has no functions (called {name:?})."),
                function_argument: None,
            }),
        }))
    }

    async fn stop(
        &self,
        _request: Request<tfplugin5::stop::Request>,
    ) -> Result<Response<tfplugin5::stop::Response>, Status> {
        tracing::info!(rpc = "Stop", "cancelling in-flight operations");
        self.cancel.cancel();
        Ok(Response::new(tfplugin5::stop::Response::default()))
    }
}

/// Logs an ephemeral resource RPC and answers it: this provider has no ephemeral resources.
fn unsupported_ephemeral(rpc: &str, type_name: &str) -> Vec<tfplugin5::Diagnostic> {
    tracing::debug!(rpc, type_name = %type_name, "rpc received");
    Diagnostics::from(Diagnostic::error(
        "Ephemeral resources are not supported",
        format!("This provider has no ephemeral resource type named {type_name:?}."),
    ))
    .to_proto()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod typed_tests;
