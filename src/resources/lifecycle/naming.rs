//! The identity rule every create follows, deployed components and console records alike
//! (docs/dev/identity.md#the-rule): one create per type and display name at a time, no create
//! when a component of the type already has the display name, and an explicit id chosen as the
//! console would derive it, moved on to the next free one when a concurrent create takes it.

use serde_json::Value;

use crate::console::{derive_component_id, Component, ConsoleError, CreateError, Expected};

use super::api::{ComponentApi, Post};
use super::operation::{Operation, Stop};
use super::{is_suffix, past, LifecycleError, DEPLOYED_LOCATION};

/// How many fresh ids a create tries when another create takes its id first.
const CREATE_ID_ATTEMPTS: usize = 5;

/// Who a component is for the identity rule and in messages.
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    /// The console's component type: `fabric-ca`, `msp`, ...
    pub component_type: &'static str,
    /// The noun in messages: `CA`, `MSP`.
    pub noun: &'static str,
    /// What the console puts before an id derived from a name that yields no valid id.
    pub id_prefix: &'static str,
}

/// How a create under a chosen id ended when it returned no component.
#[derive(Debug)]
pub enum FreeIdFailure {
    /// Nothing was created.
    NotCreated(LifecycleError),
    /// The console may have created `id`: `error` says why it cannot tell.
    Uncertain { id: String, error: String },
}

impl Naming {
    /// "CA \"Org1 CA\" on https://console:7070"
    pub fn named(&self, console_url: &str, what: &str) -> String {
        format!("{} {what} on {console_url}", self.noun)
    }

    /// A console call that failed, in words for the user.
    pub fn console_failure(
        &self,
        console_url: &str,
        action: &str,
        what: &str,
        e: &ConsoleError,
    ) -> LifecycleError {
        LifecycleError::new(
            format!("Cannot {action} the {}", self.noun),
            format!(
                "Could not {action} {}: {e}{}",
                self.named(console_url, what),
                super::advice(e)
            ),
        )
    }

    /// An operation Terraform interrupted or whose timeout ran out.
    pub fn stopped(
        &self,
        console_url: &str,
        action: &str,
        what: &str,
        op: &Operation,
        stop: Stop,
    ) -> LifecycleError {
        let named = self.named(console_url, what);
        match stop {
            Stop::Cancelled => LifecycleError::new(
                "Interrupted",
                format!("Terraform stopped the provider while it was {action} {named}."),
            ),
            Stop::TimedOut => LifecycleError::new(
                format!("The {} was not {} in time", self.noun, past(action)),
                format!(
                    "{named} was still not {} at the end of {}.",
                    past(action),
                    op.describe_limit()
                ),
            ),
        }
    }

