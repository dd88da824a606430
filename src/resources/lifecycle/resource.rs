//! The Terraform side of every deployed component's resource, once: create (recording an
//! unconfirmed or not yet ready component in state), read (settling an unconfirmed create),
//! update (record edit with the console's own tags, then the deployment changes) and delete,
//! each bounded by the resource's timeouts and Terraform's Stop. A resource file supplies its
//! model's mapping from the console's view ([`DeployedModel`]) and its bodies
//! ([`DeployedResource`]); its `TypedResource` CRUD methods call the functions here.

use std::collections::BTreeSet;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::console::{Component, ConsoleClient, EditComponentRequest};
use crate::framework::{
    ApplyError, AttributePath, CreateRequest, DeleteRequest, Diagnostics, Model, Private,
    ReadRequest, ResourceContext, Tf, TimeoutOp, Timeouts, TimeoutsModel, UpdateRequest,
};

use super::api::ComponentApi;
use super::state::{
    changed, confirm, is_unconfirmed, keep_planned, mark_unconfirmed, required, tags_to_send,
};
use super::{ComponentKind, CreateFailure, Lifecycle, Operation};

/// The state model of a deployed component's resource.
pub trait DeployedModel: Model + Default {
    fn id(&self) -> &Tf<String>;
    fn display_name(&self) -> &Tf<String>;
    fn tags(&self) -> &Tf<BTreeSet<String>>;
    fn timeouts(&self) -> &Tf<TimeoutsModel>;
    /// State from the console's view of the component; `base` (plan or prior state) supplies
    /// what the console cannot report.
    fn live_state(base: &Self, c: &Component) -> Self;
    /// The state recorded for a create whose outcome is not known: its id, and from the plan
    /// what the next read and delete need (at least the display name and the timeouts).
    fn unconfirmed(id: String, planned: &Self) -> Self;

    /// State after create or update: every value the plan already knew, as planned (Terraform
    /// rejects an apply result that differs from a known planned value), the console's view for
    /// the rest. The next read reports any real difference as drift.
    fn applied_state(planned: &Self, c: &Component) -> Self {
        keep_planned(planned, Self::live_state(planned, c))
    }
}

/// The accessors of [`DeployedModel`] every model with `id`, `display_name`, `tags` and
/// `timeouts` attributes implements alike; used inside the model's `impl DeployedModel`.
macro_rules! deployed_model_fields {
    () => {
        fn id(&self) -> &$crate::framework::Tf<String> {
            &self.id
        }
        fn display_name(&self) -> &$crate::framework::Tf<String> {
            &self.display_name
        }
        fn tags(&self) -> &$crate::framework::Tf<std::collections::BTreeSet<String>> {
            &self.tags
        }
        fn timeouts(&self) -> &$crate::framework::Tf<$crate::framework::TimeoutsModel> {
            &self.timeouts
        }
    };
}
pub(crate) use deployed_model_fields;

/// One resource call on a deployed component: its kind, the console, the resource's default
/// timeouts and Terraform's Stop.
pub struct Deployed<'a, K: ComponentKind, A: ComponentApi + ?Sized> {
    pub lifecycle: Lifecycle<'a, K, A>,
    pub defaults: &'a Timeouts,
    pub cancel: CancellationToken,
}

impl<'a, K: ComponentKind, A: ComponentApi + ?Sized> Deployed<'a, K, A> {
    pub fn new(kind: &'a K, api: &'a A, defaults: &'a Timeouts, cancel: CancellationToken) -> Self {
        Self {
            lifecycle: Lifecycle::new(kind, api),
            defaults,
            cancel,
        }
    }

    fn operation<M: DeployedModel>(&self, m: &M, op: TimeoutOp) -> Operation {
        let (default, setting) = match op {
            TimeoutOp::Create => (self.defaults.create, "timeouts.create"),
            TimeoutOp::Update => (self.defaults.update, "timeouts.update"),
            TimeoutOp::Delete => (self.defaults.delete, "timeouts.delete"),
            TimeoutOp::Read => (self.defaults.read, "timeouts.read"),
        };
        Operation::new(m.timeouts().get(op, default), setting, self.cancel.clone())
    }

