//! The lifecycle of console records: components the console only describes because they run
//! elsewhere (an imported MSP, CA, peer or orderer). Created with POST /components/{type},
//! edited with PUT /components/{type}/{id}, removed with DELETE /components/{id}; `location`
//! is not `ibm_saas` and `imported` is true (docs/dev/console-api.md#component-documents).
//!
//! Creates follow the same identity rule as deployed components (one `Naming` for both: the
//! per-name lock, the namesake check, the id chosen as the console derives it). There is no
//! deployment to wait for: athena writes an import's document before it answers, so a record
//! missing after its create's own read-back is not coming later. Refresh takes the run's
//! shared list: imported records come back in it unchanged
//! (docs/dev/console-list.md#imported-records).

use std::time::Duration;

use serde_json::Value;

use crate::clients::Clients;
use crate::console::{Component, EditComponentRequest};
use crate::framework::{
    ApplyError, AttributePath, Diagnostics, Model, Private, ResourceContext, Tf,
};
use crate::resources::lifecycle::{
    self, required, unconfirmed_error, ComponentApi, CreateFailure, FreeIdFailure, LifecycleError,
    Naming, Operation, Post,
};

/// How long a record operation may take: a few console calls, no deployment.
pub const RECORD_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How the record operation limit is named in messages.
pub const RECORD_LIMIT: &str = "the provider's 5-minute limit for console records";

/// The model of a resource that holds one record (an imported MSP, peer): what the steps
/// every such resource takes the same way ([`Records::create_state`] and the others) need.
pub trait RecordModel: Default + Clone {
    /// The record's component id.
    fn record_id(&self) -> &Tf<String>;
    /// The record's display name.
    fn record_name(&self) -> &Tf<String>;
    /// A model that knows only the record's id and name (import, an unconfirmed create).
    fn known_as(id: String, display_name: Tf<String>) -> Self;
}

/// [`RecordModel`] of a model whose record id and name are its `id` and `display_name`.
macro_rules! record_model {
    ($model:ty) => {
        impl $crate::resources::records::RecordModel for $model {
            fn record_id(&self) -> &$crate::framework::Tf<String> {
                &self.id
            }
            fn record_name(&self) -> &$crate::framework::Tf<String> {
                &self.display_name
            }
            fn known_as(id: String, display_name: $crate::framework::Tf<String>) -> Self {
                Self {
                    id: $crate::framework::Tf::Known(id),
                    display_name,
                    ..Self::default()
                }
            }
        }
    };
}
pub(crate) use record_model;

/// A one-record resource's model with what is particular to its type: the record's type on
/// the console, the import body, the edit and the state of a record. The resource's
/// `TypedResource` CRUD is [`create`], [`read`], [`update`], [`delete`] and [`import`].
pub trait RecordResource: RecordModel + Model {
    /// The record's type in the shared naming rule.
    const NAMING: Naming;
    /// The import body (POST /components/{type}, without `id`) of the planned record.
    fn import_body(&self) -> Value;
    /// The edit from `prior` to `planned` (an empty edit sends nothing).
    fn record_edit(prior: &Self, planned: &Self) -> EditComponentRequest;
    /// The state of the record `c`; `base` (plan or prior state) supplies what the console
    /// does not keep and whether the user manages tags.
    fn record_state(base: &Self, c: &Component) -> Self;
}

/// A record operation, bounded by [`RECORD_TIMEOUT`] and Terraform's Stop.
pub fn operation(ctx: &ResourceContext) -> Operation {
    Operation::new(RECORD_TIMEOUT, RECORD_LIMIT, ctx.cancelled())
}

/// State after create/update: the planned values where known, the console's for the rest.
pub fn applied_state<M: RecordResource>(planned: &M, c: &Component) -> M {
    lifecycle::keep_planned(planned, M::record_state(planned, c))
}

/// Imports the planned record as a new one ([`Records::create_state`]).
pub async fn create<M: RecordResource>(
    ctx: &ResourceContext,
    planned: &M,
    private: &mut Private,
) -> Result<M, ApplyError<M>> {
    create_within(ctx, &operation(ctx), planned, private).await
}

/// [`create`] within `op`, an operation the resource's own checks before it already took time
/// from.
pub async fn create_within<M: RecordResource>(
    ctx: &ResourceContext,
    op: &Operation,
    planned: &M,
    private: &mut Private,
) -> Result<M, ApplyError<M>> {
    let console = Clients::console(ctx)?;
    required(
        planned.record_name(),
        AttributePath::attribute("display_name"),
    )?;
    let body = planned.import_body();
    Records::new(M::NAMING, &console)
        .create_state(op, planned, &body, private, |c| applied_state(planned, c))
        .await
}

