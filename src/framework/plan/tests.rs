use std::collections::BTreeMap;

use super::*;
use crate::framework::schema::{Attribute, NestedBlock};
use crate::framework::timeouts::{timeouts_block, TimeoutOp, Timeouts};

fn schema() -> Schema {
    Schema::new(
        0,
        Block::new("thing")
            .attribute(
                Attribute::string("id")
                    .description("id")
                    .computed()
                    .use_state_for_unknown(),
            )
            .attribute(
                Attribute::string("name")
                    .description("n")
                    .required()
                    .requires_replace(),
            )
            .attribute(Attribute::string("size").description("s").optional())
            .attribute(Attribute::string("status").description("st").computed())
            .attribute(
                Attribute::string("region")
                    .description("r")
                    .optional()
                    .computed(),
            )
            .attribute(
                Attribute::int64("replicas")
                    .description("r")
                    .default_value(Value::int(1)),
            )
            .attribute(
                Attribute::string("secret")
                    .description("w")
                    .optional()
                    .write_only(),
            )
            .block(timeouts_block(&[TimeoutOp::Create], &Timeouts::default()))
            .block(NestedBlock::list(
                "node",
                Block::new("node")
                    .attribute(Attribute::string("label").description("l").required())
                    .attribute(Attribute::string("addr").description("a").computed()),
            )),
    )
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A configuration value with every attribute present.
fn config(name: &str, size: Option<&str>) -> Value {
    obj(vec![
        ("id", Value::Null),
        ("name", Value::string(name)),
        ("size", Value::string_or_null(size.map(str::to_string))),
        ("status", Value::Null),
        ("region", Value::Null),
        ("replicas", Value::Null),
        ("secret", Value::string("hunter2")),
        ("timeouts", Value::Null),
        (
            "node",
            Value::List(vec![obj(vec![
                ("label", Value::string("a")),
                ("addr", Value::Null),
            ])]),
        ),
    ])
}

/// What Terraform proposes: config, with prior values for computed attributes null in config.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut p = config.clone();
    for k in ["id", "status", "region", "replicas"] {
        if config.get(k).is_null() {
            p.set(k, prior.get(k).clone());
        }
    }
    if let (Some(Value::List(pn)), Value::List(cn)) = (
        prior.as_map().and_then(|m| m.get("node")),
        config.get("node"),
    ) {
        let nodes = cn
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut n = c.clone();
                if let Some(pi) = pn.get(i) {
                    n.set("addr", pi.get("addr").clone());
                }
                n
            })
            .collect();
        p.set("node", Value::List(nodes));
    }
    p
}

fn prior_state() -> Value {
    obj(vec![
        ("id", Value::string("id-1")),
        ("name", Value::string("a")),
        ("size", Value::string("small")),
        ("status", Value::string("running")),
        ("region", Value::string("eu")),
        ("replicas", Value::int(1)),
        ("secret", Value::Null),
        ("timeouts", Value::Null),
        (
            "node",
            Value::List(vec![obj(vec![
                ("label", Value::string("a")),
                ("addr", Value::string("10.0.0.1")),
            ])]),
        ),
    ])
}

#[test]
fn create_marks_computed_unknown_applies_defaults_and_nulls_write_only() {
    let s = schema();
    let cfg = config("a", Some("small"));
    let out = plan_resource_change(&s, &Value::Null, &proposed(&Value::Null, &cfg), &cfg);
    let p = &out.planned;
    assert!(p.get("id").is_unknown());
    assert!(p.get("status").is_unknown());
    assert!(p.get("region").is_unknown());
    assert_eq!(p.get("replicas"), &Value::int(1));
    assert!(p.get("secret").is_null());
    assert_eq!(p.get("name").as_str(), Some("a"));
    assert!(p.get("timeouts").is_null());
    assert!(p.get("node").as_list().unwrap()[0].get("addr").is_unknown());
    assert!(out.requires_replace.is_empty());
}

#[test]
fn no_op_update_keeps_prior_values() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("a", Some("small"));
    let out = plan_resource_change(&s, &prior, &proposed(&prior, &cfg), &cfg);
    assert_eq!(out.planned, prior);
    assert!(out.requires_replace.is_empty());
}

