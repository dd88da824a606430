//! The plan pipeline: semantic equality first, plan modifiers in order, replacement decided last.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::modifiers::{AttributePlanModifier, AttributePlanRequest, AttributePlanResponse};
use super::*;
use crate::framework::schema::{Attribute, NestedBlock};

/// A toy version rule: `1.5.5` and `1.5.5-0` name the same release.
fn same_release(a: &str, b: &str) -> bool {
    a.trim_end_matches("-0") == b.trim_end_matches("-0")
}

/// A toy size rule: `1G` and `1024M` are the same size.
fn same_size(a: &str, b: &str) -> bool {
    fn megabytes(s: &str) -> Option<u64> {
        match s.strip_suffix('G') {
            Some(g) => g.parse::<u64>().ok().map(|g| g * 1024),
            None => s.strip_suffix('M')?.parse().ok(),
        }
    }
    a == b || (megabytes(a).is_some() && megabytes(a) == megabytes(b))
}

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
                Attribute::string("version")
                    .description("v")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .semantic_equality(same_release),
            )
            .attribute(
                // Written with requires_replace first: the decision still sees the kept value.
                Attribute::string("region")
                    .description("r")
                    .optional()
                    .computed()
                    .requires_replace()
                    .use_state_for_unknown(),
            )
            .attribute(
                Attribute::string("storage")
                    .description("s")
                    .optional()
                    .computed()
                    .requires_replace()
                    .use_state_for_unknown()
                    .semantic_equality(same_size),
            )
            .attribute(
                Attribute::map_of_strings("requests")
                    .description("q")
                    .optional()
                    .semantic_equality_map(same_size),
            )
            .attribute(
                Attribute::string("url")
                    .description("u")
                    .computed()
                    .use_state_for_unknown(),
            )
            .attribute(Attribute::string("export").description("e").computed())
            .block(NestedBlock::list(
                "disk",
                Block::new("disk")
                    .attribute(
                        Attribute::string("size")
                            .description("d")
                            .required()
                            .semantic_equality(same_size)
                            .requires_replace_if("only growing replaces", |req| {
                                req.prior.as_str().is_some()
                            }),
                    )
                    .attribute(
                        Attribute::string("serial")
                            .description("sn")
                            .computed()
                            .use_state_for_unknown(),
                    ),
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

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

fn prior() -> Value {
    obj(vec![
        ("id", Value::string("t-1")),
        ("version", Value::string("1.5.5-0")),
        ("region", Value::string("eu")),
        ("storage", Value::string("1G")),
        ("requests", map(&[("cpu", "1G")])),
        ("url", Value::string("https://t-1")),
        ("export", Value::string("{…}")),
        (
            "disk",
            Value::List(vec![obj(vec![
                ("size", Value::string("2G")),
                ("serial", Value::string("sn-1")),
            ])]),
        ),
    ])
}

/// A configuration: the user's spelling of everything settable, computed-only null.
fn config(version: &str, storage: &str, cpu: &str, disk: &str) -> Value {
    obj(vec![
        ("id", Value::Null),
        ("version", Value::string(version)),
        ("region", Value::Null),
        ("storage", Value::string(storage)),
        ("requests", map(&[("cpu", cpu)])),
        ("url", Value::Null),
        ("export", Value::Null),
        (
            "disk",
            Value::List(vec![obj(vec![
                ("size", Value::string(disk)),
                ("serial", Value::Null),
            ])]),
        ),
    ])
}

/// Terraform's proposal: configuration, prior values where the configuration is null and the
/// attribute is computed.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut p = config.clone();
    for k in ["id", "region", "url", "export"] {
        p.set(k, prior.get(k).clone());
    }
    let mut disk = config.get("disk").as_list().unwrap()[0].clone();
    disk.set(
        "serial",
        prior.get("disk").as_list().unwrap()[0]
            .get("serial")
            .clone(),
    );
    p.set("disk", Value::List(vec![disk]));
    p
}

fn plan(cfg: &Value) -> PlannedChange {
    let prior = prior();
    plan_resource_change(&schema(), &prior, &proposed(&prior, cfg), cfg)
}

#[test]
fn a_respelling_only_plan_is_a_no_op() {
    let cfg = config("1.5.5", "1024M", "1024M", "2048M");
    let out = plan(&cfg);
    assert_eq!(out.planned, prior(), "planned must equal prior");
    assert!(
        out.requires_replace.is_empty(),
        "{:?}",
        out.requires_replace
    );
    assert!(out.diagnostics.is_empty());
}

#[test]
fn a_real_change_marks_computed_values_as_before() {
    let cfg = config("1.6.0", "1024M", "1G", "2G");
    let out = plan(&cfg);
    assert!(
        out.requires_replace.is_empty(),
        "{:?}",
        out.requires_replace
    );
    assert_eq!(out.planned.get("version").as_str(), Some("1.6.0"));
    // Respelled attributes beside the real change keep the prior spelling.
    assert_eq!(out.planned.get("storage").as_str(), Some("1G"));
    assert_eq!(out.planned.get("requests"), &map(&[("cpu", "1G")]));
    // Computed: unknown unless kept by use_state_for_unknown.
    assert!(out.planned.get("export").is_unknown());
    assert_eq!(out.planned.get("url").as_str(), Some("https://t-1"));
    assert_eq!(out.planned.get("region").as_str(), Some("eu"));
    let disk = &out.planned.get("disk").as_list().unwrap()[0];
    assert_eq!(disk.get("serial").as_str(), Some("sn-1"));
}

#[test]
fn a_real_change_of_a_replacing_attribute_replaces_and_unknowns_every_computed() {
    let cfg = config("1.5.5", "2G", "1G", "2G");
    let out = plan(&cfg);
    assert_eq!(
        out.requires_replace,
        vec![AttributePath::attribute("storage")]
    );
    for k in ["id", "url", "export", "region"] {
        assert!(out.planned.get(k).is_unknown(), "{k}");
    }
    // The configured respelling still plans the prior value.
    assert_eq!(out.planned.get("version").as_str(), Some("1.5.5-0"));
}

#[test]
fn map_semantic_equality_is_element_wise_with_the_same_keys() {
    let mut cfg = config("1.5.5", "1G", "1024M", "2G");
    assert_eq!(plan(&cfg).planned, prior());
    cfg.set("requests", map(&[("cpu", "1024M"), ("memory", "1G")]));
    let out = plan(&cfg);
    assert_eq!(
        out.planned.get("requests"),
        &map(&[("cpu", "1024M"), ("memory", "1G")]),
        "an added key is a change"
    );
}

#[test]
fn requires_replace_if_and_nested_paths() {
    let cfg = config("1.5.5", "1G", "1G", "4G");
    let out = plan(&cfg);
    assert_eq!(
        out.requires_replace,
        vec![AttributePath::root().attr("disk").index(0).attr("size")]
    );
    // A respelled nested value is kept and does not replace.
    let out = plan(&config("1.5.5", "1G", "1G", "2048M"));
    assert!(out.requires_replace.is_empty());
}

#[test]
fn create_plans_configuration_and_unknown_computed() {
    let cfg = config("1.5.5", "1G", "1G", "2G");
    let mut proposed = cfg.clone();
    proposed.set("region", Value::Null);
    let out = plan_resource_change(&schema(), &Value::Null, &proposed, &cfg);
    assert!(out.requires_replace.is_empty());
    assert_eq!(out.planned.get("version").as_str(), Some("1.5.5"));
    assert!(out.planned.get("id").is_unknown() && out.planned.get("region").is_unknown());
}

/// Appends its tag to a known string plan: shows the order modifiers run in.
struct Tag(&'static str);

impl AttributePlanModifier for Tag {
    fn description(&self) -> String {
        format!("appends {}", self.0)
    }
    fn modify(&self, req: &AttributePlanRequest<'_>, resp: &mut AttributePlanResponse) {
        if let Some(s) = req.planned.as_str() {
            resp.planned = Value::string(format!("{s}{}", self.0));
        }
        if self.0 == "!" {
            resp.diagnostics.warning("tagged", req.path.to_string());
        }
    }
}

#[test]
fn custom_modifiers_run_in_declaration_order_and_report() {
    let s = Schema::new(
        0,
        Block::new("t").attribute(
            Attribute::string("name")
                .description("n")
                .required()
                .plan_modifier(Tag("a"))
                .plan_modifier(Tag("b"))
                .plan_modifier(Tag("!")),
        ),
    );
    let cfg = obj(vec![("name", Value::string("x"))]);
    let out = plan_resource_change(&s, &Value::Null, &cfg, &cfg);
    assert_eq!(out.planned.get("name").as_str(), Some("xab!"));
    let d = out.diagnostics.iter().next().unwrap();
    assert_eq!((d.summary.as_str(), d.detail.as_str()), ("tagged", "name"));
    let a = s.block.get_attribute("name").unwrap();
    assert!(!a.has_modifier(PlanModifier::RequiresReplace));
    let rendered = format!("{a:?}");
    assert!(rendered.contains("appends b"), "{rendered}");
}

#[test]
fn read_and_apply_keep_the_value_terraform_holds_when_equal_in_meaning() {
    let block = schema().block;
    let kept = prior();
    let mut live = prior();
    live.set("version", Value::string("1.5.5"));
    live.set("storage", Value::string("1024M"));
    live.set("requests", map(&[("cpu", "1024M")]));
    live.set(
        "disk",
        Value::List(vec![obj(vec![
            ("size", Value::string("2048M")),
            ("serial", Value::string("sn-1")),
        ])]),
    );
    keep_equal_in_meaning(&block, &mut live, &kept);
    assert_eq!(live, kept);

    let mut changed = prior();
    changed.set("version", Value::string("1.6.0"));
    changed.set("requests", map(&[("cpu", "1024M"), ("memory", "1G")]));
    keep_equal_in_meaning(&block, &mut changed, &kept);
    assert_eq!(changed.get("version").as_str(), Some("1.6.0"));
    assert_eq!(changed.get("requests").as_map().map(BTreeMap::len), Some(2));

    // Nothing to keep when the kept value is unknown or null.
    let mut planned = prior();
    planned.set("storage", Value::unknown());
    let mut result = prior();
    result.set("storage", Value::string("1024M"));
    keep_equal_in_meaning(&block, &mut result, &planned);
    assert_eq!(result.get("storage").as_str(), Some("1024M"));
}

#[test]
fn semantic_equality_closures() {
    let eq: Arc<dyn modifiers::SemanticEquality> = Arc::new(modifiers::SameValue(
        "covering".to_string(),
        |kept: &Value, new: &Value| {
            kept.as_map()
                .zip(new.as_map())
                .is_some_and(|(k, n)| k.iter().all(|(key, v)| n.get(key) == Some(v)))
        },
    ));
    let kept = map(&[("cpu", "1")]);
    let wider = map(&[("cpu", "1"), ("memory", "2")]);
    assert_eq!(modifiers::keep_if_equal(&eq, &kept, wider.clone()), kept);
    assert_eq!(modifiers::keep_if_equal(&eq, &wider, kept.clone()), kept);
    assert_eq!(eq.description(), "covering");
}
