//! The lifecycle every component the console deploys shares (CA now; peers and ordering
//! nodes next): choose an id, create, adopt or settle an uncertain create, wait until ready,
//! update one field per request with each settling before the next, delete and wait, and the
//! checks of an import. A component type plugs in through [`ComponentKind`]: its type, its
//! updates and how to tell each took effect, and its readiness probe. The resource file keeps
//! only its schema, its model and the mapping between model and console; the Terraform side of
//! create, read, update and delete is `resource.rs`.

mod api;
pub mod naming;
pub mod operation;
pub mod resource;
mod state;
pub mod waiter;

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use crate::console::{Component, ConsoleError, EditComponentRequest};
use crate::framework::{Diagnostic, Diagnostics};

pub use api::{ComponentApi, Post};
pub use naming::{FreeIdFailure, Naming};
pub use operation::{Operation, Stop};
pub(crate) use resource::deployed_model_fields;
pub use resource::{record_edit, Deployed, DeployedModel, DeployedResource};
pub use state::*;
use waiter::{wait_until, Backoff, Check, WaitError};

/// How often the console is polled while waiting: it allows 100 GETs a minute per client,
/// shared by every resource of the run (docs/dev/console-api.md#rate-limits).
pub const CONSOLE_POLL: Duration = Duration::from_secs(2);
/// The longest pause between two readiness probes of a starting component.
pub const READY_POLL_MAX: Duration = Duration::from_secs(1);
/// How long a console may still be working on a create it has not answered: athena's own
/// deployer wait (105 s, docs/dev/console-api.md#create-waits-for-the-deployer) plus a margin.
pub const UNCERTAIN_CREATE_WINDOW: Duration = Duration::from_secs(120);
/// Where components the console deployed (rather than imported) live.
pub(crate) const DEPLOYED_LOCATION: &str = "ibm_saas";

/// One deployed component type.
#[async_trait]
pub trait ComponentKind: Send + Sync {
    /// The console's component type: `fabric-ca`, `fabric-peer`, `fabric-orderer`.
    const TYPE: &'static str;
    /// The noun in messages: `CA`, `peer`.
    const NOUN: &'static str;
    /// What the console puts before an id derived from a name that yields no valid id.
    const ID_PREFIX: &'static str;
    /// One deployment change, sent alone in a PUT.
    type Update: Serialize + Clone + Debug + Send + Sync;

    /// The field an update changes, for messages.
    fn update_field(update: &Self::Update) -> &'static str;
    /// Whether the console's view shows `update` applied.
    fn reflects(c: &Component, update: &Self::Update) -> bool;
    /// One readiness check (no retries: the lifecycle polls). `Ok(Check::Pending)` while the
    /// component starts; `Err` only when waiting cannot help.
    async fn probe_ready(&self, c: &Component) -> Result<Check<()>, String>;
    /// Whether the component can be expected to become ready (a CA scaled to zero never does).
    fn expects_ready(c: &Component) -> bool {
        c.replicas != Some(0)
    }
}

/// A lifecycle step that failed, in words for the user: what they asked for, on which console.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleError {
    pub summary: String,
    pub detail: String,
}

impl LifecycleError {
    pub fn new(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

/// How a create ended when it returned no ready component.
#[derive(Debug)]
pub enum CreateFailure {
    /// Nothing was created.
    NotCreated(LifecycleError),
    /// The console may still create `id`: record it so the next run settles it.
    Unconfirmed { id: String, error: LifecycleError },
    /// The component exists but is not (yet) ready: record it, tainted.
    NotReady {
        component: Box<Component>,
        error: LifecycleError,
    },
}

/// The shared lifecycle of one component type on one console.
pub struct Lifecycle<'a, K: ComponentKind, A: ComponentApi + ?Sized> {
    pub kind: &'a K,
    pub api: &'a A,
}

impl<'a, K: ComponentKind, A: ComponentApi + ?Sized> Lifecycle<'a, K, A> {
    pub fn new(kind: &'a K, api: &'a A) -> Self {
        Self { kind, api }
    }

