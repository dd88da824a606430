//! Helpers the resources' unit tests share.

use std::collections::{BTreeMap, BTreeSet};

use crate::framework::{Diagnostics, Severity, Tf, TypedResource};

/// The errors `resource`'s `validate_config` finds in `config`: (attribute path, detail).
pub fn config_errors<R: TypedResource>(resource: &R, config: &R::Model) -> Vec<(String, String)> {
    let mut diags = Diagnostics::default();
    resource.validate_config(config, &mut diags);
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            (
                d.attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                d.detail.clone(),
            )
        })
        .collect()
}

/// A known string.
pub fn s(v: &str) -> Tf<String> {
    Tf::Known(v.to_string())
}

/// A known set of strings.
pub fn string_set(items: &[&str]) -> Tf<BTreeSet<String>> {
    Tf::Known(items.iter().map(|i| i.to_string()).collect())
}

/// A known map of strings.
pub fn smap(pairs: &[(&str, &str)]) -> Tf<BTreeMap<String, String>> {
    Tf::Known(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}
