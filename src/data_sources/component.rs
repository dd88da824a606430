//! `blockchain_component`: one console component, found by `id`, or by `type` and
//! `display_name` as the IBM Blockchain Platform Ansible collection finds components
//! (docs/dev/data-sources.md#finding-one-component).
//!
//! Both forms read the run's shared components list. A component missing from it is asked
//! for directly (by id), or the list is fetched once more (by name), before the read says it
//! is not there: a list taken before another client's write never turns into a false "not
//! found". Two components of the type with the display name are an error naming both ids.

use async_trait::async_trait;

use crate::attr;
use crate::clients::Clients;
use crate::console::{Component, ConsoleClient};
use crate::framework::{
    validators, Attribute, AttributePath, Diagnostic, Diagnostics, Model, ResourceContext, Schema,
    TypedDataSource,
};
use crate::resources::lifecycle::ComponentApi;

use super::view::{console_failure, is_type, ComponentView, COMPONENT_TYPES};

/// At most this many display names are suggested when none matches.
const SUGGESTIONS: usize = 10;

pub struct ComponentDataSource;

/// How the configuration asks for the component.
#[derive(Debug, Clone, PartialEq)]
enum Lookup<'a> {
    Id(&'a str),
    Name {
        component_type: &'a str,
        display_name: &'a str,
    },
}

impl<'a> Lookup<'a> {
    /// The lookup a validated, fully known configuration asks for.
    fn of(config: &'a ComponentView) -> Option<Self> {
        if let Some(id) = config.id.as_str() {
            return Some(Lookup::Id(id));
        }
        Some(Lookup::Name {
            component_type: config.r#type.as_str()?,
            display_name: config.display_name.as_str()?,
        })
    }
}

#[async_trait]
impl TypedDataSource for ComponentDataSource {
    type Model = ComponentView;

    fn type_name(&self) -> &'static str {
        "blockchain_component"
    }

    fn description(&self) -> String {
        "One component of the console (a CA, peer, orderer or MSP, deployed or imported), found \
         by `id`, or by `type` and `display_name`. It exposes the fields every component has and \
         the whole console document as `json`. Not finding it, or finding two components of the \
         type with that display name, is an error."
            .to_owned()
    }

    /// The model's fields, with the three that find the component made arguments.
    fn schema(&self) -> Schema {
        let mut block = ComponentView::block();
        block.description = self.description();
        for a in &mut block.attributes {
            let argument = match a.name.as_str() {
                "id" => Attribute::string("id")
                    .optional()
                    .computed()
                    .description(
                        "Console component id of the component to read. Set either `id`, or \
                         `type` and `display_name`.",
                    )
                    .validate(validators::not_empty()),
                "type" => Attribute::string("type")
                    .optional()
                    .computed()
                    .description(
                        "Type of the component to find by `display_name`: `fabric-ca`, \
                         `fabric-peer`, `fabric-orderer` or `msp`. Set with `display_name`, \
                         instead of `id`.",
                    )
                    .validate(validators::one_of(&COMPONENT_TYPES)),
                "display_name" => Attribute::string("display_name")
                    .optional()
                    .computed()
                    .description(
                        "Display name of the component to find, exactly as the console shows \
                         it (case matters). Exactly one component of `type` may have it. Set \
                         with `type`, instead of `id`.",
                    )
                    .validate(validators::not_empty()),
                _ => continue,
            };
            *a = argument;
        }
        Schema::new(0, block)
    }

    /// Exactly one of the two forms. A value not known until apply cannot be judged yet.
    fn validate_config(&self, config: &ComponentView, diags: &mut Diagnostics) {
        validate_lookup(config, diags);
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        config: ComponentView,
    ) -> Result<ComponentView, Diagnostics> {
        let console = Clients::console(ctx)?;
        let Some(lookup) = Lookup::of(&config) else {
            let mut diags = Diagnostics::new();
            validate_lookup(&config, &mut diags);
            if !diags.has_errors() {
                diags.push(Diagnostic::error(
                    "Incomplete lookup",
                    "Provider bug: the configuration names no component although it passed \
                     validation.",
                ));
            }
            return Err(diags);
        };
        find(&console, &lookup).await.map(|c| ComponentView::of(&c))
    }
}