#[test]
fn update_marks_computed_unknown_except_use_state() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("a", Some("large"));
    let out = plan_resource_change(&s, &prior, &proposed(&prior, &cfg), &cfg);
    let p = &out.planned;
    assert_eq!(p.get("size").as_str(), Some("large"));
    assert_eq!(
        p.get("id").as_str(),
        Some("id-1"),
        "use_state_for_unknown keeps the id"
    );
    assert!(p.get("status").is_unknown());
    assert!(p.get("region").is_unknown());
    assert!(p.get("node").as_list().unwrap()[0].get("addr").is_unknown());
    assert_eq!(p.get("replicas"), &Value::int(1));
    assert!(out.requires_replace.is_empty());
}

#[test]
fn replace_marks_every_computed_unknown() {
    let s = schema();
    let prior = prior_state();
    let cfg = config("b", Some("small"));
    let out = plan_resource_change(&s, &prior, &proposed(&prior, &cfg), &cfg);
    assert_eq!(
        out.requires_replace,
        vec![AttributePath::root().attr("name")]
    );
    assert!(
        out.planned.get("id").is_unknown(),
        "a new object gets a new id"
    );
    assert!(out.planned.get("status").is_unknown());
    assert_eq!(out.planned.get("name").as_str(), Some("b"));
}

#[test]
fn unknown_config_value_requires_replace() {
    let s = schema();
    let prior = prior_state();
    let mut cfg = config("a", Some("small"));
    cfg.set("name", Value::unknown());
    let out = plan_resource_change(&s, &prior, &proposed(&prior, &cfg), &cfg);
    assert_eq!(
        out.requires_replace,
        vec![AttributePath::root().attr("name")]
    );
}

#[test]
fn destroy_plans_null() {
    let s = schema();
    let out = plan_resource_change(&s, &prior_state(), &Value::Null, &Value::Null);
    assert_eq!(out.planned, Value::Null);
    assert!(out.requires_replace.is_empty());
}

#[test]
fn configured_optional_computed_is_kept_and_default_overridden() {
    let s = schema();
    let mut cfg = config("a", None);
    cfg.set("region", Value::string("us"));
    cfg.set("replicas", Value::int(3));
    let out = plan_resource_change(&s, &Value::Null, &proposed(&Value::Null, &cfg), &cfg);
    assert_eq!(out.planned.get("region").as_str(), Some("us"));
    assert_eq!(out.planned.get("replicas"), &Value::int(3));
}

#[test]
fn write_only_nulled_at_depth_and_mark_helper() {
    let s = schema();
    let mut v = prior_state();
    v.set("secret", Value::string("x"));
    null_write_only(&s.block, &mut v);
    assert!(v.get("secret").is_null());
    let cfg = config("a", None);
    let mut p = prior_state();
    mark_computed_unknown(&s.block, &mut p, &cfg);
    assert!(p.get("id").is_unknown());
    assert_eq!(
        p.get("replicas"),
        &Value::int(1),
        "defaults are not computed-unknown"
    );
}

#[test]
fn a_replacement_modify_plan_asks_for_keeps_what_it_planned() {
    let s = schema();
    let cfg = config("a", None);
    let before = prior_state();
    let mut p = before.clone();
    // modify_plan derived `region` for the new object; `id` and `status` it left alone.
    p.set("region", Value::string("derived"));
    mark_computed_unknown_unless_planned(&s.block, &mut p, &before, &cfg);
    assert!(p.get("id").is_unknown());
    assert!(p.get("status").is_unknown());
    assert_eq!(p.get("region"), &Value::string("derived"));
}

#[test]
fn inconsistency_detection() {
    let planned = obj(vec![
        ("id", Value::unknown()),
        ("name", Value::string("a")),
        (
            "tags",
            Value::Set(vec![Value::string("x"), Value::string("y")]),
        ),
        ("l", Value::List(vec![Value::unknown(), Value::string("k")])),
    ]);
    let good = obj(vec![
        ("id", Value::string("1")),
        ("name", Value::string("a")),
        (
            "tags",
            Value::Set(vec![Value::string("y"), Value::string("x")]),
        ),
        (
            "l",
            Value::List(vec![Value::string("z"), Value::string("k")]),
        ),
    ]);
    assert!(inconsistencies(&planned, &good).is_empty());
    let mut bad = good.clone();
    bad.set("name", Value::string("b"));
    bad.set(
        "l",
        Value::List(vec![Value::string("z"), Value::string("q")]),
    );
    let paths: Vec<String> = inconsistencies(&planned, &bad)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(paths, vec!["l[1]", "name"]);
    assert_eq!(
        unknown_paths(&planned)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["id", "l[0]"]
    );
}
