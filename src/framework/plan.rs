//! The generic plan engine: what every resource's plan needs before any resource-specific
//! logic runs (defaults, write-only nulls, computed attributes, requires-replace), plus the
//! apply-result checks that catch provider bugs before Terraform does.
//!
//! The rules follow terraform-plugin-framework's documented behaviour: computed attributes
//! null in configuration become unknown only when the plan differs from the prior state, so a
//! no-op plan stays a no-op.

use std::collections::BTreeSet;

pub mod modifiers;

use crate::framework::diagnostics::Diagnostics;
use crate::framework::path::AttributePath;
use crate::framework::schema::{Attribute, Block, NestingMode, PlanModifier, Schema};
use crate::framework::value::Value;
use modifiers::{keep_if_equal, AttributePlanRequest, AttributePlanResponse};

/// The engine's answer for one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// The planned new state (null to destroy).
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Problems the plan modifiers found.
    pub diagnostics: Diagnostics,
}

/// Plans a change of one resource instance. `prior` is null on create, `proposed` is null on
/// destroy; `proposed` is Terraform's `proposed_new_state` (config merged with prior).
///
/// The pipeline: defaults and write-only nulls; semantic equality (a configuration equal in
/// meaning to the prior value plans the prior value); computed attributes null in config become
/// unknown when the plan differs from the prior state; plan modifiers per attribute in
/// declaration order; then, on the final values, which changes force a replacement; after a
/// replacement every computed attribute is unknown again.
pub fn plan_resource_change(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> PlannedChange {
    let mut diagnostics = Diagnostics::new();
    if proposed.is_null() {
        return PlannedChange {
            planned: Value::Null,
            requires_replace: Vec::new(),
            diagnostics,
        };
    }
    let block = &schema.block;
    let root = AttributePath::root();
    let mut planned = proposed.clone();
    apply_defaults_and_write_only(block, &mut planned, config);

    let create = prior.is_null();
    if !create {
        plan_prior_when_equal_in_meaning(block, &mut planned, prior, config);
    }
    if create || planned != *prior {
        mark_computed(block, &mut planned, config);
    }
    let scope = Scope {
        creating: create,
        in_prior: !create,
    };
    run_modifiers(
        block,
        &mut planned,
        prior,
        config,
        &root,
        scope,
        &mut diagnostics,
    );
    let mut requires_replace = Vec::new();
    if !create {
        collect_replace(block, &planned, prior, config, &root, &mut requires_replace);
        if !requires_replace.is_empty() {
            // The object will be new: nothing computed can be carried over.
            mark_computed_unknown(block, &mut planned, config);
        }
    }
    PlannedChange {
        planned,
        requires_replace,
        diagnostics,
    }
}

/// Marks every computed attribute that is null in `config` (and has no default) unknown,
/// at any depth. Use from `modify_plan` when a change invalidates computed values.
pub fn mark_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    mark_computed(block, planned, config);
}

/// After `modify_plan` asked for a replacement: the computed attributes (and nested blocks)
/// null in `config` that `modify_plan` left as the engine planned them (`before`) become
/// unknown, as every computed value of a new object is. Those `modify_plan` planned itself
/// stay: values it derived for the new object (e.g. from another attribute's content, which a
/// create will use as planned).
pub fn mark_computed_unknown_unless_planned(
    block: &Block,
    planned: &mut Value,
    before: &Value,
    config: &Value,
) {
    let Value::Object(m) = planned else { return };
    for a in block
        .attributes
        .iter()
        .filter(|a| a.computed && a.default.is_none())
    {
        if config.get(&a.name).is_null() && m.get(&a.name) == Some(before.get(&a.name)) {
            m.insert(a.name.clone(), Value::unknown());
        }
    }
    for nb in &block.blocks {
        let untouched = m.get(&nb.type_name) == Some(before.get(&nb.type_name));
        if let (true, Some(v)) = (untouched, m.get_mut(&nb.type_name)) {
            nested_pairs(
                nb.nesting,
                v,
                &Value::Null,
                config.get(&nb.type_name),
                |p, _, c| mark_computed(&nb.block, p, c),
            );
        }
    }
}

/// Where an attribute's object stands: the resource is being created; the object holding the
/// attribute exists in the prior state.
#[derive(Debug, Clone, Copy)]
struct Scope {
    creating: bool,
    in_prior: bool,
}