/// The record of `state` as the console holds it now; `None` when it is gone.
pub async fn read<M: RecordResource>(
    ctx: &ResourceContext,
    state: &M,
    private: &mut Private,
) -> Result<Option<M>, Diagnostics> {
    let console = Clients::console(ctx)?;
    Records::new(M::NAMING, &console)
        .read_state(state, private, |c| M::record_state(state, c))
        .await
}

/// Edits the record from `prior` to `planned` in place.
pub async fn update<M: RecordResource>(
    ctx: &ResourceContext,
    prior: &M,
    planned: &M,
) -> Result<M, ApplyError<M>> {
    let console = Clients::console(ctx)?;
    let id = required(prior.record_id(), AttributePath::attribute("id"))?;
    let edit = M::record_edit(prior, planned);
    let current = Records::new(M::NAMING, &console)
        .edit(&operation(ctx), &id, &edit)
        .await
        .map_err(Diagnostics::from)?;
    Ok(applied_state(planned, &current))
}

/// Removes the record (only when it is this one, after a create never confirmed).
pub async fn delete<M: RecordResource>(
    ctx: &ResourceContext,
    prior: &M,
    private: &Private,
) -> Result<(), Diagnostics> {
    let console = Clients::console(ctx)?;
    Records::new(M::NAMING, &console)
        .remove_state(&operation(ctx), prior, private)
        .await
}

/// The model of the record an import names, checked to be a record of this type.
pub async fn import<M: RecordResource>(
    ctx: &ResourceContext,
    id: &str,
    resource_type: &str,
) -> Result<M, Diagnostics> {
    let console = Clients::console(ctx)?;
    Records::new(M::NAMING, &console)
        .import_state(id, resource_type)
        .await
}

/// The record lifecycle of one type on one console.
pub struct Records<'a, A: ComponentApi + ?Sized> {
    pub naming: Naming,
    pub api: &'a A,
}

impl<'a, A: ComponentApi + ?Sized> Records<'a, A> {
    pub fn new(naming: Naming, api: &'a A) -> Self {
        Self { naming, api }
    }

    fn what(id: &str) -> String {
        format!("{id:?}")
    }

    /// Creates the record named `display_name` from `body` (a JSON object without `id`). A
    /// lost answer the console's read-back could not settle is handed back as
    /// [`CreateFailure::Unconfirmed`]: recorded, tainted, and settled by the next read.
    pub async fn create(
        &self,
        op: &Operation,
        display_name: &str,
        body: &Value,
    ) -> Result<Component, CreateFailure> {
        let created = self
            .naming
            .create_with_free_id(self.api, Post::Record, op, display_name, body)
            .await;
        match created {
            Ok(c) => Ok(c),
            Err(FreeIdFailure::NotCreated(e)) => Err(CreateFailure::NotCreated(e)),
            Err(FreeIdFailure::Uncertain { id, error }) => {
                let named = self
                    .naming
                    .named(&self.api.console_url(), &format!("{display_name:?}"));
                Err(CreateFailure::Unconfirmed {
                    error: unconfirmed_error(&self.naming, &named, &id, &error),
                    id,
                })
            }
        }
    }

    /// `created` as a refresh will see it: athena's import answer shows a peer or orderer
    /// without its `ecert` and `admin_certs` (docs/dev/console-api.md#views-per-call), so the
    /// record is read back with them. The answer itself when that read fails.
    pub async fn full_view(&self, created: Component) -> Component {
        match self.api.get_fresh(&created.id).await {
            Ok(Some(c)) => c,
            Ok(None) => created,
            Err(e) => {
                tracing::debug!(id = %created.id, "reading the new record back failed: {e}");
                created
            }
        }
    }

    /// The record for a refresh; `None` when it is gone or the id now holds something else
    /// (another type, or a deployed component).
    pub async fn read(&self, id: &str) -> Result<Option<Component>, LifecycleError> {
        let url = self.api.console_url();
        let found = self.api.get_shared(id).await.map_err(|e| {
            self.naming
                .console_failure(&url, "read", &Self::what(id), &e)
        })?;
        Ok(found.filter(|c| {
            let ours = self.naming.holds(Post::Record, c);
            if !ours {
                tracing::warn!(
                    id,
                    "the id no longer holds an imported {}",
                    self.naming.noun
                );
            }
            ours
        }))
    }

