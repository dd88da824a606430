//! The Terraform side of every deployed component's resource, once: create (recording an
//! unconfirmed or not yet ready component in state), read (settling an unconfirmed create),
//! update (record edit with the console's own tags, then the deployment changes) and delete,
//! each bounded by the resource's timeouts and Terraform's Stop. A resource file supplies its
//! model's mapping from the console's view ([`DeployedModel`]) and its bodies.

use std::collections::BTreeSet;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::console::{Component, EditComponentRequest};
use crate::framework::{
    ApplyError, AttributePath, Diagnostics, Model, Private, Tf, TimeoutOp, Timeouts, TimeoutsModel,
};

use super::api::ComponentApi;
use super::state::{confirm, is_unconfirmed, keep_planned, mark_unconfirmed, required};
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
