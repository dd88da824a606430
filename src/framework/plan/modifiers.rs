//! Attribute plan modifiers and semantic equality: the composable parts of the plan pipeline.
//!
//! The engine ([`plan_resource_change`](super::plan_resource_change)) runs, per attribute and in
//! declaration order, each modifier's value phase ([`AttributePlanModifier::modify`]); only once
//! every attribute has its final planned value does it ask each modifier whether the change
//! forces a replacement ([`AttributePlanModifier::requires_replace`]). So a respelling that
//! semantic equality turned back into the prior value, or a computed value kept by
//! use-state-for-unknown, never forces a replacement, whatever order the builders were written in.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::framework::diagnostics::Diagnostics;
use crate::framework::path::AttributePath;
use crate::framework::value::Value;

/// The well-known modifier kinds, so code can ask `Attribute::has_modifier(kind)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanModifier {
    /// A change of this attribute on update destroys and re-creates the object.
    RequiresReplace,
    /// When a computed value would be planned unknown on update, keep the prior value instead.
    UseStateForUnknown,
    /// A change replaces the object when a resource-given condition holds.
    RequiresReplaceIf,
}

/// What a plan modifier sees of one attribute.
#[derive(Debug, Clone, Copy)]
pub struct AttributePlanRequest<'a> {
    /// Where the attribute is.
    pub path: &'a AttributePath,
    /// Its configuration value.
    pub config: &'a Value,
    /// Its prior state value (null on create).
    pub prior: &'a Value,
    /// Its planned value so far (in the decision phase: the final one).
    pub planned: &'a Value,
    /// True when the resource is being created (no prior state at all).
    pub creating: bool,
    /// True when the object holding the attribute exists in the prior state (false on create
    /// and for a nested block element that is new).
    pub in_prior: bool,
}

/// What a plan modifier may change in its value phase.
#[derive(Debug, Clone)]
pub struct AttributePlanResponse {
    /// The planned value; starts as the request's.
    pub planned: Value,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// One step of an attribute's plan.
pub trait AttributePlanModifier: Send + Sync {
    /// What it does, for documentation and debugging.
    fn description(&self) -> String;
    /// Its well-known kind, if it is one of the built-ins.
    fn kind(&self) -> Option<PlanModifier> {
        None
    }
    /// Value phase: adjusts the planned value. Runs in declaration order.
    fn modify(&self, _req: &AttributePlanRequest<'_>, _resp: &mut AttributePlanResponse) {}
    /// Decision phase, on the final planned values: does this change force a replacement?
    fn requires_replace(&self, _req: &AttributePlanRequest<'_>) -> bool {
        false
    }
}

/// An update that changes the attribute (an unknown planned value may be a change).
fn changes(req: &AttributePlanRequest<'_>) -> bool {
    !req.creating && (req.planned.is_unknown() || req.planned != req.prior)
}

/// Keeps the prior value of a computed attribute that the engine planned unknown because
/// something else changed (configuration null; object already exists).
pub struct UseStateForUnknown;

impl AttributePlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "keeps its prior value unless the configuration sets it".into()
    }
    fn kind(&self) -> Option<PlanModifier> {
        Some(PlanModifier::UseStateForUnknown)
    }
    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if req.in_prior && req.config.is_null() && resp.planned.is_unknown() {
            resp.planned = req.prior.clone();
        }
    }
}

/// Any change on update replaces the object.
pub struct RequiresReplace;

impl AttributePlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "changing it replaces the object".into()
    }
    fn kind(&self) -> Option<PlanModifier> {
        Some(PlanModifier::RequiresReplace)
    }
    fn requires_replace(&self, req: &AttributePlanRequest<'_>) -> bool {
        changes(req)
    }
}

/// A change on update replaces the object when the condition holds.
pub struct RequiresReplaceIf<F> {
    description: String,
    condition: F,
}

/// A change on update replaces the object when `condition` says so (it only sees changes).
pub fn requires_replace_if<F>(description: impl Into<String>, condition: F) -> RequiresReplaceIf<F>
where
    F: Fn(&AttributePlanRequest<'_>) -> bool + Send + Sync,
{
    RequiresReplaceIf {
        description: description.into(),
        condition,
    }
}

impl<F> AttributePlanModifier for RequiresReplaceIf<F>
where
    F: Fn(&AttributePlanRequest<'_>) -> bool + Send + Sync,
{
    fn description(&self) -> String {
        self.description.clone()
    }
    fn kind(&self) -> Option<PlanModifier> {
        Some(PlanModifier::RequiresReplaceIf)
    }
    fn requires_replace(&self, req: &AttributePlanRequest<'_>) -> bool {
        changes(req) && (self.condition)(req)
    }
}

/// When two spellings of an attribute's value mean the same (versions `1.5.5` and `1.5.5-0`,
/// quantities `100m` and `0.1`).
///
/// The engine keeps the value Terraform holds when a new one means the same: at plan, the prior
/// value when the configuration is equal in meaning to it (checked both ways); after read, the
/// prior value when the remote one is; after apply, the planned value when the result is.
pub trait SemanticEquality: Send + Sync {
    /// What counts as equal, for documentation and debugging.
    fn description(&self) -> String;
    /// True when `new` means the same as `kept` (the value Terraform holds). Both are known
    /// and non-null.
    fn equal(&self, kept: &Value, new: &Value) -> bool;
}

/// String semantic equality from a predicate.
pub struct SameString(pub fn(&str, &str) -> bool);

impl SemanticEquality for SameString {
    fn description(&self) -> String {
        "strings equal in meaning".into()
    }
    fn equal(&self, kept: &Value, new: &Value) -> bool {
        match (kept.as_str(), new.as_str()) {
            (Some(a), Some(b)) => (self.0)(a, b),
            _ => false,
        }
    }
}

/// `map(string)` semantic equality: the same keys, each pair of values equal in meaning.
pub struct SameStringMap(pub fn(&str, &str) -> bool);

impl SemanticEquality for SameStringMap {
    fn description(&self) -> String {
        "maps with the same keys and values equal in meaning".into()
    }
    fn equal(&self, kept: &Value, new: &Value) -> bool {
        match (kept.as_map(), new.as_map()) {
            (Some(a), Some(b)) => same_keys_and_values(a, b, self.0),
            _ => false,
        }
    }
}

fn same_keys_and_values(
    a: &BTreeMap<String, Value>,
    b: &BTreeMap<String, Value>,
    same: fn(&str, &str) -> bool,
) -> bool {
    a.len() == b.len()
        && a.iter().all(
            |(k, av)| match (av.as_str(), b.get(k).and_then(Value::as_str)) {
                (Some(x), Some(y)) => same(x, y),
                _ => false,
            },
        )
}

/// Any semantic equality from a closure over values.
pub struct SameValue<F>(pub String, pub F);

impl<F> SemanticEquality for SameValue<F>
where
    F: Fn(&Value, &Value) -> bool + Send + Sync,
{
    fn description(&self) -> String {
        self.0.clone()
    }
    fn equal(&self, kept: &Value, new: &Value) -> bool {
        (self.1)(kept, new)
    }
}

/// The value to keep: `kept` when `new` means the same under `eq` (both known and non-null),
/// else `new`.
pub fn keep_if_equal(eq: &Arc<dyn SemanticEquality>, kept: &Value, new: Value) -> Value {
    let comparable = |v: &Value| v.is_wholly_known() && !v.is_null();
    if comparable(kept) && comparable(&new) && *kept != new && eq.equal(kept, &new) {
        kept.clone()
    } else {
        new
    }
}
