//! One console component as the component data sources show it, and what they share.
//!
//! Both read the run's shared components list (`ConsoleClient::list_components_shared`,
//! docs/dev/console-list.md#one-list-carries-what-one-get-carries): however many data sources
//! and resources a plan reads, one console costs one list call per run. The list is asked
//! with `deployment_attrs=included`, so deployed components carry their `version`.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::console::{Component, ConsoleClient, ConsoleError};
use crate::framework::{Diagnostic, Tf};
use crate::resources::export::sort_keys;
use crate::resources::lifecycle::{advice, ComponentApi};
use crate::resources::pem::pem_text;
use crate::tf_model;

/// The component types a console knows; the list-by-type route answers 404 for any other
/// (docs/dev/data-sources.md#component-types).
pub const COMPONENT_TYPES: [&str; 4] = ["fabric-ca", "fabric-peer", "fabric-orderer", "msp"];

/// `location` of the components a console deployed (docs/dev/console-api.md#component-documents).
const DEPLOYED_LOCATION: &str = "ibm_saas";

tf_model! {
    /// One component: its common fields, and the whole document as JSON for the rest.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ComponentView {
        pub id: Tf<String> => |a| a.computed()
            .description("Console component id."),
        pub r#type: Tf<String> => |a| a.computed()
            .description("Component type: `fabric-ca`, `fabric-peer`, `fabric-orderer` or `msp`."),
        pub display_name: Tf<String> => |a| a.computed()
            .description("Name shown on the console tile."),
        pub msp_id: Tf<String> => |a| a.computed()
            .description("MSP id of the organization a peer, orderer or MSP belongs to; null for CAs."),
        pub api_url: Tf<String> => |a| a.computed()
            .description("URL of the component's API: `https://` for a CA, `grpcs://` for a peer or orderer; null for MSPs."),
        pub operations_url: Tf<String> => |a| a.computed()
            .description("URL of the component's operations endpoint (health, metrics), where it has one."),
        pub grpcwp_url: Tf<String> => |a| a.computed()
            .description("URL of the gRPC-web proxy of a peer or orderer; null for other types."),
        pub location: Tf<String> => |a| a.computed()
            .description("Where the component runs: `ibm_saas` when this console deployed it, otherwise what its import said (often `-`)."),
        pub imported: Tf<bool> => |a| a.computed()
            .description("True when the console only holds a record of a component that runs elsewhere (an import), false when the console deployed it."),
        pub tags: Tf<BTreeSet<String>> => |a| a.computed()
            .description("Console tags, lower case, including the ones the console adds itself (the type, and `ibm_saas` on deployed components)."),
        pub version: Tf<String> => |a| a.computed()
            .description("Fabric image version of a deployed component, e.g. `1.5.5-0`; null for imported records."),
        pub ca_root_certs: Tf<Vec<String>> => |a| a.computed()
            .description("PEM root certificates of the enrollment CA (`msp.ca.root_certs`, or an MSP's `root_certs`); null when the document has none."),
        pub tlsca_root_certs: Tf<Vec<String>> => |a| a.computed()
            .description("PEM root certificates of the TLS CA (`msp.tlsca.root_certs`, or an MSP's `tls_root_certs`); null when the document has none."),
        pub tls_cert: Tf<String> => |a| a.computed()
            .description("PEM TLS certificate the component's own endpoint serves (`msp.component.tls_cert`); null when the document has none."),
        pub json: Tf<String> => |a| a.computed()
            .description(
                "The whole component document as the console returns it (deployment attributes \
                 included), as JSON with sorted keys: `jsondecode()` it for any other field.",
            ),
    }
}

impl ComponentView {
    /// The view of `c`.
    pub fn of(c: &Component) -> Self {
        let text = |v: &Option<String>| Tf::from_option(v.clone());
        let location = c.location.clone();
        let imported = c
            .imported
            .unwrap_or_else(|| location.as_deref() != Some(DEPLOYED_LOCATION));
        // CAs, peers and orderers keep their roots under `msp`; MSP records at the top level
        // (docs/dev/data-sources.md#certificates-in-component-documents).
        let ca_roots = c
            .msp_ca()
            .map(|m| m.root_certs.clone())
            .filter(|r| !r.is_empty())
            .or_else(|| top_level_strings(c, "root_certs"));
        let tlsca_roots = c
            .msp_tlsca()
            .map(|m| m.root_certs.clone())
            .filter(|r| !r.is_empty())
            .or_else(|| top_level_strings(c, "tls_root_certs"));
        let pems = |certs: Option<Vec<String>>| {
            Tf::from_option(certs.map(|certs| certs.iter().map(|p| pem_text(p)).collect()))
        };
        let document = serde_json::to_value(c).unwrap_or(Json::Null);
        ComponentView {
            id: Tf::Known(c.id.clone()),
            r#type: text(&c.component_type),
            display_name: Tf::Known(c.display_name.clone()),
            msp_id: text(&c.msp_id),
            api_url: text(&c.api_url),
            operations_url: text(&c.operations_url),
            grpcwp_url: text(&c.grpcwp_url),
            location: Tf::from_option(location),
            imported: Tf::Known(imported),
            tags: Tf::Known(c.tags.iter().cloned().collect()),
            version: text(&c.version),
            ca_root_certs: pems(ca_roots),
            tlsca_root_certs: pems(tlsca_roots),
            tls_cert: Tf::from_option(c.tls_cert().map(pem_text)),
            json: Tf::Known(sort_keys(document).to_string()),
        }
    }
}

/// A top-level list of strings of the document (an MSP's certificates), if it has a non-empty one.
fn top_level_strings(c: &Component, key: &str) -> Option<Vec<String>> {
    let list: Vec<String> = c
        .extra
        .get(key)?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    (!list.is_empty()).then_some(list)
}

/// Whether `c` is of `component_type` (exactly, as the console's types are spelt).
pub fn is_type(c: &Component, component_type: &str) -> bool {
    c.component_type.as_deref() == Some(component_type)
}

/// Whether `c` carries `tag`. The console stores tags in lower case and lower-cases the tag it
/// is asked for (docs/dev/data-sources.md#tags-match-in-lower-case).
pub fn has_tag(c: &Component, tag: &str) -> bool {
    let wanted = tag.to_lowercase();
    c.tags.iter().any(|t| t.to_lowercase() == wanted)
}

/// `list` in a stable order: by id, which is unique on a console.
pub fn sorted_by_id(mut list: Vec<Component>) -> Vec<Component> {
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

/// The error of a console call the read could not do without.
pub fn console_failure(console: &ConsoleClient, what: &str, e: &ConsoleError) -> Diagnostic {
    Diagnostic::error(
        format!("Cannot read {what}"),
        format!(
            "Could not read {what} from the console at {}: {e}{}",
            console.console_url(),
            advice(e)
        ),
    )
}

#[cfg(test)]
mod tests;
