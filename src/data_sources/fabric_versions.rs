//! `blockchain_fabric_versions`: the Fabric releases this console's deployer can deploy, per
//! component type (`GET /kubernetes/fabric/versions`, asked once per provider block and run:
//! the console client keeps the answer, and the resources' plan-time version checks share it).
//!
//! A console without a deployer (import-only) answers 503 on every `/kubernetes` route; here
//! that is an error saying so, not an empty list (docs/dev/data-sources.md#fabric-versions).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::clients::Clients;
use crate::console::{ConsoleClient, ConsoleError, FabricVersion, FabricVersions};
use crate::framework::{Diagnostic, Diagnostics, ResourceContext, Tf, TypedDataSource};
use crate::resources::lifecycle::ComponentApi;
use crate::tf_model;

use super::view::console_failure;

tf_model! {
    /// One Fabric release a console offers for a component type.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct FabricVersionModel {
        pub version: Tf<String> => |a| a.computed()
            .description("Fabric image version, e.g. `2.5.12-0`: a value for a component's `version`."),
        pub default: Tf<bool> => |a| a.computed()
            .description("Whether the console deploys this version when a create names none."),
    }
}

tf_model! {
    /// The result of `blockchain_fabric_versions`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct FabricVersionsModel {
        pub ca: Tf<Vec<FabricVersionModel>> => |a| a.computed()
            .description("Fabric CA versions the console can deploy, oldest first."),
        pub peer: Tf<Vec<FabricVersionModel>> => |a| a.computed()
            .description("Fabric peer versions the console can deploy, oldest first."),
        pub orderer: Tf<Vec<FabricVersionModel>> => |a| a.computed()
            .description("Fabric orderer versions the console can deploy, oldest first."),
    }
}

pub struct FabricVersionsDataSource;

#[async_trait]
impl TypedDataSource for FabricVersionsDataSource {
    type Model = FabricVersionsModel;

    fn type_name(&self) -> &'static str {
        "blockchain_fabric_versions"
    }

    fn description(&self) -> String {
        "The Fabric versions this console can deploy, per component type, with the console's \
         defaults marked: the values the `version` of a deployed component may take. A console \
         without a deployer (import-only) deploys nothing, and reading this data source from it \
         is an error."
            .to_owned()
    }

    async fn read(
        &self,
        ctx: &ResourceContext,
        _config: FabricVersionsModel,
    ) -> Result<FabricVersionsModel, Diagnostics> {
        let console = Clients::console(ctx)?;
        match console.fabric_versions().await {
            Ok(v) => Ok(model(&v)),
            Err(e) => Err(failure(&console, &e).into()),
        }
    }
}

/// The versions per type, oldest first.
fn model(v: &FabricVersions) -> FabricVersionsModel {
    FabricVersionsModel {
        ca: Tf::Known(releases(&v.versions.ca)),
        peer: Tf::Known(releases(&v.versions.peer)),
        orderer: Tf::Known(releases(&v.versions.orderer)),
    }
}

/// The releases of one type, oldest first. The map's key is the version (the deployer's
/// answer repeats it in `version`; the key wins where they differ).
fn releases(offered: &BTreeMap<String, FabricVersion>) -> Vec<FabricVersionModel> {
    let mut list: Vec<(&String, &FabricVersion)> = offered.iter().collect();
    list.sort_by(|a, b| release_order(a.0, b.0));
    list.into_iter()
        .map(|(version, v)| FabricVersionModel {
            version: Tf::Known(version.clone()),
            default: Tf::Known(v.default),
        })
        .collect()
}

/// Versions like `1.5.5-0` and `2.5.12-0` in release order: numeric parts compared as numbers
/// (`2.5.12` after `2.5.9`), other parts as text, a prefix first.
fn release_order(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> {
        v.split(['.', '-', '+'])
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

/// The error of a versions read: an import-only console in plain words, anything else as the
/// console said it.
fn failure(console: &ConsoleClient, e: &ConsoleError) -> Diagnostic {
    if let ConsoleError::ImportOnly { request, msg } = e {
        return Diagnostic::error(
            "This console cannot deploy Fabric components",
            format!(
                "The console at {} runs without a deployer (import-only mode): it answered \
                 {request} with 503 ({msg}). It can only hold records of components that run \
                 elsewhere, so it offers no Fabric versions. Read this data source from a \
                 console with a deployer, or remove it.",
                console.console_url()
            ),
        );
    }
    console_failure(console, "the Fabric versions", e)
}

#[cfg(test)]
mod tests;
