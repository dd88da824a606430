//! The traits a provider implements: one [`Provider`], and a [`Resource`] or [`DataSource`]
//! per Terraform type. They see only [`Value`]s and [`Diagnostics`], never the protocol.

use std::any::Any;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::path::AttributePath;
use crate::framework::private::Private;
use crate::framework::schema::Schema;
use crate::framework::value::Value;

/// Whatever the provider's `configure` produced (typically API clients), shared by all calls.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// What every resource and data source call gets: the configured provider data, a
/// cancellation token that the `Stop` RPC (Ctrl-C) cancels, and the instance's private state.
#[derive(Clone)]
pub struct ResourceContext {
    data: Option<ProviderData>,
    cancel: CancellationToken,
    /// This call's private state; clones of the context share it, so what a resource stores
    /// is what the server sends back.
    private: Arc<Mutex<Private>>,
}

impl ResourceContext {
    /// A context; `data` is `None` before `Configure`.
    pub fn new(data: Option<ProviderData>, cancel: CancellationToken) -> Self {
        Self {
            data,
            cancel,
            private: Arc::default(),
        }
    }

    /// This context carrying `private` (the server sets the request's private state).
    #[must_use]
    pub fn with_private(mut self, private: Private) -> Self {
        self.private = Arc::new(Mutex::new(private));
        self
    }

    /// A copy of the instance's private state.
    pub fn private(&self) -> Private {
        self.private
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the instance's private state (kept by Terraform after this call).
    pub fn set_private(&self, private: Private) {
        *self
            .private
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = private;
    }

    /// The provider data as its concrete type.
    pub fn provider_data<T: Any + Send + Sync>(&self) -> Result<Arc<T>, Diagnostics> {
        let Some(data) = self.data.clone() else {
            return Err(Diagnostic::error(
                "provider not configured",
                "The provider has not been configured yet, so this operation cannot reach the API. \
                 This usually means the provider configuration depends on values unknown until apply.",
            )
            .into());
        };
        data.downcast::<T>().map_err(|_| {
            Diagnostic::error(
                "provider not configured",
                "Provider bug: the configured provider data has an unexpected type.",
            )
            .into()
        })
    }

    /// Cancelled when Terraform asks the provider to stop.
    pub fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// A failed create or update; `S` is the state's form (a [`Value`], or a typed model).
#[derive(Debug, Clone)]
pub struct ApplyError<S = Value> {
    /// What went wrong.
    pub diagnostics: Diagnostics,
    /// The object as it exists remotely if it was (partly) created; Terraform stores it and
    /// marks it tainted so the next apply replaces it.
    pub partial_state: Option<S>,
}

impl<S> Default for ApplyError<S> {
    fn default() -> Self {
        Self {
            diagnostics: Diagnostics::new(),
            partial_state: None,
        }
    }
}

impl<S> ApplyError<S> {
    /// An error with a partially created object.
    pub fn partial(diagnostics: impl Into<Diagnostics>, state: S) -> Self {
        Self {
            diagnostics: diagnostics.into(),
            partial_state: Some(state),
        }
    }

    /// The same error with the partial state converted (e.g. a model encoded as a value).
    pub fn map_state<T>(self, f: impl FnOnce(S) -> T) -> ApplyError<T> {
        ApplyError {
            diagnostics: self.diagnostics,
            partial_state: self.partial_state.map(f),
        }
    }
}

impl<S> From<Diagnostics> for ApplyError<S> {
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            partial_state: None,
        }
    }
}

impl<S> From<Diagnostic> for ApplyError<S> {
    fn from(d: Diagnostic) -> Self {
        Self {
            diagnostics: d.into(),
            partial_state: None,
        }
    }
}