    /// Edits the record in place (an empty edit sends nothing) and reads it back fresh.
    pub async fn edit(
        &self,
        op: &Operation,
        id: &str,
        edit: &EditComponentRequest,
    ) -> Result<Component, LifecycleError> {
        let url = self.api.console_url();
        let what = Self::what(id);
        let stopped = |stop| self.naming.stopped(&url, "updating", &what, op, stop);
        if !edit.is_empty() {
            op.bounded(self.api.edit(self.naming.component_type, id, edit))
                .await
                .map_err(stopped)?
                .map_err(|e| self.naming.console_failure(&url, "edit", &what, &e))?;
        }
        match op.bounded(self.api.get_fresh(id)).await.map_err(stopped)? {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(LifecycleError::new(
                format!("The {} disappeared", self.naming.noun),
                format!(
                    "{} disappeared during the update.",
                    self.naming.named(&url, &what)
                ),
            )),
            Err(e) => Err(self.naming.console_failure(&url, "read back", &what, &e)),
        }
    }

    /// Removes the record. `unconfirmed`: its create was never confirmed, so the id is only
    /// removed when it holds this record (type, location and `display_name` match).
    pub async fn remove(
        &self,
        op: &Operation,
        id: &str,
        display_name: Option<&str>,
        unconfirmed: bool,
    ) -> Result<(), LifecycleError> {
        let url = self.api.console_url();
        let what = Self::what(id);
        let stopped = |stop| self.naming.stopped(&url, "deleting", &what, op, stop);
        if unconfirmed {
            let found = op
                .bounded(self.api.get_fresh(id))
                .await
                .map_err(stopped)?
                .map_err(|e| self.naming.console_failure(&url, "read", &what, &e))?;
            let ours = found.is_some_and(|c| {
                self.naming.holds(Post::Record, &c)
                    && display_name.is_none_or(|n| n == c.display_name)
            });
            if !ours {
                return Ok(());
            }
        }
        op.bounded(self.api.remove(id))
            .await
            .map_err(stopped)?
            .map_err(|e| self.naming.console_failure(&url, "delete", &what, &e))
    }

    /// The create of a one-record resource: the new record read back as a refresh sees it
    /// and mapped by `state`; an unconfirmed one recorded by id, marked in private state (the
    /// next read settles it, docs/dev/identity.md#what-a-create-does).
    pub async fn create_state<M: RecordModel>(
        &self,
        op: &Operation,
        planned: &M,
        body: &Value,
        private: &mut Private,
        state: impl Fn(&Component) -> M,
    ) -> Result<M, ApplyError<M>> {
        let name = planned.record_name().known().cloned().unwrap_or_default();
        match self.create(op, &name, body).await {
            Ok(c) => Ok(state(&self.full_view(c).await)),
            Err(CreateFailure::Unconfirmed { id, error }) => {
                lifecycle::mark_unconfirmed(private);
                let partial = M::known_as(id, planned.record_name().clone());
                Err(ApplyError::partial(Diagnostics::from(error), partial))
            }
            Err(CreateFailure::NotCreated(e)) => Err(Diagnostics::from(e).into()),
            Err(CreateFailure::NotReady { component, error }) => Err(ApplyError::partial(
                Diagnostics::from(error),
                state(&component),
            )),
        }
    }

    /// The refresh of a one-record resource: the record mapped by `state`, `None` when it is
    /// gone; settles an unconfirmed create either way.
    pub async fn read_state<M: RecordModel>(
        &self,
        held: &M,
        private: &mut Private,
        state: impl Fn(&Component) -> M,
    ) -> Result<Option<M>, Diagnostics> {
        let Some(id) = held.record_id().known() else {
            return Ok(None);
        };
        let found = self.read(id).await?;
        lifecycle::confirm(private);
        Ok(found.map(|c| state(&c)))
    }

    /// The delete of a one-record resource (an unconfirmed record only when its id holds it).
    pub async fn remove_state<M: RecordModel>(
        &self,
        op: &Operation,
        held: &M,
        private: &Private,
    ) -> Result<(), Diagnostics> {
        let Some(id) = held.record_id().known() else {
            return Ok(());
        };
        let unconfirmed = lifecycle::is_unconfirmed(private);
        self.remove(op, id, held.record_name().as_str(), unconfirmed)
            .await
            .map_err(Diagnostics::from)
    }

    /// The import of a one-record resource: the model of the record `id` names.
    pub async fn import_state<M: RecordModel>(
        &self,
        id: &str,
        resource_type: &str,
    ) -> Result<M, Diagnostics> {
        let c = self.import(id, resource_type).await?;
        Ok(M::known_as(c.id, Tf::Null))
    }

    /// The record an import names, checked to be an imported component of this type.
    pub async fn import(&self, id: &str, resource_type: &str) -> Result<Component, LifecycleError> {
        self.naming
            .import(self.api, Post::Record, id, resource_type)
            .await
    }
}

#[cfg(test)]
mod tests;