    /// The component of this type that already has `display_name`, if any.
    pub fn namesake<'c>(&self, all: &'c [Component], display_name: &str) -> Option<&'c Component> {
        all.iter().find(|c| {
            c.component_type.as_deref() == Some(self.component_type)
                && c.display_name == display_name
        })
    }

    /// The id the console would derive for `display_name`, made unique against this console's
    /// components and the ids this create already tried; or the component of this type that
    /// already has that display name (the identity rule).
    pub async fn choose_id<A: ComponentApi + ?Sized>(
        &self,
        api: &A,
        display_name: &str,
        tried: &[String],
    ) -> Result<Result<String, Component>, ConsoleError> {
        let all = api.components().await?;
        if let Some(existing) = self.namesake(&all, display_name) {
            return Ok(Err(existing.clone()));
        }
        let base = derive_component_id(display_name, self.id_prefix);
        Ok(Ok(crate::console::unique_id(
            &base,
            all.iter()
                .map(|c| c.id.as_str())
                .chain(tried.iter().map(String::as_str)),
        )))
    }

    /// The error of a create whose display name another component of the type holds.
    pub fn already_exists(&self, console_url: &str, existing: &Component) -> LifecycleError {
        let name = &existing.display_name;
        let id = &existing.id;
        LifecycleError::new(
            format!("A {} named {name:?} already exists", self.noun),
            format!(
                "{} already exists, with id {id}, and no resource of this Terraform state holds \
                 it (a display name names one {} on a console). To manage it, import it: \
                 `terraform import <resource address> {id}`, or an `import {{ id = \"{id}\" }}` \
                 block. To create another one, give this resource a different display_name. \
                 Nothing was created.",
                self.named(console_url, &format!("{name:?}")),
                self.noun
            ),
        )
    }

    /// Creates `display_name` from `body` (a JSON object without `id`) through `post`, under
    /// an id chosen here, holding the per-name lock: a namesake stops it, an id a concurrent
    /// create took moves it to the next free id, and an answer that may mean "created" is
    /// handed back with its id for the caller to settle.
    pub async fn create_with_free_id<A: ComponentApi + ?Sized>(
        &self,
        api: &A,
        post: Post,
        op: &Operation,
        display_name: &str,
        body: &Value,
    ) -> Result<Component, FreeIdFailure> {
        let url = api.console_url();
        let what = format!("{display_name:?}");
        let not_created = FreeIdFailure::NotCreated;
        let mut tried: Vec<String> = Vec::new();
        // One create per display name at a time in this provider instance, so parallel
        // resources naming one component see each other instead of racing.
        let _turn = api.name_lock(self.component_type, display_name).await;
        loop {
            let id = match op.bounded(self.choose_id(api, display_name, &tried)).await {
                Ok(Ok(Ok(id))) => id,
                Ok(Ok(Err(existing))) => {
                    return Err(not_created(self.already_exists(&url, &existing)))
                }
                Ok(Err(e)) => {
                    return Err(not_created(self.console_failure(&url, "create", &what, &e)))
                }
                Err(stop) => {
                    return Err(not_created(self.stopped(&url, "creating", &what, op, stop)))
                }
            };
            let mut with_id = body.clone();
            if let Some(m) = with_id.as_object_mut() {
                m.insert("id".to_owned(), Value::String(id.clone()));
            }
            let expected = Expected {
                id: &id,
                display_name,
                component_type: self.component_type,
            };
            let error = match op.bounded(api.create(post, &with_id, &expected)).await {
                Ok(Ok(created)) => return Ok(created),
                Ok(Err(CreateError::IdTaken(_))) if tried.len() + 1 < CREATE_ID_ATTEMPTS => {
                    tracing::info!(id = %id, "id taken by a concurrent create; choosing another");
                    tried.push(id);
                    continue;
                }
                Ok(Err(e @ (CreateError::IdTaken(_) | CreateError::Refused(_)))) => {
                    return Err(not_created(self.console_failure(
                        &url,
                        "create",
                        &what,
                        e.console_error(),
                    )))
                }
                Ok(Err(CreateError::Uncertain(e))) => e.to_string(),
                Err(Stop::TimedOut) => format!("it did not finish within {}", op.describe_limit()),
                Err(Stop::Cancelled) => "Terraform stopped the provider".to_owned(),
            };
            return Err(FreeIdFailure::Uncertain { id, error });
        }
    }

    /// Whether `c` is a component of this type that `post` makes: deployed by the console
    /// (`location: ibm_saas`), or a record of one that runs elsewhere (any other location,
    /// docs/dev/console-api.md#component-documents).
    pub fn holds(&self, post: Post, c: &Component) -> bool {
        let deployed = c.location.as_deref() == Some(DEPLOYED_LOCATION);
        c.component_type.as_deref() == Some(self.component_type)
            && deployed == (post == Post::Deployer)
    }

    /// The component an import names, checked to be of this type and made the way `post`
    /// says. A missing id that is really a display name (or derives to an existing id) is
    /// answered with the id to use.
    pub async fn import<A: ComponentApi + ?Sized>(
        &self,
        api: &A,
        post: Post,
        id: &str,
        resource_type: &str,
    ) -> Result<Component, LifecycleError> {
        let summary = format!("Cannot import {resource_type}");
        let c = match api.get_fresh(id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                let hint = self.suggest_id(api, id).await;
                return Err(LifecycleError::new(
                    summary,
                    format!(
                        "The console {} has no component with id {id:?}.{} Import takes the \
                         component id (GET /ak/api/v3/components lists them).",
                        api.console_url(),
                        hint.map(|s| format!(" {s}")).unwrap_or_default()
                    ),
                ));
            }
            Err(e) => {
                return Err(LifecycleError::new(
                    summary,
                    format!("Could not read {id:?}: {e}"),
                ))
            }
        };
        if c.component_type.as_deref() != Some(self.component_type) {
            return Err(LifecycleError::new(
                summary,
                format!(
                    "Component {id:?} is a {}, not a {}.",
                    c.component_type
                        .as_deref()
                        .unwrap_or("component of unknown type"),
                    self.component_type
                ),
            ));
        }
        if !self.holds(post, &c) {
            let (is, use_instead) = match post {
                Post::Deployer => (
                    "was imported into this console, not deployed by it",
                    "the matching _import resource",
                ),
                Post::Record => (
                    "was deployed by this console, not imported into it",
                    "the resource of the deployed type",
                ),
            };
            return Err(LifecycleError::new(
                summary,
                format!("{} {id:?} {is}; manage it with {use_instead}.", self.noun),
            ));
        }
        Ok(c)
    }

    /// "The CA named "Org1 CA" has id org1ca." when the given text names one.
    async fn suggest_id<A: ComponentApi + ?Sized>(&self, api: &A, given: &str) -> Option<String> {
        let all = api.components().await.ok()?;
        let ours = |c: &&Component| c.component_type.as_deref() == Some(self.component_type);
        // The display name itself, as a user copying it from the console tile would give it.
        if let Some(c) = all.iter().filter(ours).find(|c| c.display_name == given) {
            return Some(format!(
                "The {} named {given:?} has id {:?}.",
                self.noun, c.id
            ));
        }
        let derived = derive_component_id(given, self.id_prefix);
        let matching: Vec<&String> = all
            .iter()
            .filter(ours)
            .map(|c| &c.id)
            .filter(|id| {
                **id == derived || id.strip_prefix(derived.as_str()).is_some_and(is_suffix)
            })
            .collect();
        match matching.as_slice() {
            [] => None,
            [one] => Some(format!(
                "Did you mean {one:?}, the id the console derives from {given:?}?"
            )),
            many => Some(format!(
                "Ids the console derived from {given:?}: {}.",
                many.iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}
