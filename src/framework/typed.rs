//! Typed resources: CRUD code that receives and returns [`Model`]s instead of [`Value`]s.
//!
//! [`TypedAdapter`] implements the Value-based [`Resource`] for a [`TypedResource`]: it decodes
//! plan, configuration and state into the model (reporting a mismatch at its attribute path),
//! hands the instance's private state to the call, and encodes the answer back.

use std::sync::Arc;

use async_trait::async_trait;

use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::model::{Model, Tf};
use crate::framework::path::AttributePath;
use crate::framework::private::Private;
use crate::framework::resource::{ApplyError, PlanContext, Resource, ResourceContext};
use crate::framework::schema::{Block, Schema};
use crate::framework::value::Value;

pub mod data_source;

pub use data_source::{typed_data_source, DataSourceAdapter, TypedDataSource};

/// What a create gets.
pub struct CreateRequest<'a, M> {
    /// The planned state (computed values unknown, write-only values null).
    pub planned: M,
    /// The configuration (write-only values are here).
    pub config: M,
    /// The instance's private state; kept even when the create fails.
    pub private: &'a mut Private,
}

/// What a read gets.
pub struct ReadRequest<'a, M> {
    /// The state Terraform holds.
    pub state: M,
    /// The instance's private state.
    pub private: &'a mut Private,
}

/// What an update gets.
pub struct UpdateRequest<'a, M> {
    /// The state before the update.
    pub prior: M,
    /// The planned state.
    pub planned: M,
    /// The configuration.
    pub config: M,
    /// The instance's private state.
    pub private: &'a mut Private,
}

/// What a delete gets.
pub struct DeleteRequest<'a, M> {
    /// The state of the object to delete.
    pub prior: M,
    /// The instance's private state.
    pub private: &'a Private,
}

/// What a typed `modify_plan` may look at and change.
pub struct ModelPlan<'a, M> {
    /// The prior state; `None` on create.
    pub prior: Option<&'a M>,
    /// The configuration (may hold unknowns).
    pub config: &'a M,
    /// The plan so far; the fields changed here are written back to the plan.
    pub planned: &'a mut M,
    /// Attribute paths whose change forces replacement; push to add.
    pub requires_replace: &'a mut Vec<AttributePath>,
    /// The private state planned for the instance.
    pub private: &'a mut Private,
    /// Problems found while planning.
    pub diagnostics: &'a mut Diagnostics,
}

/// What `validate_create` checks: a plan that creates the object, or replaces it.
pub struct CreatePlan<'a, M> {
    /// The configuration.
    pub config: &'a M,
    /// The planned state.
    pub planned: &'a M,
    /// True when the plan destroys the existing object first.
    pub replacing: bool,
}

impl<M> CreatePlan<'_, M> {
    /// The known value `v` at `path`, or an error saying that it is null (always an error: the
    /// create cannot succeed) or not known until apply (an error only when replacing, since the
    /// existing object would be destroyed before the value is known). `purpose` completes
    /// "… needs it to …", e.g. "create the CA".
    pub fn require<'v, T>(
        &self,
        path: AttributePath,
        v: &'v Tf<T>,
        purpose: &str,
        diags: &mut Diagnostics,
    ) -> Option<&'v T> {
        match v {
            Tf::Known(t) => Some(t),
            Tf::Null => {
                diags.push(
                    Diagnostic::error(
                        format!("Missing value: {path} is null"),
                        format!(
                            "{path} is null, and this resource needs it to {purpose}. Set {path} in the \
                             configuration.{}",
                            if self.replacing {
                                " Nothing was changed: the plan stops here instead of destroying an \
                                 object it could not recreate."
                            } else {
                                ""
                            }
                        ),
                    )
                    .at(path),
                );
                None
            }
            Tf::Unknown => {
                if self.replacing {
                    diags.push(
                        Diagnostic::error(
                            format!("Value not known until apply: {path}"),
                            format!(
                                "{path} is not known until apply, and this plan replaces the object: \
                                 the existing one would be destroyed before it is known whether it can \
                                 be recreated ({path} is needed to {purpose}). Apply what {path} depends \
                                 on first (for example with -target), then plan again."
                            ),
                        )
                        .at(path),
                    );
                }
                None
            }
        }
    }
}