    /// Creates the component from `body` and returns its state. A create that may have
    /// happened is recorded under its id (tainted, marked unconfirmed in private state) so the
    /// next plan settles it; one that exists but is not ready is recorded (tainted) so the
    /// next apply replaces it instead of leaving an orphan.
    pub async fn create<M: DeployedModel>(
        &self,
        planned: &M,
        body: &Value,
        private: &mut Private,
    ) -> Result<M, ApplyError<M>> {
        let display_name = required(
            planned.display_name(),
            AttributePath::attribute("display_name"),
        )?;
        let op = self.operation(planned, TimeoutOp::Create);
        match self.lifecycle.create(&op, &display_name, body).await {
            Ok(c) => Ok(M::applied_state(planned, &c)),
            Err(CreateFailure::NotCreated(e)) => Err(Diagnostics::from(e).into()),
            Err(CreateFailure::Unconfirmed { id, error }) => {
                mark_unconfirmed(private);
                Err(ApplyError::partial(
                    Diagnostics::from(error),
                    M::unconfirmed(id, planned),
                ))
            }
            Err(CreateFailure::NotReady { component, error }) => Err(ApplyError::partial(
                Diagnostics::from(error),
                M::applied_state(planned, &component),
            )),
        }
    }

    /// The component's state now (`None`: gone), settling an unconfirmed create first.
    pub async fn read<M: DeployedModel>(
        &self,
        state: &M,
        private: &mut Private,
    ) -> Result<Option<M>, Diagnostics> {
        let Some(id) = state.id().known() else {
            return Ok(None);
        };
        let op = Operation::new(self.defaults.read, "the read timeout", self.cancel.clone());
        let found = self
            .lifecycle
            .read(id, is_unconfirmed(private), &op)
            .await?;
        confirm(private);
        Ok(found.map(|c| M::live_state(state, &c)))
    }

    /// Updates the component: the record edit `edit` makes from the console's current tags
    /// (an edit replaces the whole list and the console restores only the type tag, so its own
    /// tags are read and sent back), then `updates`, one per request.
    pub async fn update<M: DeployedModel>(
        &self,
        prior: &M,
        planned: &M,
        edit: impl FnOnce(&[String]) -> Option<EditComponentRequest>,
        updates: &[K::Update],
    ) -> Result<M, ApplyError<M>> {
        let id = required(prior.id(), AttributePath::attribute("id"))?;
        let op = self.operation(planned, TimeoutOp::Update);
        let current_tags = if prior.tags() != planned.tags() {
            let current = self.lifecycle.api.get_fresh(&id).await.ok().flatten();
            current.map(|c| c.tags).unwrap_or_default()
        } else {
            Vec::new()
        };
        let edit = edit(&current_tags);
        let current = self
            .lifecycle
            .update(&op, &id, edit.as_ref(), updates)
            .await
            .map_err(Diagnostics::from)?;
        Ok(M::applied_state(planned, &current))
    }

    /// Deletes the component and waits until the console no longer has it.
    pub async fn delete<M: DeployedModel>(
        &self,
        prior: &M,
        private: &Private,
    ) -> Result<(), Diagnostics> {
        let Some(id) = prior.id().known() else {
            return Ok(());
        };
        let op = self.operation(prior, TimeoutOp::Delete);
        self.lifecycle
            .delete(
                &op,
                id,
                prior.display_name().as_str(),
                is_unconfirmed(private),
            )
            .await
            .map_err(Diagnostics::from)
    }
}

