use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::*;
use crate::framework::schema::{NestingMode, PlanModifier};
use crate::framework::timeouts::{timeouts_block, TimeoutOp, Timeouts, TimeoutsModel};
use crate::framework::validators;
use crate::framework::Schema;

crate::tf_model! {
    /// One port of a toy service (a list-nested block).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Port {
        pub number: Tf<i64> => |a| a.required().description("Port number."),
        pub protocol: Tf<String> => |a| a.optional().computed().description("Protocol."),
    }
}

crate::tf_model! {
    /// A toy service: every kind of field once.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Service {
        pub id: Tf<String> => |a| a.computed().use_state_for_unknown().description("Id."),
        pub name: Tf<String> => |a| a
            .required()
            .description("Name.")
            .validate(validators::not_empty()),
        pub secret: Tf<String> => |a| a.required().sensitive().write_only().description("Secret."),
        pub replicas: Tf<i64> => |a| a.optional().computed().description("Replicas."),
        pub enabled: Tf<bool> => |a| a.optional().description("Enabled."),
        pub ratio: Tf<f64> => |a| a.optional().description("Ratio."),
        pub requests: Tf<BTreeMap<String, String>> => |a| a.optional().description("Requests."),
        pub tags: Tf<BTreeSet<String>> => |a| a.optional().description("Tags."),
        pub roots: Tf<Vec<String>> => |a| a.computed().description("Roots."),
        pub ports: Vec<Port> => block |b| b.description("Ports.").max_items(4),
        pub timeouts: Tf<TimeoutsModel> => block |_| timeouts_block(&[TimeoutOp::Create], &Timeouts::default()),
    }
}

/// The same schema written by hand, as resources did before models.
fn hand_written() -> Block {
    Block::default()
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("Id."),
        )
        .attribute(
            Attribute::string("name")
                .required()
                .description("Name.")
                .validate(validators::not_empty()),
        )
        .attribute(
            Attribute::string("secret")
                .required()
                .sensitive()
                .write_only()
                .description("Secret."),
        )
        .attribute(
            Attribute::int64("replicas")
                .optional()
                .computed()
                .description("Replicas."),
        )
        .attribute(
            Attribute::bool("enabled")
                .optional()
                .description("Enabled."),
        )
        .attribute(
            Attribute::new("ratio", Type::Number)
                .optional()
                .description("Ratio."),
        )
        .attribute(
            Attribute::map_of_strings("requests")
                .optional()
                .description("Requests."),
        )
        .attribute(
            Attribute::set_of_strings("tags")
                .optional()
                .description("Tags."),
        )
        .attribute(
            Attribute::list_of_strings("roots")
                .computed()
                .description("Roots."),
        )
        .block(
            NestedBlock::list(
                "ports",
                Block::default()
                    .attribute(
                        Attribute::int64("number")
                            .required()
                            .description("Port number."),
                    )
                    .attribute(
                        Attribute::string("protocol")
                            .optional()
                            .computed()
                            .description("Protocol."),
                    ),
            )
            .description("Ports.")
            .max_items(4),
        )
        .block(timeouts_block(&[TimeoutOp::Create], &Timeouts::default()))
}

/// What an attribute declares, for comparing schemas.
fn kinds(b: &Block) -> Vec<String> {
    let mut out: Vec<String> = b
        .attributes
        .iter()
        .map(|a| {
            format!(
                "{} {} req={} opt={} comp={} sens={} wo={} mods={:?} validators={} desc={:?}",
                a.name,
                a.ty,
                a.required,
                a.optional,
                a.computed,
                a.sensitive,
                a.write_only,
                (
                    a.has_modifier(PlanModifier::UseStateForUnknown),
                    a.has_modifier(PlanModifier::RequiresReplace)
                ),
                a.validators.len(),
                a.description
            )
        })
        .collect();
    for nb in &b.blocks {
        out.push(format!(
            "block {} {:?} min={} max={} desc={:?}",
            nb.type_name, nb.nesting, nb.min_items, nb.max_items, nb.block.description
        ));
        out.extend(kinds(&nb.block).into_iter().map(|k| format!("  {k}")));
    }
    out
}