    /// The kind's place in the identity rule and in messages.
    pub const NAMING: Naming = Naming {
        component_type: K::TYPE,
        noun: K::NOUN,
        id_prefix: K::ID_PREFIX,
    };

    /// "CA \"Org1 CA\" on https://console:7070"
    fn named(&self, what: &str) -> String {
        Self::NAMING.named(&self.api.console_url(), what)
    }

    fn console_failure(&self, action: &str, what: &str, e: &ConsoleError) -> LifecycleError {
        Self::NAMING.console_failure(&self.api.console_url(), action, what, e)
    }

    fn stopped(&self, action: &str, what: &str, op: &Operation, stop: Stop) -> LifecycleError {
        Self::NAMING.stopped(&self.api.console_url(), action, what, op, stop)
    }

    /// A deployed component of this kind (not imported, not another type).
    pub fn is_ours(c: &Component) -> bool {
        Self::NAMING.holds(Post::Deployer, c)
    }

    /// Creates the component named `display_name` from `body` (a JSON object without `id`),
    /// under an id chosen here, so that whatever happens to the request it is known which
    /// component to look for, then waits until it is ready:
    /// - another create took the id first (409): the next free id;
    /// - the console refused (400, 401, 429, …): nothing exists;
    /// - the outcome is uncertain (lost answer, timeout, Stop, 5xx): within the operation's
    ///   deadline the lifecycle waits to see whether it appears, adopting it if so; otherwise
    ///   the id is handed back to be recorded and settled by the next run, never orphaned.
    pub async fn create(
        &self,
        op: &Operation,
        display_name: &str,
        body: &Value,
    ) -> Result<Component, CreateFailure> {
        let what = format!("{display_name:?}");
        let created = self.create_with_free_id(op, display_name, body).await?;
        tracing::info!(id = %created.id, "{} created; waiting until it is ready", K::NOUN);
        if let Err(error) = self.wait_ready(op, &created).await {
            return Err(CreateFailure::NotReady {
                component: Box::new(created),
                error,
            });
        }
        match self.api.get_fresh(&created.id).await {
            Ok(Some(current)) => Ok(current),
            Ok(None) => Err(CreateFailure::NotCreated(LifecycleError::new(
                format!("The {} vanished after it was created", K::NOUN),
                format!(
                    "The console created {} as {} but no longer knows it.",
                    self.named(&what),
                    created.id
                ),
            ))),
            Err(e) => Err(CreateFailure::NotReady {
                component: Box::new(created),
                error: self.console_failure("read back", &what, &e),
            }),
        }
    }

    async fn create_with_free_id(
        &self,
        op: &Operation,
        display_name: &str,
        body: &Value,
    ) -> Result<Component, CreateFailure> {
        let what = format!("{display_name:?}");
        let created = Self::NAMING
            .create_with_free_id(self.api, Post::Deployer, op, display_name, body)
            .await;
        let (id, error) = match created {
            Ok(c) => return Ok(c),
            Err(FreeIdFailure::NotCreated(e)) => return Err(CreateFailure::NotCreated(e)),
            Err(FreeIdFailure::Uncertain { id, error }) => (id, error),
        };
        // The console may still be working on it (athena holds a create for up to 105 s):
        // within the deadline, wait for it rather than hand a slow create to the next run.
        // An interrupted one is recorded at once, never dropped.
        if !op.cancellation().is_cancelled() {
            let window = op.narrowed(UNCERTAIN_CREATE_WINDOW);
            match self.settle(&window, &id, display_name).await {
                Ok(Some(found)) => {
                    tracing::info!(id = %id, "the uncertain create completed; adopting it");
                    return Ok(found);
                }
                Ok(None) => {}
                Err(e) => return Err(CreateFailure::NotCreated(e)),
            }
        }
        Err(CreateFailure::Unconfirmed {
            error: unconfirmed_error(&Self::NAMING, &self.named(&what), &id, &error),
            id,
        })
    }