/// What `modify_plan` may look at and change.
pub struct PlanContext<'a> {
    /// Prior state (null on create).
    pub prior: &'a Value,
    /// Configuration (may contain unknowns).
    pub config: &'a Value,
    /// The plan so far; edit in place.
    pub planned: &'a mut Value,
    /// Attribute paths whose change forces replacement; push to add.
    pub requires_replace: &'a mut Vec<AttributePath>,
    /// Problems found while planning.
    pub diagnostics: &'a mut Diagnostics,
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The Terraform type name, e.g. `blockchain_ca`.
    fn type_name(&self) -> &'static str;
    /// The schema (built once and cached by the server).
    fn schema(&self) -> Schema;
    /// Cross-attribute checks beyond the schema validators (config may contain unknowns).
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Runs after the generic plan engine; may adjust the plan (e.g. mark dependent computed attrs unknown).
    async fn modify_plan(&self, _ctx: &ResourceContext, _plan: PlanContext<'_>) {}
    /// Runs at plan time, after `modify_plan`, when the plan creates the object or replaces it
    /// (`replacing`): checks that everything the create needs is there, so a replacement never
    /// stops between the destroy and the create. Errors stop the plan.
    fn validate_create(
        &self,
        _config: &Value,
        _planned: &Value,
        _replacing: bool,
        _diags: &mut Diagnostics,
    ) {
    }
    /// Upgrades stored JSON state by one schema version, `from_version` to `from_version + 1`.
    /// The default keeps it as it is (the lenient decoder then drops removed attributes).
    fn upgrade_state(
        &self,
        _from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
    /// Creates the object; returns the full new state.
    async fn create(
        &self,
        ctx: &ResourceContext,
        planned: &Value,
        config: &Value,
    ) -> Result<Value, ApplyError>;
    /// Refreshes the object; `None` means it no longer exists.
    async fn read(
        &self,
        ctx: &ResourceContext,
        current: &Value,
    ) -> Result<Option<Value>, Diagnostics>;
    /// Updates the object in place; returns the full new state.
    async fn update(
        &self,
        ctx: &ResourceContext,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> Result<Value, ApplyError>;
    /// Deletes the object.
    async fn delete(&self, ctx: &ResourceContext, prior: &Value) -> Result<(), Diagnostics>;
    /// Import by the user's id: return a state object with at least the identifying attrs set
    /// (others null); Terraform then calls `read`. Default: error "does not support import".
    async fn import(&self, _ctx: &ResourceContext, _id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostic::error(
            "Import not supported",
            format!(
                "The resource type {} does not support import.",
                self.type_name()
            ),
        )
        .into())
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The Terraform type name.
    fn type_name(&self) -> &'static str;
    /// The schema (built once and cached by the server).
    fn schema(&self) -> Schema;
    /// Cross-attribute checks beyond the schema validators (config may contain unknowns).
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads the data; returns the full state object.
    async fn read(&self, ctx: &ResourceContext, config: &Value) -> Result<Value, Diagnostics>;
}

/// The provider itself.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider block's schema.
    fn schema(&self) -> Schema;
    /// Cross-attribute checks of the provider block.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Builds the shared provider data (API clients) from the provider block.
    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<ProviderData, Diagnostics>;
    /// All resource types.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    /// All data source types.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_data_downcasts_or_explains() {
        let ctx = ResourceContext::new(None, CancellationToken::new());
        let err = ctx.provider_data::<String>().unwrap_err();
        assert_eq!(
            err.iter().next().unwrap().summary,
            "provider not configured"
        );
        let ctx = ResourceContext::new(
            Some(Arc::new(String::from("client"))),
            CancellationToken::new(),
        );
        assert_eq!(ctx.provider_data::<String>().unwrap().as_str(), "client");
        assert!(ctx.provider_data::<u32>().is_err());
        let token = ctx.cancelled();
        assert!(!token.is_cancelled());
    }

    #[test]
    fn private_state_is_shared_by_clones_of_a_context() {
        let mut p = Private::new();
        p.set("k", 1);
        let ctx = ResourceContext::new(None, CancellationToken::new()).with_private(p.clone());
        assert_eq!(ctx.private(), p);
        let clone = ctx.clone();
        let mut q = Private::new();
        q.set("create_unconfirmed", true);
        clone.set_private(q.clone());
        assert_eq!(ctx.private(), q);
    }

    #[test]
    fn apply_error_conversions() {
        let e: ApplyError = Diagnostic::error("x", "y").into();
        let m: ApplyError<u8> = ApplyError::partial(Diagnostic::error("x", "y"), 7);
        assert_eq!(m.map_state(|s| s + 1).partial_state, Some(8));
        assert!(e.diagnostics.has_errors() && e.partial_state.is_none());
        let e = ApplyError::partial(Diagnostic::error("x", "y"), Value::string("s"));
        assert_eq!(e.partial_state, Some(Value::string("s")));
    }
}