/// At plan: attributes whose configuration means the same as the prior value (both known and
/// non-null, equal in meaning both ways) plan the prior value, so a respelling is no change.
/// Terraform accepts a planned prior value in place of a non-null configuration value.
fn plan_prior_when_equal_in_meaning(
    block: &Block,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
) {
    if prior.is_null() {
        return;
    }
    let Value::Object(m) = planned else { return };
    for a in &block.attributes {
        let Some(eq) = &a.semantic_equality else {
            continue;
        };
        let (c, p) = (config.get(&a.name), prior.get(&a.name));
        let comparable = |v: &Value| v.is_wholly_known() && !v.is_null();
        if comparable(c) && comparable(p) && eq.equal(p, c) && eq.equal(c, p) {
            m.insert(a.name.clone(), p.clone());
        }
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            nested_pairs(
                nb.nesting,
                v,
                prior.get(&nb.type_name),
                config.get(&nb.type_name),
                |p, pr, c| plan_prior_when_equal_in_meaning(&nb.block, p, pr, c),
            );
        }
    }
}

/// After read (`kept` = prior state) or apply (`kept` = planned state): attributes whose new
/// value means the same as the kept one take the kept value, at any depth (set elements aside).
pub fn keep_equal_in_meaning(block: &Block, new: &mut Value, kept: &Value) {
    let Value::Object(m) = new else { return };
    for a in &block.attributes {
        let Some(eq) = &a.semantic_equality else {
            continue;
        };
        if let Some(v) = m.get_mut(&a.name) {
            *v = keep_if_equal(eq, kept.get(&a.name), std::mem::take(v));
        }
    }
    for nb in block
        .blocks
        .iter()
        .filter(|nb| nb.nesting != NestingMode::Set)
    {
        if let Some(v) = m.get_mut(&nb.type_name) {
            let k = kept.get(&nb.type_name);
            nested_pairs(nb.nesting, v, k, k, |n, k, _| {
                keep_equal_in_meaning(&nb.block, n, k)
            });
        }
    }
}

/// The value phase of every attribute's plan modifiers, in declaration order, at any depth.
fn run_modifiers(
    block: &Block,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    path: &AttributePath,
    scope: Scope,
    diags: &mut Diagnostics,
) {
    let Value::Object(m) = planned else { return };
    for a in block
        .attributes
        .iter()
        .filter(|a| !a.plan_modifiers.is_empty())
    {
        let here = path.clone().attr(a.name.clone());
        let mut resp = AttributePlanResponse {
            planned: m.get(&a.name).cloned().unwrap_or(Value::Null),
            diagnostics: Diagnostics::new(),
        };
        for modifier in &a.plan_modifiers {
            let current = resp.planned.clone();
            let req = AttributePlanRequest {
                path: &here,
                config: config.get(&a.name),
                prior: prior.get(&a.name),
                planned: &current,
                creating: scope.creating,
                in_prior: scope.in_prior,
            };
            modifier.modify(&req, &mut resp);
        }
        diags.extend(resp.diagnostics);
        m.insert(a.name.clone(), resp.planned);
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            let here = path.clone().attr(nb.type_name.clone());
            let mut index = 0i64;
            nested_pairs(
                nb.nesting,
                v,
                prior.get(&nb.type_name),
                config.get(&nb.type_name),
                |p, pr, c| {
                    // Lists are addressed by index; other nestings at the block (protocol 5
                    // cannot address a set element, and map keys are not passed down here).
                    let elem = if nb.nesting == NestingMode::List {
                        here.clone().index(index)
                    } else {
                        here.clone()
                    };
                    index += 1;
                    let scope = Scope {
                        creating: scope.creating,
                        in_prior: !pr.is_null(),
                    };
                    run_modifiers(&nb.block, p, pr, c, &elem, scope, diags);
                },
            );
        }
    }
}

/// Sets every write-only attribute to null, at any depth (Terraform never stores them).
pub fn null_write_only(block: &Block, value: &mut Value) {
    let Value::Object(m) = value else { return };
    for a in block.attributes.iter().filter(|a| a.write_only) {
        if let Some(v) = m.get_mut(&a.name) {
            *v = Value::Null;
        }
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            for_each_nested(nb.nesting, v, |elem| null_write_only(&nb.block, elem));
        }
    }
}