/// Either `id` alone, or `type` and `display_name` together; errors at the attribute to change.
fn validate_lookup(config: &ComponentView, diags: &mut Diagnostics) {
    let (id, ty, name) = (&config.id, &config.r#type, &config.display_name);
    if id.is_unknown() || ty.is_unknown() || name.is_unknown() {
        return;
    }
    let id_path = attr!(ComponentView, id);
    let type_path = attr!(ComponentView, r#type);
    let name_path = attr!(ComponentView, display_name);
    if id.is_known() {
        let also: Vec<(&str, AttributePath)> =
            [("type", ty, type_path), ("display_name", name, name_path)]
                .into_iter()
                .filter(|(_, v, _)| v.is_known())
                .map(|(n, _, p)| (n, p))
                .collect();
        if let Some((_, path)) = also.first() {
            let names: Vec<&str> = also.iter().map(|(n, _)| *n).collect();
            diags.attribute_error(
                path.clone(),
                "Conflicting lookup",
                format!(
                    "Set either id, or type and display_name, not both: id finds the component \
                     by itself, so {} must not be set with it.",
                    names.join(" and ")
                ),
            );
        }
        return;
    }
    match (ty.is_known(), name.is_known()) {
        (true, true) => {}
        (true, false) => {
            diags.attribute_error(
                name_path,
                "Missing display_name",
                "type finds a component together with its display_name: set display_name too, \
                 or use id instead.",
            );
        }
        (false, true) => {
            diags.attribute_error(
                type_path,
                "Missing type",
                "A display name names one component per type: set type (fabric-ca, \
                 fabric-peer, fabric-orderer or msp) too, or use id instead.",
            );
        }
        (false, false) => {
            diags.attribute_error(
                id_path,
                "Missing lookup",
                "Set id, or type and display_name, to say which component to read.",
            );
        }
    }
}

/// The one component the lookup names, or an error at the attribute that named it.
async fn find(console: &ConsoleClient, lookup: &Lookup<'_>) -> Result<Component, Diagnostics> {
    match *lookup {
        Lookup::Id(id) => match console.read_component_shared(id).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(Diagnostic::error(
                "Component not found",
                format!(
                    "The console at {} has no component with id {id:?}.",
                    console.console_url()
                ),
            )
            .at(attr!(ComponentView, id))
            .into()),
            Err(e) => Err(console_failure(console, &format!("the component {id:?}"), &e).into()),
        },
        Lookup::Name {
            component_type,
            display_name,
        } => {
            let read = |e| console_failure(console, "the console's components", &e);
            let shared = console.list_components_shared().await.map_err(read)?;
            let found = namesakes(&shared, component_type, display_name);
            if found.len() == 1 {
                return Ok(found[0].clone());
            }
            // Not exactly one in a list that may predate another client's write: the answer
            // is an error, so it is worth one fresh list to be sure.
            let fresh = console
                .list_components_with_deployment()
                .await
                .map_err(read)?;
            one_namesake(&fresh, component_type, display_name, &console.console_url())
        }
    }
}

/// The components of `component_type` called `display_name`, by id.
fn namesakes<'c>(
    all: &'c [Component],
    component_type: &str,
    display_name: &str,
) -> Vec<&'c Component> {
    let mut found: Vec<&Component> = all
        .iter()
        .filter(|c| is_type(c, component_type) && c.display_name == display_name)
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// The one component of `component_type` called `display_name` in `all`, or the error that
/// says why there is not exactly one.
fn one_namesake(
    all: &[Component],
    component_type: &str,
    display_name: &str,
    console_url: &str,
) -> Result<Component, Diagnostics> {
    let found = namesakes(all, component_type, display_name);
    let at: AttributePath = attr!(ComponentView, display_name);
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let mut names: Vec<&str> = all
                .iter()
                .filter(|c| is_type(c, component_type))
                .map(|c| c.display_name.as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            let others = if names.is_empty() {
                format!("It has no {component_type} component at all.")
            } else {
                let shown: Vec<String> = names
                    .iter()
                    .take(SUGGESTIONS)
                    .map(|n| format!("{n:?}"))
                    .collect();
                let more = names.len().saturating_sub(SUGGESTIONS);
                format!(
                    "Its {component_type} components are named {}{}.",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            };
            Err(Diagnostic::error(
                "Component not found",
                format!(
                    "The console at {console_url} has no {component_type} component with display \
                     name {display_name:?} (display names match exactly, case included). {others}"
                ),
            )
            .at(at)
            .into())
        }
        several => {
            let ids: Vec<String> = several.iter().map(|c| format!("{:?}", c.id)).collect();
            Err(Diagnostic::error(
                "Ambiguous display name",
                format!(
                    "{} {component_type} components on the console at {console_url} have the \
                     display name {display_name:?}: ids {}. Find one by id instead, or rename \
                     the others on the console.",
                    several.len(),
                    ids.join(", ")
                ),
            )
            .at(at)
            .into())
        }
    }
}

#[cfg(test)]
mod tests;