    /// Polls for a component whose create may still be in flight, until it appears or the
    /// window ends. `Some` only for a component this create made (type and name match);
    /// another component under the id is an error (ours was not created).
    pub async fn settle(
        &self,
        window: &Operation,
        id: &str,
        display_name: &str,
    ) -> Result<Option<Component>, LifecycleError> {
        tracing::info!(id, "waiting to see whether an unconfirmed create completes");
        let what = format!("{display_name:?}");
        let found = self.appears(window, id).await;
        match found {
            Ok(c) if Self::is_ours(&c) && c.display_name == display_name => Ok(Some(c)),
            Ok(c) => Err(LifecycleError::new(
                format!("Cannot create the {}", K::NOUN),
                format!(
                    "The create of {} did not complete, and id {id} now belongs to another \
                     component ({:?}, type {}).",
                    self.named(&what),
                    c.display_name,
                    c.component_type.as_deref().unwrap_or("unknown")
                ),
            )),
            Err(WaitError::Stopped { .. }) => Ok(None),
            Err(WaitError::Failed(e)) => Err(self.console_failure("read back", &what, &e)),
        }
    }

    /// Polls the console (fresh) until `id` exists, within `window`.
    async fn appears(
        &self,
        window: &Operation,
        id: &str,
    ) -> Result<Component, WaitError<ConsoleError>> {
        wait_until(window, Backoff::every(CONSOLE_POLL), || async {
            match self.api.get_fresh(id).await {
                Ok(Some(c)) => Ok(Check::Done(c)),
                Ok(None) => Ok(Check::Pending("not there yet".to_owned())),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Waits until `c` answers its readiness probe, within `op`.
    pub async fn wait_ready(&self, op: &Operation, c: &Component) -> Result<(), LifecycleError> {
        if !K::expects_ready(c) {
            return Ok(());
        }
        // The probe asks the component itself (a CA's /cainfo, a peer's /healthz), not the
        // console, so it spends none of the console's GET budget: a 1 s ceiling keeps a
        // finished deployment from waiting more than a second to be seen (the HA bench's
        // critical path), at one small request a second to a pod that is starting.
        let backoff = Backoff {
            first: Duration::from_millis(500),
            max: READY_POLL_MAX,
            factor: 2,
        };
        let what = format!("{:?} ({})", c.display_name, c.id);
        let result = wait_until(op, backoff, || async { self.kind.probe_ready(c).await }).await;
        match result {
            Ok(()) => Ok(()),
            Err(WaitError::Failed(e)) => Err(LifecycleError::new(
                format!("The {} did not become ready", K::NOUN),
                format!("{} cannot become ready: {e}", self.named(&what)),
            )),
            Err(WaitError::Stopped {
                stop: Stop::TimedOut,
                last,
            }) => Err(LifecycleError::new(
                format!("The {} did not become ready", K::NOUN),
                format!(
                    "{} was not ready at the end of {}{}. Raise it if the cluster is slow to \
                     pull images or provision storage.",
                    self.named(&what),
                    op.describe_limit(),
                    last.map(|l| format!(" (last answer: {l})"))
                        .unwrap_or_default()
                ),
            )),
            Err(WaitError::Stopped { stop, .. }) => {
                Err(self.stopped("waiting for", &what, op, stop))
            }
        }
    }

    /// The component for a refresh. `unconfirmed`: its create was never confirmed, so the
    /// console may still be holding it; wait for it before calling it gone (dropping it now
    /// would let the next create orphan it). `None` when it is gone, or when the id now holds
    /// something that is not this deployed component (ids are reused).
    pub async fn read(
        &self,
        id: &str,
        unconfirmed: bool,
        op: &Operation,
    ) -> Result<Option<Component>, LifecycleError> {
        let what = id.to_owned();
        let found = match self.api.get_shared(id).await {
            Ok(Some(c)) => Some(c),
            Ok(None) if unconfirmed => {
                let window = op.narrowed(UNCERTAIN_CREATE_WINDOW);
                let r = self.appears(&window, id).await;
                match r {
                    Ok(c) => Some(c),
                    Err(WaitError::Stopped {
                        stop: Stop::Cancelled,
                        ..
                    }) => return Err(self.stopped("reading", &what, op, Stop::Cancelled)),
                    Err(WaitError::Stopped { .. }) => None,
                    Err(WaitError::Failed(e)) => {
                        return Err(self.console_failure("read", &what, &e))
                    }
                }
            }
            Ok(None) => None,
            Err(e) => return Err(self.console_failure("read", &what, &e)),
        };
        Ok(found.filter(|c| {
            let ours = Self::is_ours(c);
            if !ours {
                tracing::warn!(
                    id,
                    "the component under this id is no longer a deployed {}",
                    K::NOUN
                );
            }
            ours
        }))
    }

    /// Updates `id`: the record first (`edit`: names, tags; cheap and cannot disturb the
    /// deployment), then each deployment change alone, in the order given, each settling (the
    /// console reports it and the component is ready again) before the next is sent, so a
    /// rolling restart is never stacked on another.
    pub async fn update(
        &self,
        op: &Operation,
        id: &str,
        edit: Option<&EditComponentRequest>,
        updates: &[K::Update],
    ) -> Result<Component, LifecycleError> {
        let what = id.to_owned();
        let bounded = |stop| self.stopped("updating", &what, op, stop);
        if let Some(edit) = edit {
            op.bounded(self.api.edit(K::TYPE, id, edit))
                .await
                .map_err(bounded)?
                .map_err(|e| self.console_failure("edit", &what, &e))?;
        }
        for update in updates {
            let field = K::update_field(update);
            let body = serde_json::to_value(update).map_err(|e| {
                LifecycleError::new(
                    format!("Cannot update the {}'s {field}", K::NOUN),
                    format!("The update could not be encoded: {e}"),
                )
            })?;
            op.bounded(self.api.update(K::TYPE, id, &body))
                .await
                .map_err(bounded)?
                .map_err(|e| self.console_failure(&format!("update the {field} of"), &what, &e))?;
            let current = self.wait_reflected(op, id, update).await?;
            self.wait_ready(op, &current).await?;
        }
        match self.api.get_fresh(id).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(LifecycleError::new(
                format!("The {} disappeared", K::NOUN),
                format!("{} disappeared during the update.", self.named(&what)),
            )),
            Err(e) => Err(self.console_failure("read back", &what, &e)),
        }
    }

    /// Polls until the console reports `update` applied.
    async fn wait_reflected(
        &self,
        op: &Operation,
        id: &str,
        update: &K::Update,
    ) -> Result<Component, LifecycleError> {
        let what = id.to_owned();
        let r = wait_until(op, Backoff::every(CONSOLE_POLL), || async {
            match self.api.get_fresh(id).await {
                Ok(Some(c)) if K::reflects(&c, update) => Ok(Check::Done(c)),
                Ok(Some(_)) => Ok(Check::Pending(
                    "the console still reports the old value".into(),
                )),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            }
        })
        .await;
        match r {
            Ok(c) => Ok(c),
            Err(WaitError::Failed(None)) => Err(LifecycleError::new(
                format!("The {} disappeared", K::NOUN),
                format!("{} disappeared during the update.", self.named(&what)),
            )),
            Err(WaitError::Failed(Some(e))) => Err(self.console_failure("read back", &what, &e)),
            Err(WaitError::Stopped {
                stop: Stop::TimedOut,
                ..
            }) => Err(LifecycleError::new(
                format!("The {} update did not take effect", K::NOUN),
                format!(
                    "The console accepted the new {} for {} but still reports the old one at \
                     the end of {}.",
                    K::update_field(update),
                    self.named(&what),
                    op.describe_limit()
                ),
            )),
            Err(WaitError::Stopped { stop, .. }) => Err(self.stopped("updating", &what, op, stop)),
        }
    }

    /// Deletes `id` and waits until the console no longer has it. `unconfirmed`: its create was
    /// never confirmed; settle it first, since a DELETE now would find nothing and the create
    /// would finish afterwards as an orphan.
    pub async fn delete(
        &self,
        op: &Operation,
        id: &str,
        display_name: Option<&str>,
        unconfirmed: bool,
    ) -> Result<(), LifecycleError> {
        let what = id.to_owned();
        if unconfirmed {
            let window = op.narrowed(UNCERTAIN_CREATE_WINDOW);
            let found = self.appears(&window, id).await;
            match found {
                // What came is ours: delete it below.
                Ok(c) if Self::is_ours(&c) && display_name.is_none_or(|n| n == c.display_name) => {}
                // Someone else's component under this id, or nothing came: nothing to delete.
                Ok(_)
                | Err(WaitError::Stopped {
                    stop: Stop::TimedOut,
                    ..
                }) => return Ok(()),
                Err(WaitError::Stopped { stop, .. }) => {
                    return Err(self.stopped("deleting", &what, op, stop))
                }
                Err(WaitError::Failed(e)) => return Err(self.console_failure("read", &what, &e)),
            }
        }
        op.bounded(self.api.delete(id))
            .await
            .map_err(|stop| self.stopped("deleting", &what, op, stop))?
            .map_err(|e| self.console_failure("delete", &what, &e))?;
        let gone = wait_until(op, Backoff::every(CONSOLE_POLL), || async {
            match self.api.get_fresh(id).await {
                Ok(None) => Ok(Check::Done(())),
                Ok(Some(_)) => Ok(Check::Pending("still there".to_owned())),
                Err(e) => Err(e),
            }
        })
        .await;
        match gone {
            Ok(()) => Ok(()),
            Err(WaitError::Failed(e)) => {
                Err(self.console_failure("confirm the delete of", &what, &e))
            }
            Err(WaitError::Stopped { stop, .. }) => Err(self.stopped("deleting", &what, op, stop)),
        }
    }

    /// The component an import names, checked to be a deployed component of this kind. A
    /// missing id that is really a display name (or derives to an existing id) is answered
    /// with the id to use.
    pub async fn import(&self, id: &str, resource_type: &str) -> Result<Component, LifecycleError> {
        Self::NAMING
            .import(self.api, Post::Deployer, id, resource_type)
            .await
    }
}

/// What the user can do about a console error, in the provider block's terms (the console
/// client itself knows nothing of Terraform).
pub(crate) fn advice(e: &ConsoleError) -> &'static str {
    match e {
        ConsoleError::Unauthorized { .. }
        | ConsoleError::LockedOut { .. }
        | ConsoleError::CredentialsRefused { .. } => {
            ". Check the provider block's api_key and api_secret (or iam_api_key), or their \
             BLOCKCHAIN_* environment variables"
        }
        ConsoleError::IamToken { .. } => {
            ". Check the provider block's iam_api_key and iam_token_url"
        }
        ConsoleError::UntrustedCertificate { .. } => {
            ". Set ca_bundle or ca_bundle_file in the provider block"
        }
        ConsoleError::RateLimited { .. } => {
            ". Raise the console's max_req_per_min_ak setting, or lower terraform's -parallelism"
        }
        _ => "",
    }
}

/// The error of a create recorded under `id` without knowing whether the console made it.
pub fn unconfirmed_error(naming: &Naming, named: &str, id: &str, why: &str) -> LifecycleError {
    LifecycleError::new(
        format!("The {} may have been created", naming.noun),
        format!(
            "The create of {named} under id {id} did not complete ({why}). Terraform records it \
             as tainted: the next plan reads it back, and replaces it if the console has it or \
             creates it if not, so nothing is orphaned or duplicated."
        ),
    )
}

/// `_0`, `_12`: the suffixes the console adds to clashing ids.
pub(crate) fn is_suffix(rest: &str) -> bool {
    rest.strip_prefix('_')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// "creating" -> "created", for messages.
fn past(action: &str) -> &str {
    match action {
        "creating" => "created",
        "updating" => "updated",
        "deleting" => "deleted",
        "reading" => "read",
        _ => "ready",
    }
}

impl From<LifecycleError> for Diagnostics {
    fn from(e: LifecycleError) -> Self {
        Diagnostic::error(e.summary, e.detail).into()
    }
}

#[cfg(test)]
mod tests;