/// Calls `f` on each object of a nested block value, whatever its nesting mode.
fn for_each_nested(nesting: NestingMode, v: &mut Value, mut f: impl FnMut(&mut Value)) {
    match (nesting, v) {
        (NestingMode::Single | NestingMode::Group, v @ Value::Object(_)) => f(v),
        (NestingMode::List | NestingMode::Set, Value::List(items) | Value::Set(items)) => {
            items.iter_mut().for_each(f)
        }
        (NestingMode::Map, Value::Map(m)) => m.values_mut().for_each(f),
        _ => {}
    }
}

/// The prior and config objects that correspond to a nested block element.
fn nested_pairs(
    nesting: NestingMode,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    mut f: impl FnMut(&mut Value, &Value, &Value),
) {
    static NULL: Value = Value::Null;
    match (nesting, planned) {
        (NestingMode::Single | NestingMode::Group, v @ Value::Object(_)) => f(v, prior, config),
        (NestingMode::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let p = prior.as_list().and_then(|l| l.get(i)).unwrap_or(&NULL);
                let c = config.as_list().and_then(|l| l.get(i)).unwrap_or(&NULL);
                f(item, p, c);
            }
        }
        (NestingMode::Map, Value::Map(m)) => {
            for (k, item) in m.iter_mut() {
                let p = prior.as_map().and_then(|m| m.get(k)).unwrap_or(&NULL);
                let c = config.as_map().and_then(|m| m.get(k)).unwrap_or(&NULL);
                f(item, p, c);
            }
        }
        // Set elements cannot be matched to prior or config by position: an element that is
        // identical to a prior element is unchanged; any other is treated as new, with its own
        // (proposed) values standing in for configuration.
        (NestingMode::Set, Value::Set(items)) => {
            let prior_items = prior.as_list().unwrap_or(&[]);
            for item in items.iter_mut() {
                if let Some(p) = prior_items.iter().find(|p| **p == *item) {
                    f(item, p, p);
                } else {
                    let own = item.clone();
                    f(item, &NULL, &own);
                }
            }
        }
        _ => {}
    }
}