/// What one deployed component's resource is particular in: its state model, its kind in the
/// shared lifecycle, its default timeouts, the tags the console adds by itself, the create body
/// and the deployment updates. The CRUD of its `TypedResource` is [`create`], [`read`],
/// [`update`], [`delete`] and [`import`].
pub trait DeployedResource {
    type State: DeployedModel;
    type Kind: ComponentKind;
    /// The resource's default timeouts.
    const DEFAULTS: Timeouts;
    /// Tags the console adds by itself to a created component; they are not the user's.
    const SYSTEM_TAGS: &'static [&'static str];

    /// The console client and the component kind of the provider block a call comes from.
    fn parts(ctx: &ResourceContext) -> Result<(ConsoleClient, Self::Kind), Diagnostics>;
    /// The create body (without `id`, which the lifecycle chooses).
    fn create_body(planned: &Self::State, config: &Self::State) -> Result<Value, Diagnostics>;
    /// The deployment updates a plan needs, in the order they are sent.
    fn deployment_updates(
        prior: &Self::State,
        planned: &Self::State,
        config: &Self::State,
    ) -> Vec<<Self::Kind as ComponentKind>::Update>;
    /// The state an import starts from: the component's id, the rest for the read to fill.
    fn imported(id: String) -> Self::State;
}

/// The record edit a plan needs (display name, tags), if any. `current_tags` are the console's
/// tags now, whose `system` tags are kept.
pub fn record_edit<M: DeployedModel>(
    prior: &M,
    planned: &M,
    current_tags: &[String],
    system: &[&str],
) -> Option<EditComponentRequest> {
    let mut edit = EditComponentRequest::default();
    if let Some(name) = changed(prior.display_name(), planned.display_name()) {
        edit.display_name = Some(name.clone());
    }
    if prior.tags() != planned.tags() {
        edit.tags = Some(tags_to_send(planned.tags(), current_tags, system));
    }
    (edit.display_name.is_some() || edit.tags.is_some()).then_some(edit)
}

/// `TypedResource::create` of a deployed component: [`Deployed::create`] with its body.
pub async fn create<R: DeployedResource>(
    ctx: &ResourceContext,
    req: CreateRequest<'_, R::State>,
) -> Result<R::State, ApplyError<R::State>> {
    let (console, kind) = R::parts(ctx)?;
    let body = R::create_body(&req.planned, &req.config)?;
    let defaults = R::DEFAULTS;
    Deployed::new(&kind, &console, &defaults, ctx.cancelled())
        .create(&req.planned, &body, req.private)
        .await
}

/// `TypedResource::read` of a deployed component: [`Deployed::read`].
pub async fn read<R: DeployedResource>(
    ctx: &ResourceContext,
    req: ReadRequest<'_, R::State>,
) -> Result<Option<R::State>, Diagnostics> {
    let (console, kind) = R::parts(ctx)?;
    let defaults = R::DEFAULTS;
    Deployed::new(&kind, &console, &defaults, ctx.cancelled())
        .read(&req.state, req.private)
        .await
}

/// `TypedResource::update` of a deployed component: [`Deployed::update`] with its record
/// edit and its deployment updates.
pub async fn update<R: DeployedResource>(
    ctx: &ResourceContext,
    req: UpdateRequest<'_, R::State>,
) -> Result<R::State, ApplyError<R::State>> {
    let (console, kind) = R::parts(ctx)?;
    let (prior, planned) = (&req.prior, &req.planned);
    let updates = R::deployment_updates(prior, planned, &req.config);
    let defaults = R::DEFAULTS;
    Deployed::new(&kind, &console, &defaults, ctx.cancelled())
        .update(
            prior,
            planned,
            |tags| record_edit(prior, planned, tags, R::SYSTEM_TAGS),
            &updates,
        )
        .await
}

/// `TypedResource::delete` of a deployed component: [`Deployed::delete`].
pub async fn delete<R: DeployedResource>(
    ctx: &ResourceContext,
    req: DeleteRequest<'_, R::State>,
) -> Result<(), Diagnostics> {
    let (console, kind) = R::parts(ctx)?;
    let defaults = R::DEFAULTS;
    Deployed::new(&kind, &console, &defaults, ctx.cancelled())
        .delete(&req.prior, req.private)
        .await
}

/// `TypedResource::import` of a deployed component of Terraform type `type_name`: the
/// lifecycle's import check, then the state the next read fills.
pub async fn import<R: DeployedResource>(
    ctx: &ResourceContext,
    id: &str,
    type_name: &str,
) -> Result<R::State, Diagnostics> {
    let (console, kind) = R::parts(ctx)?;
    let c = Lifecycle::new(&kind, &console)
        .import(id, type_name)
        .await?;
    Ok(R::imported(c.id))
}