/// A managed resource type whose CRUD code works on its [`Model`].
#[async_trait]
pub trait TypedResource: Send + Sync + 'static {
    /// The state, plan and configuration of the resource.
    type Model: Model;

    /// The Terraform type name, e.g. `blockchain_ca`.
    fn type_name(&self) -> &'static str;
    /// Registry documentation of the resource.
    fn description(&self) -> String;
    /// The schema (state) version; bump it with an [`upgrade_state`](Self::upgrade_state) step.
    fn schema_version(&self) -> i64 {
        0
    }
    /// The schema: the model's block with this resource's description and version.
    fn schema(&self) -> Schema {
        let block = Block {
            description: self.description(),
            ..Self::Model::block()
        };
        Schema::new(self.schema_version(), block)
    }
    /// Cross-attribute checks beyond the schema validators (config may hold unknowns).
    fn validate_config(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}
    /// At plan time, when the plan creates or replaces the object: check that everything the
    /// create needs is there (see [`CreatePlan::require`]). Errors stop the plan.
    fn validate_create(&self, _plan: &CreatePlan<'_, Self::Model>, _diags: &mut Diagnostics) {}
    /// Runs after the framework's plan pipeline.
    async fn modify_plan(&self, _ctx: &ResourceContext, _plan: ModelPlan<'_, Self::Model>) {}
    /// Creates the object; returns the full new state.
    async fn create(
        &self,
        ctx: &ResourceContext,
        req: CreateRequest<'_, Self::Model>,
    ) -> Result<Self::Model, ApplyError<Self::Model>>;
    /// Refreshes the object; `None` means it no longer exists.
    async fn read(
        &self,
        ctx: &ResourceContext,
        req: ReadRequest<'_, Self::Model>,
    ) -> Result<Option<Self::Model>, Diagnostics>;
    /// Updates the object in place; returns the full new state.
    async fn update(
        &self,
        ctx: &ResourceContext,
        req: UpdateRequest<'_, Self::Model>,
    ) -> Result<Self::Model, ApplyError<Self::Model>>;
    /// Deletes the object. `Err` with warnings only means done, differently: the object
    /// leaves the state and the warnings say what was done instead (revoked, kept).
    async fn delete(
        &self,
        ctx: &ResourceContext,
        req: DeleteRequest<'_, Self::Model>,
    ) -> Result<(), Diagnostics>;
    /// Import by the user's id: a model with at least the identifying fields set (others
    /// null); Terraform then calls `read`.
    async fn import(
        &self,
        _ctx: &ResourceContext,
        _id: &str,
        _private: &mut Private,
    ) -> Result<Self::Model, Diagnostics> {
        Err(Diagnostic::error(
            "Import not supported",
            format!(
                "The resource type {} does not support import.",
                self.type_name()
            ),
        )
        .into())
    }
    /// Upgrades stored JSON state by one version (`from_version` to `from_version + 1`).
    fn upgrade_state(
        &self,
        _from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
}

/// Serves a [`TypedResource`] as a Value-based [`Resource`].
pub struct TypedAdapter<R>(pub R);

/// Registers a typed resource: `fn resources() -> Vec<Arc<dyn Resource>> { vec![typed(Ca)] }`.
pub fn typed<R: TypedResource>(resource: R) -> Arc<dyn Resource> {
    Arc::new(TypedAdapter(resource))
}

/// Decodes `v` into the model, naming `what` it is on failure.
fn decode<M: Model>(v: &Value, what: &str) -> Result<M, Diagnostics> {
    M::from_value(v).map_err(|e| {
        Diagnostic::error(
            format!("Unexpected {what}"),
            format!("Provider bug: the {what} does not fit the resource's model: {e}."),
        )
        .at(e.path)
        .into()
    })
}

/// Decodes a value that may be null (no object).
fn decode_optional<M: Model>(v: &Value, what: &str) -> Result<Option<M>, Diagnostics> {
    if v.is_null() {
        Ok(None)
    } else {
        decode(v, what).map(Some)
    }
}

/// Writes the fields of `after` that differ from `before` into `planned`, leaving every other
/// attribute exactly as the engine planned it (a partly unknown value stays partly unknown).
fn write_back(planned: &mut Value, before: &Value, after: &Value) {
    let Some(after) = after.as_map() else { return };
    for (name, v) in after {
        if before.get(name) != v {
            planned.set(name, v.clone());
        }
    }
}

#[async_trait]
impl<R: TypedResource> Resource for TypedAdapter<R> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        match decode::<R::Model>(config, "configuration") {
            Ok(config) => self.0.validate_config(&config, diags),
            Err(d) => {
                diags.extend(d);
            }
        }
    }

    async fn modify_plan(&self, ctx: &ResourceContext, plan: PlanContext<'_>) {
        let decoded = (|| {
            Ok::<_, Diagnostics>((
                decode_optional::<R::Model>(plan.prior, "prior state")?,
                decode::<R::Model>(plan.config, "configuration")?,
                decode::<R::Model>(plan.planned, "planned state")?,
            ))
        })();
        let (prior, config, mut planned) = match decoded {
            Ok(d) => d,
            Err(d) => {
                plan.diagnostics.extend(d);
                return;
            }
        };
        let before = planned.to_value();
        let mut private = ctx.private();
        self.0
            .modify_plan(
                ctx,
                ModelPlan {
                    prior: prior.as_ref(),
                    config: &config,
                    planned: &mut planned,
                    requires_replace: plan.requires_replace,
                    private: &mut private,
                    diagnostics: plan.diagnostics,
                },
            )
            .await;
        ctx.set_private(private);
        write_back(plan.planned, &before, &planned.to_value());
    }

    fn validate_create(
        &self,
        config: &Value,
        planned: &Value,
        replacing: bool,
        diags: &mut Diagnostics,
    ) {
        let decoded = decode::<R::Model>(config, "configuration")
            .and_then(|c| Ok((c, decode::<R::Model>(planned, "planned state")?)));
        match decoded {
            Ok((config, planned)) => self.0.validate_create(
                &CreatePlan {
                    config: &config,
                    planned: &planned,
                    replacing,
                },
                diags,
            ),
            Err(d) => {
                diags.extend(d);
            }
        }
    }

    async fn create(
        &self,
        ctx: &ResourceContext,
        planned: &Value,
        config: &Value,
    ) -> Result<Value, ApplyError> {
        let planned = decode::<R::Model>(planned, "planned state")?;
        let config = decode::<R::Model>(config, "configuration")?;
        let mut private = ctx.private();
        let result = self
            .0
            .create(
                ctx,
                CreateRequest {
                    planned,
                    config,
                    private: &mut private,
                },
            )
            .await;
        ctx.set_private(private);
        result
            .map(|m| m.to_value())
            .map_err(|e| e.map_state(|m| m.to_value()))
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        current: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let state = decode::<R::Model>(current, "current state")?;
        let mut private = ctx.private();
        let result = self
            .0
            .read(
                ctx,
                ReadRequest {
                    state,
                    private: &mut private,
                },
            )
            .await;
        ctx.set_private(private);
        result.map(|found| found.map(|m| m.to_value()))
    }

    async fn update(
        &self,
        ctx: &ResourceContext,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> Result<Value, ApplyError> {
        let prior = decode::<R::Model>(prior, "prior state")?;
        let planned = decode::<R::Model>(planned, "planned state")?;
        let config = decode::<R::Model>(config, "configuration")?;
        let mut private = ctx.private();
        let result = self
            .0
            .update(
                ctx,
                UpdateRequest {
                    prior,
                    planned,
                    config,
                    private: &mut private,
                },
            )
            .await;
        ctx.set_private(private);
        result
            .map(|m| m.to_value())
            .map_err(|e| e.map_state(|m| m.to_value()))
    }

    async fn delete(&self, ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics> {
        let prior = decode::<R::Model>(prior, "prior state")?;
        let private = ctx.private();
        self.0
            .delete(
                ctx,
                DeleteRequest {
                    prior,
                    private: &private,
                },
            )
            .await
    }

    async fn import(&self, ctx: &ResourceContext, id: &str) -> Result<Value, Diagnostics> {
        let mut private = ctx.private();
        let result = self.0.import(ctx, id, &mut private).await;
        ctx.set_private(private);
        result.map(|m| m.to_value())
    }

    fn upgrade_state(
        &self,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        self.0.upgrade_state(from_version, state)
    }
}

#[cfg(test)]
mod tests;