fn apply_defaults_and_write_only(block: &Block, planned: &mut Value, config: &Value) {
    let Value::Object(m) = planned else { return };
    for a in &block.attributes {
        if a.write_only {
            m.insert(a.name.clone(), Value::Null);
        } else if let Some(default) = &a.default {
            if config.get(&a.name).is_null() {
                m.insert(a.name.clone(), default.clone());
            }
        }
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            let cfg = config.get(&nb.type_name);
            match (nb.nesting, &mut *v) {
                (NestingMode::Single | NestingMode::Group, v @ Value::Object(_)) => {
                    apply_defaults_and_write_only(&nb.block, v, cfg);
                }
                (NestingMode::List, Value::List(items)) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        let c = cfg
                            .as_list()
                            .and_then(|l| l.get(i))
                            .cloned()
                            .unwrap_or(Value::Null);
                        apply_defaults_and_write_only(&nb.block, item, &c);
                    }
                }
                (NestingMode::Map, Value::Map(items)) => {
                    for (k, item) in items.iter_mut() {
                        let c = cfg
                            .as_map()
                            .and_then(|m| m.get(k))
                            .cloned()
                            .unwrap_or(Value::Null);
                        apply_defaults_and_write_only(&nb.block, item, &c);
                    }
                }
                (NestingMode::Set, Value::Set(items)) => {
                    for item in items.iter_mut() {
                        let own = item.clone();
                        apply_defaults_and_write_only(&nb.block, item, &own);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Computed attributes null in config (without a default) become unknown, at any depth; the
/// use-state-for-unknown modifier then restores the prior value where it applies.
fn mark_computed(block: &Block, planned: &mut Value, config: &Value) {
    let Value::Object(m) = planned else { return };
    for a in block
        .attributes
        .iter()
        .filter(|a| a.computed && a.default.is_none())
    {
        if config.get(&a.name).is_null() {
            m.insert(a.name.clone(), Value::unknown());
        }
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            nested_pairs(
                nb.nesting,
                v,
                &Value::Null,
                config.get(&nb.type_name),
                |p, _, c| mark_computed(&nb.block, p, c),
            );
        }
    }
}

/// Whether any of the attribute's modifiers can force a replacement (for set-nested blocks,
/// which are judged as a whole).
fn may_replace(a: &Attribute) -> bool {
    a.has_modifier(PlanModifier::RequiresReplace) || a.has_modifier(PlanModifier::RequiresReplaceIf)
}

/// The decision phase: which attributes' final planned values force a replacement.
fn collect_replace(
    block: &Block,
    planned: &Value,
    prior: &Value,
    config: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in block
        .attributes
        .iter()
        .filter(|a| !a.plan_modifiers.is_empty())
    {
        let here = path.clone().attr(a.name.clone());
        let req = AttributePlanRequest {
            path: &here,
            config: config.get(&a.name),
            prior: prior.get(&a.name),
            planned: planned.get(&a.name),
            creating: false,
            in_prior: !prior.is_null(),
        };
        if a.plan_modifiers.iter().any(|m| m.requires_replace(&req)) {
            out.push(here);
        }
    }
    static NULL: Value = Value::Null;
    for nb in &block.blocks {
        let p = planned.get(&nb.type_name);
        let pr = prior.get(&nb.type_name);
        let c = config.get(&nb.type_name);
        let here = path.clone().attr(nb.type_name.clone());
        match nb.nesting {
            NestingMode::Single | NestingMode::Group => {
                collect_replace(&nb.block, p, pr, c, &here, out)
            }
            NestingMode::List => {
                for (i, item) in p.as_list().unwrap_or(&[]).iter().enumerate() {
                    let prior_item = pr.as_list().and_then(|l| l.get(i)).unwrap_or(&NULL);
                    let config_item = c.as_list().and_then(|l| l.get(i)).unwrap_or(&NULL);
                    collect_replace(
                        &nb.block,
                        item,
                        prior_item,
                        config_item,
                        &here.clone().index(i as i64),
                        out,
                    );
                }
            }
            NestingMode::Map => {
                if let Value::Map(m) = p {
                    for (k, item) in m {
                        let prior_item = pr.as_map().and_then(|m| m.get(k)).unwrap_or(&NULL);
                        let config_item = c.as_map().and_then(|m| m.get(k)).unwrap_or(&NULL);
                        collect_replace(
                            &nb.block,
                            item,
                            prior_item,
                            config_item,
                            &here.clone().key(k.clone()),
                            out,
                        );
                    }
                }
            }
            // A set element cannot be addressed in protocol 5; a changed set replaces as a whole.
            NestingMode::Set => {
                let has_rr = nb.block.attributes.iter().any(may_replace);
                if has_rr && (p.is_unknown() || p != pr) {
                    out.push(here);
                }
            }
        }
    }
}

/// Paths where an apply result contradicts a value that was known in the plan.
pub fn inconsistencies(planned: &Value, actual: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    compare(planned, actual, &AttributePath::root(), &mut out);
    out
}

fn compare(planned: &Value, actual: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
    match (planned, actual) {
        (Value::Unknown(_), _) => {}
        (Value::Object(p), Value::Object(a)) | (Value::Map(p), Value::Map(a)) => {
            let keys: BTreeSet<&String> = p.keys().chain(a.keys()).collect();
            let is_obj = matches!(planned, Value::Object(_));
            for k in keys {
                let pv = p.get(k).unwrap_or(&Value::Null);
                let av = a.get(k).unwrap_or(&Value::Null);
                let sub = if is_obj {
                    path.clone().attr(k.clone())
                } else {
                    path.clone().key(k.clone())
                };
                compare(pv, av, &sub, out);
            }
        }
        (Value::List(p), Value::List(a)) | (Value::Tuple(p), Value::Tuple(a))
            if p.len() == a.len() =>
        {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                compare(pv, av, &path.clone().index(i as i64), out);
            }
        }
        (Value::Set(p), Value::Set(a)) if !planned.is_wholly_known() => {
            if p.len() != a.len() {
                out.push(path.clone());
            }
        }
        (p, a) => {
            if p != a {
                out.push(path.clone());
            }
        }
    }
}

/// Paths of unknown values (which Terraform forbids in state).
pub fn unknown_paths(v: &Value) -> Vec<AttributePath> {
    fn walk(v: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
        match v {
            Value::Unknown(_) => out.push(path.clone()),
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(v, &path.clone().attr(k.clone()), out)),
            Value::Map(m) => m
                .iter()
                .for_each(|(k, v)| walk(v, &path.clone().key(k.clone()), out)),
            Value::List(l) | Value::Set(l) | Value::Tuple(l) => {
                l.iter()
                    .enumerate()
                    .for_each(|(i, v)| walk(v, &path.clone().index(i as i64), out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &AttributePath::root(), &mut out);
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod pipeline_tests;