fn sample() -> Service {
    Service {
        id: "svc-1".into(),
        name: "web".into(),
        secret: Tf::Null,
        replicas: Tf::Known(3),
        enabled: Tf::Known(true),
        ratio: Tf::Known(0.5),
        requests: Tf::Known(BTreeMap::from([("cpu".to_string(), "100m".to_string())])),
        tags: Tf::Known(BTreeSet::from(["a".to_string(), "b".to_string()])),
        roots: Tf::Unknown,
        ports: vec![Port {
            number: Tf::Known(443),
            protocol: Tf::Null,
        }],
        timeouts: Tf::Known(TimeoutsModel(BTreeMap::from([(
            "create".to_string(),
            Tf::Known("5m".to_string()),
        )]))),
    }
}

#[test]
fn schema_from_the_macro_equals_the_hand_written_one() {
    let from_model = Service::block();
    assert_eq!(kinds(&from_model), kinds(&hand_written()));
    assert_eq!(from_model.implied_type(), hand_written().implied_type());
    assert_eq!(Service::tf_type(), hand_written().implied_type());
    let ports = from_model.get_block("ports").unwrap();
    assert_eq!(ports.nesting, NestingMode::List);
    let timeouts = from_model.get_block("timeouts").unwrap();
    assert_eq!(timeouts.nesting, NestingMode::Single);
    assert_eq!(timeouts.block.attributes.len(), 1);
    let schema = Schema::new(
        0,
        Block {
            description: "A service.".into(),
            ..Service::block()
        },
    );
    schema.check();
    assert_eq!(Service::attributes().len(), 9);
}

#[test]
fn models_round_trip_through_values() {
    let m = sample();
    let v = m.to_value();
    assert_eq!(v.get("name").as_str(), Some("web"));
    assert!(v.get("secret").is_null());
    assert!(v.get("roots").is_unknown());
    assert_eq!(v.get("ports").as_list().map(<[Value]>::len), Some(1));
    assert_eq!(
        v.get("timeouts").get("create").as_str(),
        Some("5m"),
        "only the block's own attributes are encoded"
    );
    assert_eq!(Service::from_value(&v).unwrap(), m);
    // It encodes against the schema's type, as the server will.
    let ty = Service::block().implied_type();
    let bytes = crate::framework::encode_msgpack(&v, &ty).unwrap();
    let back = crate::framework::decode_msgpack(&bytes, &ty).unwrap();
    assert_eq!(Service::from_value(&back).unwrap(), m);
    assert_eq!(
        m.timeouts.get(TimeoutOp::Create, Duration::from_secs(1)),
        Duration::from_secs(300)
    );
}

#[test]
fn null_and_unknown_fields_and_blocks() {
    // An object with every attribute missing: all null, no blocks.
    let empty = Value::Object(BTreeMap::new());
    let m = Service::from_value(&empty).unwrap();
    assert!(m.id.is_null() && m.timeouts.is_null() && m.ports.is_empty());
    // A partly unknown collection is unknown as a whole.
    let mut v = sample().to_value();
    v.set(
        "requests",
        Value::Map(BTreeMap::from([("cpu".to_string(), Value::unknown())])),
    );
    v.set("replicas", Value::unknown());
    let m = Service::from_value(&v).unwrap();
    assert!(m.requests.is_unknown() && m.replicas.is_unknown());
    // A whole model cannot be null.
    let err = Service::from_value(&Value::Null).unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Null);
    assert!(err.path.is_root());
}

