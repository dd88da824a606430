//! `blockchain_components`: the console's components of a type and/or with a tag, sorted by
//! id, each with the fields `blockchain_component` shows.
//!
//! The console has routes for both (`GET /components/types/{type}`, `/components/tags/{tag}`),
//! but each costs a GET per data source, and without `cache=skip` they answer from caches of 2
//! minutes and 30 s (docs/dev/console-api.md#list-caches). The run's shared list serves every
//! data source and refresh of a run with one call, and is filtered here the way those routes
//! select (docs/dev/data-sources.md#listing-components).

use async_trait::async_trait;

use crate::clients::Clients;
use crate::console::Component;
use crate::framework::{validators, Diagnostics, ResourceContext, Tf, TypedDataSource};
use crate::tf_model;

use super::view::{
    console_failure, has_tag, is_type, sorted_by_id, ComponentView, COMPONENT_TYPES,
};

tf_model! {
    /// The configuration and result of `blockchain_components`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ComponentsModel {
        pub r#type: Tf<String> => |a| a.optional()
            .description("Only components of this type: `fabric-ca`, `fabric-peer`, `fabric-orderer` or `msp`.")
            .validate(validators::one_of(&COMPONENT_TYPES)),
        pub tag: Tf<String> => |a| a.optional()
            .description(
                "Only components with this console tag. Case does not matter, as on the console \
                 (it keeps tags in lower case). With `type` too, only components that match both; \
                 with neither, every component of the console.",
            )
            .validate(validators::not_empty()),
        pub components: Tf<Vec<ComponentView>> => |a| a.computed()
            .description(
                "The matching components, sorted by id, each with the attributes of the \
                 `blockchain_component` data source. Empty when none matches.",
            ),
    }
}

pub struct ComponentsDataSource;

#[async_trait]
impl TypedDataSource for ComponentsDataSource {
    type Model = ComponentsModel;

    fn type_name(&self) -> &'static str {
        "blockchain_components"
    }

    fn description(&self) -> String {
        "The console's components of a type and/or with a tag (CAs, peers, orderers and MSPs, \
         deployed or imported), sorted by id. One list call per console serves every component \
         data source and refresh of a run."
            .to_owned()
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        config: ComponentsModel,
    ) -> Result<ComponentsModel, Diagnostics> {
        let console = Clients::console(ctx)?;
        let all = console
            .list_components_shared()
            .await
            .map_err(|e| console_failure(&console, "the console's components", &e))?;
        let selected = select(all, config.r#type.as_str(), config.tag.as_str());
        Ok(ComponentsModel {
            components: Tf::Known(selected.iter().map(ComponentView::of).collect()),
            ..config
        })
    }
}

/// The components of `component_type` (if given) carrying `tag` (if given), by id.
fn select(all: Vec<Component>, component_type: Option<&str>, tag: Option<&str>) -> Vec<Component> {
    sorted_by_id(
        all.into_iter()
            .filter(|c| component_type.is_none_or(|t| is_type(c, t)))
            .filter(|c| tag.is_none_or(|t| has_tag(c, t)))
            .collect(),
    )
}

#[cfg(test)]
mod tests;
