//! Attribute paths: where in a resource's value a diagnostic or a replacement applies.
//!
//! Terraform uses these to point the user at the offending line of configuration and to
//! decide which attributes force a replacement.

use std::fmt;

use crate::proto::tfplugin5;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An attribute of an object (or a nested block by its type name).
    Attribute(String),
    /// A map element (or a map-nested block by its label).
    ElementKey(String),
    /// A list or tuple element (or a list-nested block by its index).
    ElementIndex(i64),
}

/// A path from the root of a resource's value to one of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The empty path: the whole value.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Shorthand for `AttributePath::root().attr(name)`.
    pub fn attribute(name: impl Into<String>) -> Self {
        Self::root().attr(name)
    }

    /// This path extended by an object attribute.
    #[must_use]
    pub fn attr(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a map key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathStep::ElementKey(key.into()));
        self
    }

    /// This path extended by a list index.
    #[must_use]
    pub fn index(mut self, index: i64) -> Self {
        self.0.push(PathStep::ElementIndex(index));
        self
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The steps of this path.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// The protocol form of this path.
    pub fn to_proto(&self) -> tfplugin5::AttributePath {
        use tfplugin5::attribute_path::step::Selector;
        let steps = self
            .0
            .iter()
            .map(|s| tfplugin5::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::ElementKey(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementIndex(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect();
        tfplugin5::AttributePath { steps }
    }

    /// Builds a path from its protocol form; steps without a selector are skipped.
    pub fn from_proto(p: &tfplugin5::AttributePath) -> Self {
        use tfplugin5::attribute_path::step::Selector;
        Self(
            p.steps
                .iter()
                .filter_map(|s| match s.selector.as_ref()? {
                    Selector::AttributeName(n) => Some(PathStep::Attribute(n.clone())),
                    Selector::ElementKeyString(k) => Some(PathStep::ElementKey(k.clone())),
                    Selector::ElementKeyInt(i) => Some(PathStep::ElementIndex(*i)),
                })
                .collect(),
        )
    }
}

impl fmt::Display for AttributePath {
    /// Renders like Terraform's own addresses: `timeouts.create`, `tags[0]`, `labels["a"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(n) if i == 0 => write!(f, "{n}")?,
                PathStep::Attribute(n) => write!(f, ".{n}")?,
                PathStep::ElementKey(k) => write!(f, "[{k:?}]")?,
                PathStep::ElementIndex(idx) => write!(f, "[{idx}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform_addresses() {
        assert_eq!(
            AttributePath::root()
                .attr("timeouts")
                .attr("create")
                .to_string(),
            "timeouts.create"
        );
        assert_eq!(
            AttributePath::root().attr("tags").index(0).to_string(),
            "tags[0]"
        );
        assert_eq!(
            AttributePath::root()
                .attr("labels")
                .key("a")
                .attr("b")
                .to_string(),
            "labels[\"a\"].b"
        );
        assert_eq!(AttributePath::root().to_string(), "");
    }

    #[test]
    fn proto_round_trip() {
        let p = AttributePath::root().attr("a").key("k").index(3);
        let proto = p.to_proto();
        assert_eq!(proto.steps.len(), 3);
        assert_eq!(AttributePath::from_proto(&proto), p);
    }
}
