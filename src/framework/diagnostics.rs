//! Diagnostics: the errors and warnings a provider hands back to Terraform.
//!
//! Every RPC answers with diagnostics instead of failing the gRPC call, so that Terraform can
//! show the user a summary, a detail and (with an [`AttributePath`]) the configuration line.

use std::fmt;

use crate::framework::path::AttributePath;
use crate::proto::tfplugin5;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation.
    Error,
    /// Shown to the user; the operation continues.
    Warning,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short sentence shown as the headline.
    pub summary: String,
    /// What happened and what the user can do about it.
    pub detail: String,
    /// The attribute the diagnostic is about, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning diagnostic.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// This diagnostic attached to an attribute.
    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The protocol form.
    pub fn to_proto(&self) -> tfplugin5::Diagnostic {
        let severity = match self.severity {
            Severity::Error => tfplugin5::diagnostic::Severity::Error,
            Severity::Warning => tfplugin5::diagnostic::Severity::Warning,
        };
        tfplugin5::Diagnostic {
            severity: severity as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self
                .attribute
                .as_ref()
                .filter(|p| !p.is_root())
                .map(AttributePath::to_proto),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        write!(f, "{sev}: {}", self.summary)?;
        if let Some(p) = self.attribute.as_ref().filter(|p| !p.is_root()) {
            write!(f, " (at {p})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds an error.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) -> &mut Self {
        self.push(Diagnostic::error(summary, detail))
    }

    /// Adds an error about an attribute.
    pub fn attribute_error(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> &mut Self {
        self.push(Diagnostic::error(summary, detail).at(path))
    }

    /// Adds a warning.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) -> &mut Self {
        self.push(Diagnostic::warning(summary, detail))
    }

    /// Adds a warning about an attribute.
    pub fn attribute_warning(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> &mut Self {
        self.push(Diagnostic::warning(summary, detail).at(path))
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) -> &mut Self {
        self.0.push(d);
        self
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: impl Into<Diagnostics>) -> &mut Self {
        self.0.extend(other.into().0);
        self
    }

    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// True if there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The diagnostics as a vector.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// The protocol form.
    pub fn to_proto(&self) -> Vec<tfplugin5::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Self(v)
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_errors_and_warnings() {
        let mut d = Diagnostics::new();
        d.warning("w", "careful");
        assert!(!d.has_errors());
        d.attribute_error(AttributePath::root().attr("name"), "bad", "name is bad");
        assert!(d.has_errors());
        assert_eq!(d.len(), 2);
        let proto = d.to_proto();
        assert_eq!(
            proto[0].severity,
            tfplugin5::diagnostic::Severity::Warning as i32
        );
        assert_eq!(
            proto[1].severity,
            tfplugin5::diagnostic::Severity::Error as i32
        );
        assert_eq!(proto[1].attribute.as_ref().map(|a| a.steps.len()), Some(1));
        assert_eq!(
            d.to_string(),
            "Warning: w: careful\nError: bad (at name): name is bad"
        );
    }

    #[test]
    fn conversions_and_extend() {
        let mut a: Diagnostics = Diagnostic::error("x", "").into();
        let b: Diagnostics = vec![Diagnostic::warning("y", "")].into();
        a.extend(b);
        assert_eq!(a.len(), 2);
        a.extend(Diagnostic::error("z", "").at(AttributePath::attribute("q")));
        assert_eq!(a.iter().filter(|d| d.is_error()).count(), 2);
    }
}
