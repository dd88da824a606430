//! The generic plan engine: what every resource's plan needs before any resource-specific
//! logic runs (defaults, write-only nulls, computed attributes, requires-replace), plus the
//! apply-result checks that catch provider bugs before Terraform does.
//!
//! The rules follow terraform-plugin-framework's documented behaviour: computed attributes
//! null in configuration become unknown only when the plan differs from the prior state, so a
//! no-op plan stays a no-op.

use std::collections::BTreeSet;

use crate::framework::path::AttributePath;
use crate::framework::schema::{Block, NestingMode, PlanModifier, Schema};
use crate::framework::value::Value;

/// The engine's answer for one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// The planned new state (null to destroy).
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a change of one resource instance. `prior` is null on create, `proposed` is null on
/// destroy; `proposed` is Terraform's `proposed_new_state` (config merged with prior).
pub fn plan_resource_change(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> PlannedChange {
    if proposed.is_null() {
        return PlannedChange {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let block = &schema.block;
    let mut planned = proposed.clone();
    apply_defaults_and_write_only(block, &mut planned, config);

    let create = prior.is_null();
    if create || planned != *prior {
        mark_computed(block, &mut planned, prior, config, !create);
    }
    let mut requires_replace = Vec::new();
    if !create {
        collect_replace(
            block,
            &planned,
            prior,
            &AttributePath::root(),
            &mut requires_replace,
        );
        if !requires_replace.is_empty() {
            // The object will be new: nothing computed can be carried over.
            mark_computed_unknown(block, &mut planned, config);
        }
    }
    PlannedChange {
        planned,
        requires_replace,
    }
}

/// Marks every computed attribute that is null in `config` (and has no default) unknown,
/// at any depth. Use from `modify_plan` when a change invalidates computed values.
pub fn mark_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    mark_computed(block, planned, &Value::Null, config, false);
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

/// Computed attributes null in config become unknown, or keep their prior value when
/// `use_state` and the attribute has UseStateForUnknown. A prior *null* is kept too: on an
/// update the attribute exists and simply has no value, and marking it unknown would make a
/// RequiresReplace attribute (an unset `region`, say) force a needless replacement.
fn mark_computed(
    block: &Block,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
    use_state: bool,
) {
    let Value::Object(m) = planned else { return };
    for a in block
        .attributes
        .iter()
        .filter(|a| a.computed && a.default.is_none())
    {
        if !config.get(&a.name).is_null() {
            continue;
        }
        let prior_v = prior.get(&a.name);
        let v = if use_state && !prior.is_null() && a.has_modifier(PlanModifier::UseStateForUnknown)
        {
            prior_v.clone()
        } else {
            Value::unknown()
        };
        m.insert(a.name.clone(), v);
    }
    for nb in &block.blocks {
        if let Some(v) = m.get_mut(&nb.type_name) {
            nested_pairs(
                nb.nesting,
                v,
                prior.get(&nb.type_name),
                config.get(&nb.type_name),
                |p, pr, c| {
                    mark_computed(&nb.block, p, pr, c, use_state);
                },
            );
        }
    }
}

fn collect_replace(
    block: &Block,
    planned: &Value,
    prior: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in block
        .attributes
        .iter()
        .filter(|a| a.has_modifier(PlanModifier::RequiresReplace))
    {
        let pv = planned.get(&a.name);
        if pv.is_unknown() || *pv != *prior.get(&a.name) {
            out.push(path.clone().attr(a.name.clone()));
        }
    }
    for nb in &block.blocks {
        let p = planned.get(&nb.type_name);
        let pr = prior.get(&nb.type_name);
        let here = path.clone().attr(nb.type_name.clone());
        match nb.nesting {
            NestingMode::Single | NestingMode::Group => {
                collect_replace(&nb.block, p, pr, &here, out)
            }
            NestingMode::List => {
                for (i, item) in p.as_list().unwrap_or(&[]).iter().enumerate() {
                    let prior_item = pr.as_list().and_then(|l| l.get(i)).unwrap_or(&Value::Null);
                    collect_replace(
                        &nb.block,
                        item,
                        prior_item,
                        &here.clone().index(i as i64),
                        out,
                    );
                }
            }
            NestingMode::Map => {
                if let Value::Map(m) = p {
                    for (k, item) in m {
                        let prior_item = pr.as_map().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                        collect_replace(
                            &nb.block,
                            item,
                            prior_item,
                            &here.clone().key(k.clone()),
                            out,
                        );
                    }
                }
            }
            // A set element cannot be addressed in protocol 5; a changed set replaces as a whole.
            NestingMode::Set => {
                let has_rr = nb
                    .block
                    .attributes
                    .iter()
                    .any(|a| a.has_modifier(PlanModifier::RequiresReplace));
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