#[test]
fn decoding_errors_name_the_attribute_path() {
    let mut v = sample().to_value();
    v.set(
        "requests",
        Value::Map(BTreeMap::from([("cpu".to_string(), Value::int(1))])),
    );
    let err = Service::from_value(&v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "requests[\"cpu\"]: expected a string, found a number"
    );
    assert_eq!(err.kind, ModelErrorKind::Type);

    let mut v = sample().to_value();
    v.set(
        "ports",
        Value::List(vec![Value::Object(BTreeMap::from([(
            "number".to_string(),
            Value::string("x"),
        )]))]),
    );
    let err = Service::from_value(&v).unwrap_err();
    assert_eq!(
        err.path,
        AttributePath::root().attr("ports").index(0).attr("number")
    );
    let d: Diagnostic = err.into();
    assert_eq!(
        d.attribute.map(|p| p.to_string()).as_deref(),
        Some("ports[0].number")
    );

    let mut v = sample().to_value();
    v.set("replicas", Value::Number(Number::Float(1.5)));
    let err = Service::from_value(&v).unwrap_err();
    assert!(err.message.contains("whole number"), "{err}");
}

#[test]
fn plain_fields_refuse_null_and_unknown() {
    let p = AttributePath::attribute("x");
    assert_eq!(
        String::from_tf(&Value::Null, &p).unwrap_err().kind,
        ModelErrorKind::Null
    );
    assert_eq!(
        i64::from_tf(&Value::unknown(), &p).unwrap_err().kind,
        ModelErrorKind::Unknown
    );
    assert!(bool::from_tf(&Value::Bool(true), &p).unwrap());
    assert_eq!(
        Tf::<String>::from_tf(&Value::unknown(), &p).unwrap(),
        Tf::Unknown
    );
    assert_eq!(Option::<Port>::from_block(&Value::Null, &p).unwrap(), None);
    // A list of plain strings with an unknown element inside a Tf is unknown; outside, an error.
    let l = Value::List(vec![Value::string("a"), Value::unknown()]);
    assert_eq!(Tf::<Vec<String>>::from_tf(&l, &p).unwrap(), Tf::Unknown);
    assert_eq!(
        Vec::<String>::from_tf(&l, &p).unwrap_err().path,
        p.clone().index(1)
    );
    assert_eq!(
        Vec::<Tf<String>>::from_tf(&l, &p).unwrap(),
        vec![Tf::Known("a".to_string()), Tf::Unknown]
    );
}

#[test]
fn tf_helpers() {
    let t: Tf<String> = "x".into();
    assert_eq!(t.as_str(), Some("x"));
    assert_eq!(t.known().map(String::len), Some(1));
    assert!(Tf::<i64>::from_option(None).is_null());
    assert_eq!(Tf::from_option(Some(2)).map(|x| x * 2), Tf::Known(4));
    assert_eq!(Tf::<i64>::Unknown.or_known(Tf::Known(1)), Tf::Known(1));
    assert_eq!(Tf::Known(5).or_known(Tf::Known(1)), Tf::Known(5));
    assert_eq!(Tf::Known(5).as_ref(), Tf::Known(&5));
    assert_eq!(Tf::Known(5).into_known(), Some(5));
    assert!(Tf::<i64>::Unknown.is_unknown() && !Tf::<i64>::Unknown.is_known());
}

#[test]
fn attribute_paths_are_checked_at_compile_time() {
    assert_eq!(
        crate::attr!(Service, name),
        AttributePath::attribute("name")
    );
    assert_eq!(
        crate::attr!(Service, timeouts).attr("create").to_string(),
        "timeouts.create"
    );
}

crate::tf_model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct RawNamed {
        pub r#type: Tf<String> => |a| a.optional().description("A keyword as a name."),
    }
}

#[test]
fn a_raw_identifier_field_is_the_plain_attribute_name() {
    let b = RawNamed::block();
    assert_eq!(b.attributes[0].name, "type");
    assert_eq!(crate::attr!(RawNamed, r#type).to_string(), "type");
    let m = RawNamed {
        r#type: "peer".into(),
    };
    let v = m.to_value();
    assert_eq!(v.get("type"), &Value::string("peer"));
    assert_eq!(RawNamed::from_value(&v).unwrap(), m);
}
